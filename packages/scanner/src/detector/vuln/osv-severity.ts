// Severity of one OSV record for one affected package: a computed CVSS base score, the distro's own
// rating (Debian urgency, Ubuntu priority, Red Hat/AlmaLinux/Rocky impact) or the advisory's (GHSA).

import { type Cvss, type CvssVersion, cvssScore, type Severity, severityFromScore, severityRank } from '@palisade/core';
import type { OsvAffected, OsvRecord } from '../../vulndb/osv-record.js';

export interface RecordSeverity {
  severity: Severity;
  /** "cvss", "distro" or "advisory"; undefined when nothing rated the record. */
  source?: 'cvss' | 'distro' | 'advisory';
  /** Best CVSS score found, for ordering equally rated sources. */
  score?: number;
  cvss: Cvss[];
}

/** Vendor words → our scale. "unimportant" and "negligible" are Debian's and Ubuntu's lowest. */
const RATING_WORDS: Record<string, Severity> = {
  critical: 'CRITICAL',
  important: 'HIGH',
  high: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  unimportant: 'LOW',
};

export function ratingToSeverity(word: unknown): Severity | undefined {
  return typeof word === 'string' ? RATING_WORDS[word.trim().toLowerCase()] : undefined;
}

const CVSS_TYPES: Record<string, CvssVersion[]> = {
  CVSS_V2: ['2.0'],
  CVSS_V3: ['3.0', '3.1'],
  CVSS_V4: ['4.0'],
};

/** v3.x first: it is what NVD, GHSA and distro trackers all publish, so ratings line up with other tools. */
const CVSS_PREFERENCE: CvssVersion[] = ['3.1', '3.0', '4.0', '2.0'];

/** Vectors repeat across records (and scans); scoring one costs more than the rest of a match. */
const scoreCache = new Map<string, ReturnType<typeof cvssScore>>();

function cachedScore(vector: string): ReturnType<typeof cvssScore> {
  if (scoreCache.has(vector)) return scoreCache.get(vector);
  const scored = cvssScore(vector);
  if (scoreCache.size > 100_000) scoreCache.clear();
  scoreCache.set(vector, scored);
  return scored;
}

function collectCvss(record: OsvRecord, affected: OsvAffected | undefined): Cvss[] {
  const out: Cvss[] = [];
  const seen = new Set<string>();
  for (const s of [...(affected?.severity ?? []), ...(record.severity ?? [])]) {
    const versions = CVSS_TYPES[s.type];
    if (!versions || seen.has(s.score)) continue;
    const scored = cachedScore(s.score);
    if (!scored || !versions.includes(scored.version)) continue;
    seen.add(s.score);
    out.push({ version: scored.version, vector: s.score, score: scored.score, source: record.id });
  }
  return out;
}

/** The distro's own rating, wherever that distro's OSV export puts it. */
function distroRating(record: OsvRecord, affected: OsvAffected | undefined): Severity | undefined {
  const eco = affected?.ecosystem_specific;
  const db = affected?.database_specific;
  const ubuntu = [...(affected?.severity ?? []), ...(record.severity ?? [])].find((s) => s.type === 'Ubuntu');
  return (
    ratingToSeverity(eco?.severity) ??
    ratingToSeverity(eco?.urgency) ??
    ratingToSeverity(db?.severity) ??
    ratingToSeverity(ubuntu?.score) ??
    ratingToSeverity(record.database_specific?.severity) ??
    // Red Hat, AlmaLinux and Rocky errata start their summary with the impact: "Important: firefox security update".
    ratingToSeverity(/^(Critical|Important|Moderate|Low):/.exec(record.summary ?? '')?.[1])
  );
}

function advisoryRating(record: OsvRecord, affected: OsvAffected | undefined): Severity | undefined {
  return (
    ratingToSeverity(record.database_specific?.severity) ??
    ratingToSeverity(affected?.database_specific?.severity) ??
    ratingToSeverity(affected?.ecosystem_specific?.severity)
  );
}

/**
 * Rates a record for one affected entry. OS packages take the distro's rating first (it reflects how
 * the distro built and ships the code, as Trivy does); language packages take the computed CVSS score first.
 */
export function recordSeverity(
  record: OsvRecord,
  affected: OsvAffected | undefined,
  osPackage: boolean,
): RecordSeverity {
  const cvss = collectCvss(record, affected);
  let best: Cvss | undefined;
  for (const version of CVSS_PREFERENCE) {
    best = cvss.filter((c) => c.version === version).sort((a, b) => b.score - a.score)[0];
    if (best) break;
  }
  if (osPackage) {
    const distro = distroRating(record, affected);
    if (distro) return { severity: distro, source: 'distro', score: best?.score, cvss };
  }
  if (best) return { severity: severityFromScore(best.score), source: 'cvss', score: best.score, cvss };
  const advisory = advisoryRating(record, affected);
  if (advisory) return { severity: advisory, source: 'advisory', cvss };
  return { severity: 'UNKNOWN', cvss };
}

const SOURCE_RANK = { distro: 3, cvss: 2, advisory: 1 } as const;

/** The stronger of two ratings of the same vulnerability: the better source, then the higher severity. */
export function strongerSeverity(a: RecordSeverity, b: RecordSeverity): RecordSeverity {
  const ra = a.source ? SOURCE_RANK[a.source] : 0;
  const rb = b.source ? SOURCE_RANK[b.source] : 0;
  if (ra !== rb) return ra > rb ? a : b;
  if (severityRank(a.severity) !== severityRank(b.severity))
    return severityRank(a.severity) > severityRank(b.severity) ? a : b;
  return (b.score ?? -1) > (a.score ?? -1) ? b : a;
}
