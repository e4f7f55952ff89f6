// Severity scale shared by every finding type, ordered from least to most severe.
// The order matters: gates (--severity, exit codes) compare ranks, never strings.

export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** Parses "HIGH,CRITICAL" or "high" into a set; throws on unknown names. */
export function parseSeverityList(list: string): Set<Severity> {
  const out = new Set<Severity>();
  for (const raw of list.split(',')) {
    const s = raw.trim().toUpperCase();
    if (!s) continue;
    if (!isSeverity(s)) throw new Error(`unknown severity "${raw.trim()}" (expected one of ${SEVERITIES.join(', ')})`);
    out.add(s);
  }
  return out;
}

/** CVSS base score → qualitative rating (CVSS v3.1 and v4 share the bands). */
export function severityFromScore(score: number): Severity {
  if (score >= 9.0) return 'CRITICAL';
  if (score >= 7.0) return 'HIGH';
  if (score >= 4.0) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'UNKNOWN';
}
