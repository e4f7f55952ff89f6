// CVSS base scores from vector strings (v2.0, v3.0, v3.1, v4.0). We validate the vector strictly here
// and let ae-cvss-calculator do the arithmetic (v4 needs the spec's macro-vector tables).

import calculator from 'ae-cvss-calculator';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssScore {
  version: CvssVersion;
  /** Base score, 0.0–10.0, one decimal. */
  score: number;
}

/** Allowed values of each base metric, per version; metrics outside the base group are accepted but ignored. */
const V2_BASE: Record<string, readonly string[]> = {
  AV: ['L', 'A', 'N'],
  AC: ['H', 'M', 'L'],
  Au: ['M', 'S', 'N'],
  C: ['N', 'P', 'C'],
  I: ['N', 'P', 'C'],
  A: ['N', 'P', 'C'],
};
const V2_OTHER: Record<string, readonly string[]> = {
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
  TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: ['L', 'M', 'H', 'ND'],
  IR: ['L', 'M', 'H', 'ND'],
  AR: ['L', 'M', 'H', 'ND'],
};

const V3_BASE: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};
const V3_OTHER: Record<string, readonly string[]> = {
  E: ['X', 'H', 'F', 'P', 'U'],
  RL: ['X', 'U', 'W', 'T', 'O'],
  RC: ['X', 'C', 'R', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'H', 'L', 'N'],
  MI: ['X', 'H', 'L', 'N'],
  MA: ['X', 'H', 'L', 'N'],
};

const V4_BASE: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  AT: ['N', 'P'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'P', 'A'],
  VC: ['H', 'L', 'N'],
  VI: ['H', 'L', 'N'],
  VA: ['H', 'L', 'N'],
  SC: ['H', 'L', 'N'],
  SI: ['H', 'L', 'N'],
  SA: ['H', 'L', 'N'],
};
const V4_OTHER: Record<string, readonly string[]> = {
  E: ['X', 'A', 'P', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MAT: ['X', 'N', 'P'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'P', 'A'],
  MVC: ['X', 'H', 'L', 'N'],
  MVI: ['X', 'H', 'L', 'N'],
  MVA: ['X', 'H', 'L', 'N'],
  MSC: ['X', 'H', 'L', 'N'],
  MSI: ['X', 'S', 'H', 'L', 'N'],
  MSA: ['X', 'S', 'H', 'L', 'N'],
  S: ['X', 'N', 'P'],
  AU: ['X', 'N', 'Y'],
  R: ['X', 'A', 'U', 'I'],
  V: ['X', 'D', 'C'],
  RE: ['X', 'L', 'M', 'H'],
  U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
};

/**
 * Splits "K:V/K:V" into the base metrics, in the order the base group lists them, or undefined when a
 * metric is unknown, repeated, has a value outside its set, or a base metric is missing.
 */
function baseMetrics(
  parts: string[],
  base: Record<string, readonly string[]>,
  other: Record<string, readonly string[]>,
): string | undefined {
  const seen = new Map<string, string>();
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon <= 0) return undefined;
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const allowed = Object.hasOwn(base, key) ? base[key] : Object.hasOwn(other, key) ? other[key] : undefined;
    if (!allowed?.includes(value) || seen.has(key)) return undefined;
    seen.set(key, value);
  }
  const out: string[] = [];
  for (const key of Object.keys(base)) {
    const value = seen.get(key);
    if (value === undefined) return undefined;
    out.push(`${key}:${value}`);
  }
  return out.join('/');
}

function roundOne(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The base score of a CVSS vector, or undefined when the vector is not a valid v2/v3.0/v3.1/v4.0 vector. */
export function cvssScore(vector: string): CvssScore | undefined {
  if (typeof vector !== 'string' || vector.length > 512) return undefined;
  const text = vector.trim();
  try {
    const v4 = /^CVSS:4\.0\/(.+)$/.exec(text);
    if (v4?.[1]) {
      const metrics = baseMetrics(v4[1].split('/'), V4_BASE, V4_OTHER);
      if (!metrics) return undefined;
      const scores = new calculator.Cvss4P0(`CVSS:4.0/${metrics}`).calculateScores();
      return finite('4.0', scores.base ?? scores.overall);
    }
    const v3 = /^CVSS:3\.([01])\/(.+)$/.exec(text);
    if (v3?.[2]) {
      const metrics = baseMetrics(v3[2].split('/'), V3_BASE, V3_OTHER);
      if (!metrics) return undefined;
      const scores =
        v3[1] === '1'
          ? new calculator.Cvss3P1(`CVSS:3.1/${metrics}`).calculateScores()
          : new calculator.Cvss3P0(`CVSS:3.0/${metrics}`).calculateScores();
      return finite(v3[1] === '1' ? '3.1' : '3.0', scores.base);
    }
    // v2 vectors carry no prefix; NVD sometimes wraps them in parentheses.
    const v2 = /^\(?((?:AV|AC|Au|C|I|A|E|RL|RC|CDP|TD|CR|IR|AR):[A-Z]+(?:\/[A-Za-z]+:[A-Z]+)*)\)?$/.exec(text);
    if (v2?.[1]) {
      const metrics = baseMetrics(v2[1].split('/'), V2_BASE, V2_OTHER);
      if (!metrics) return undefined;
      return finite('2.0', new calculator.Cvss2(metrics).calculateScores().base);
    }
  } catch {
    // The calculator throws on shapes our validation let through; an unscorable vector is just absent.
  }
  return undefined;
}

function finite(version: CvssVersion, score: number | undefined): CvssScore | undefined {
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
  return { version, score: roundOne(score) };
}
