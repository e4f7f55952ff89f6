// The host-audit table for terminals: every check with PASS/FAIL/N/A, its CIS section and the
// first piece of evidence, followed by a one-line summary.

import type { HostAuditReport } from './run-audit.js';

const LABEL = { pass: 'PASS', fail: 'FAIL', 'not-applicable': 'N/A' } as const;

export function renderHostAuditTable(report: HostAuditReport, opts: { color?: boolean } = {}): string {
  const rows = report.results.map((r) => {
    const e = r.evidence[0];
    const where = e?.file ? `${e.file}${e.line ? `:${e.line}` : ''} ` : '';
    return [
      LABEL[r.status],
      r.cis[report.benchmark],
      r.id,
      r.severity,
      r.title,
      `${where}${e?.value ?? ''}`.slice(0, 90),
    ];
  });
  const header = [
    'Status',
    report.benchmark === 'ubuntu2204' ? 'CIS Ubuntu 22.04' : 'CIS Debian 12',
    'Check',
    'Severity',
    'Title',
    'Evidence',
  ];
  const widths = header.map((h, i) =>
    Math.min(i === 4 ? 70 : 90, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
  );
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (c.length > (widths[i] ?? 0) ? `${c.slice(0, (widths[i] ?? 1) - 1)}…` : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const paint = (status: string, line: string) => {
    if (!opts.color) return line;
    const code = status === 'FAIL' ? '31' : status === 'PASS' ? '32' : '90';
    return `\u001b[${code}m${line}\u001b[0m`;
  };
  const lines = [
    `Host audit of ${report.root}${report.container ? ` (container: ${report.containerEvidence})` : ''}`,
    '',
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => paint(r[0] ?? '', fmt(r))),
    '',
    `${report.results.length} checks: ${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.notApplicable} not applicable`,
  ];
  return `${lines.join('\n')}\n`;
}
