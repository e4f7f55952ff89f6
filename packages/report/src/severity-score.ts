// One number per finding for formats that rank by score (SARIF's security-severity): the highest
// CVSS base score when the advisory has one, else a representative score of the severity band.

import type { Cvss, Finding, Severity } from '@palisade/core';

const BAND_SCORE: Record<Severity, number> = { CRITICAL: 9.5, HIGH: 8.0, MEDIUM: 5.5, LOW: 2.0, UNKNOWN: 0.0 };

export function bestCvss(finding: Finding): Cvss | undefined {
  let best: Cvss | undefined;
  for (const c of finding.cvss ?? []) if (!best || c.score > best.score) best = c;
  return best;
}

export function severityScore(finding: Finding): number {
  return bestCvss(finding)?.score ?? BAND_SCORE[finding.severity];
}
