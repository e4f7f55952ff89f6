// `--explain`: one line per suppressed finding saying which suppression matched and why, so a
// reviewer can see what an ignore file, a VEX document, an inline comment or a baseline hides.

import type { ScanReport } from '@palisade/core';

export function explainSuppressions(report: ScanReport): string[] {
  const lines: string[] = [];
  for (const r of report.results) {
    for (const f of r.findings) {
      if (f.status !== 'suppressed' || !f.suppression) continue;
      const s = f.suppression;
      const what = f.package
        ? `${f.package.name}@${f.installedVersion ?? f.package.version}`
        : (f.target.path ?? r.target);
      const line = f.target.line ? `:${f.target.line}` : '';
      const detail = [s.reason ? `reason: ${s.reason}` : '', s.expires ? `until ${s.expires}` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(
        `${f.ruleId} in ${what}${line} (${r.target}) suppressed by ${s.source}${detail ? ` — ${detail}` : ''}`,
      );
    }
  }
  return lines;
}
