// The `table` format for terminals, shaped like Trivy's: a summary of targets, then per target a
// header with counts by severity and a table of vulnerabilities (other findings in a second table).

import {
  type Finding,
  type ScanReport,
  type ScanResult,
  SEVERITIES,
  type Severity,
  severityRank,
} from '@palisade/core';
import { type CellStyle, renderTable, type TableRow } from './text-table.js';
import { visibleFindings, type WriterOptions } from './writer.js';

const ANSI: Record<Severity, string> = {
  CRITICAL: '\u001b[1;31m',
  HIGH: '\u001b[31m',
  MEDIUM: '\u001b[33m',
  LOW: '\u001b[34m',
  UNKNOWN: '\u001b[90m',
};
const RESET = '\u001b[0m';

export function writeTable(report: ScanReport, opts: WriterOptions): string {
  const sections: string[] = [];
  const shown = report.results.map((r) => ({ result: r, findings: visibleFindings(r, opts) }));
  if (report.warnings.length > 0) sections.push(report.warnings.map((w) => `WARN ${w}`).join('\n'));
  sections.push(`Report Summary (${report.artifact.name}, ${report.artifact.type})\n\n${renderSummary(shown)}`);
  for (const { result, findings } of shown) sections.push(renderResult(result, findings, opts));
  return `${sections.join('\n\n')}\n`;
}

function renderSummary(shown: { result: ScanResult; findings: Finding[] }[]): string {
  if (shown.length === 0) return 'No targets were found (nothing to scan).';
  const rows: TableRow[] = shown.map(({ result, findings }) => {
    const vulns = findings.filter((f) => f.type === 'vulnerability').length;
    return {
      cells: [
        result.target,
        result.type,
        String(result.packages.length),
        String(vulns),
        String(findings.length - vulns),
      ],
    };
  });
  return renderTable(
    [
      { header: 'Target', maxWidth: 60 },
      { header: 'Type', maxWidth: 12 },
      { header: 'Packages', maxWidth: 8 },
      { header: 'Vulnerabilities', maxWidth: 15 },
      { header: 'Other findings', maxWidth: 14 },
    ],
    rows,
  );
}

function severityCounts(findings: Finding[]): string {
  const counts = new Map<Severity, number>(SEVERITIES.map((s) => [s, 0]));
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return SEVERITIES.map((s) => `${s}: ${counts.get(s)}`).join(', ');
}

function renderResult(result: ScanResult, findings: Finding[], opts: WriterOptions): string {
  const title = `${result.target} (${result.type})`;
  const lines = [title, '='.repeat([...title].length)];
  lines.push(`Total: ${findings.length} (${severityCounts(findings)})`);
  if (findings.length === 0) {
    lines.push(`${result.packages.length} package${result.packages.length === 1 ? '' : 's'}, no findings.`);
    return lines.join('\n');
  }
  const severityStyle: CellStyle | undefined = opts.color
    ? (padded, raw) => (raw in ANSI ? `${ANSI[raw as Severity]}${padded}${RESET}` : padded)
    : undefined;
  const vulns = findings.filter((f) => f.type === 'vulnerability');
  const others = findings.filter((f) => f.type !== 'vulnerability');
  if (vulns.length > 0) lines.push('', renderVulnerabilities(vulns, severityStyle));
  if (others.length > 0) lines.push('', renderOtherFindings(others, severityStyle));
  return lines.join('\n');
}

/** Trivy's Status column: a fix exists ("fixed"), none yet ("affected"), or suppressed. */
function displayStatus(f: Finding): string {
  if (f.status === 'suppressed') return 'suppressed';
  return f.fixedVersion ? 'fixed' : 'affected';
}

function renderVulnerabilities(vulns: Finding[], severityStyle: CellStyle | undefined): string {
  const sorted = [...vulns].sort(
    (a, b) =>
      compare(a.package?.name ?? '', b.package?.name ?? '') ||
      severityRank(b.severity) - severityRank(a.severity) ||
      compare(a.ruleId, b.ruleId),
  );
  let previous: string | undefined;
  const rows: TableRow[] = sorted.map((f) => {
    const library = f.package?.name ?? '';
    const first = library !== previous;
    previous = library;
    return {
      // The library is printed once per group, as Trivy merges those cells.
      cells: [
        first ? library : '',
        f.ruleId,
        f.severity,
        displayStatus(f),
        f.installedVersion ?? f.package?.version ?? '',
        f.fixedVersion ?? '',
        f.title,
      ],
      styles: [undefined, undefined, severityStyle],
      separatorBefore: first,
    };
  });
  return renderTable(
    [
      { header: 'Library', maxWidth: 28 },
      { header: 'Vulnerability', maxWidth: 20 },
      { header: 'Severity', maxWidth: 8 },
      { header: 'Status', maxWidth: 10 },
      { header: 'Installed Version', maxWidth: 20 },
      { header: 'Fixed Version', maxWidth: 20 },
      { header: 'Title', maxWidth: 50 },
    ],
    rows,
  );
}

function renderOtherFindings(findings: Finding[], severityStyle: CellStyle | undefined): string {
  const sorted = [...findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || compare(a.ruleId, b.ruleId),
  );
  const rows: TableRow[] = sorted.map((f) => ({
    cells: [
      f.type,
      f.ruleId,
      f.severity,
      f.target.path ? `${f.target.path}${f.target.line ? `:${f.target.line}` : ''}` : '',
      f.title,
    ],
    styles: [undefined, undefined, severityStyle],
  }));
  return renderTable(
    [
      { header: 'Type', maxWidth: 16 },
      { header: 'ID', maxWidth: 24 },
      { header: 'Severity', maxWidth: 8 },
      { header: 'Location', maxWidth: 40 },
      { header: 'Title', maxWidth: 50 },
    ],
    rows,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
