// Semantic Versioning 2.0.0 ordering (OSV's SEMVER range type and the ecosystems that use it),
// parsed leniently the way OSV data needs: optional "v", missing minor/patch read as 0.

import { compareDigits, compareStrings, isAllDigits, isDigitCode } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

/** A parsed semver-like version; numbers are kept as digit strings so size is unbounded. */
export interface SemverParts {
  /** Numeric core components as written (at most `maxCore` of them). */
  readonly core: readonly string[];
  /** How many core components were actually written. */
  readonly coreWritten: number;
  readonly prerelease: readonly string[];
  readonly build: readonly string[];
  /** False when the string had to be read loosely (garbage after the core, empty identifiers). */
  readonly strict: boolean;
  /** False when not even a leading number could be read. */
  readonly parsed: boolean;
}

const IDENT_CHARS = /^[0-9A-Za-z-]+$/;

function splitIdentifiers(s: string): { ids: string[]; ok: boolean } {
  const ids = s.split('.');
  let ok = true;
  for (const id of ids) if (!IDENT_CHARS.test(id)) ok = false;
  return { ids, ok };
}

/**
 * Reads `[v]N[.N[.N…]][-pre][+build]` with up to `maxCore` numbers. Anything after the core that
 * is neither a prerelease nor build part (e.g. a fourth ".4" in plain semver) is kept as build,
 * which is how OSV treats it, and marks the version non-strict.
 */
export function parseSemverLike(input: string, maxCore = 3): SemverParts {
  let s = input.trim();
  let start = 0;
  while (start < s.length && s[start] === '=') start++;
  if (s[start] === 'v' || s[start] === 'V') start++;
  s = s.slice(start);
  const core: string[] = [];
  let i = 0;
  let strict = true;
  while (core.length < maxCore) {
    const from = i;
    while (i < s.length && isDigitCode(s.charCodeAt(i))) i++;
    if (i === from) {
      if (core.length > 0) strict = false; // "1." or "1.x"
      break;
    }
    core.push(s.slice(from, i));
    if (s[i] === '.' && i + 1 < s.length && isDigitCode(s.charCodeAt(i + 1)) && core.length < maxCore) {
      i++;
    } else break;
  }
  if (core.length === 0) return { core: [], coreWritten: 0, prerelease: [], build: [], strict: false, parsed: false };
  const coreWritten = core.length;
  while (core.length < maxCore) core.push('0');
  let rest = s.slice(i);
  let prerelease: string[] = [];
  let build: string[] = [];
  if (rest.startsWith('-')) {
    const plus = rest.indexOf('+');
    const pre = splitIdentifiers(plus === -1 ? rest.slice(1) : rest.slice(1, plus));
    prerelease = pre.ids;
    if (!pre.ok) strict = false;
    rest = plus === -1 ? '' : rest.slice(plus);
  }
  if (rest.startsWith('+')) {
    const b = splitIdentifiers(rest.slice(1));
    build = b.ids;
    if (!b.ok) strict = false;
  } else if (rest.length > 0) {
    // Trailing text that is not "-pre" or "+build": ordered as build, so ignored by semver.
    build = [rest];
    strict = false;
  }
  return { core, coreWritten, prerelease, build, strict, parsed: true };
}

/** SemVer §11 identifier order: numbers numerically and below alphanumerics, others by ASCII. */
export function compareIdentifierLists(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a[k] as string;
    const y = b[k] as string;
    const xn = isAllDigits(x);
    const yn = isAllDigits(y);
    let c: number;
    if (xn && yn) c = compareDigits(x, y);
    else if (xn) c = -1;
    else if (yn) c = 1;
    else c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders parsed versions: core, then prerelease (a release sorts above its prereleases). */
export function compareSemverParts(a: SemverParts, b: SemverParts): number {
  if (!a.parsed || !b.parsed) {
    // Unreadable versions sort below every readable one, and among themselves by text.
    if (a.parsed !== b.parsed) return a.parsed ? 1 : -1;
    return 0;
  }
  const n = Math.max(a.core.length, b.core.length);
  for (let k = 0; k < n; k++) {
    const c = compareDigits(a.core[k] ?? '0', b.core[k] ?? '0');
    if (c !== 0) return c;
  }
  const ap = a.prerelease.length > 0;
  const bp = b.prerelease.length > 0;
  if (ap !== bp) return ap ? -1 : 1;
  return ap ? compareIdentifierLists(a.prerelease, b.prerelease) : 0;
}

const parse = cachedParser((v: string) => parseSemverLike(v, 3));

export function compareSemver(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  const c = compareSemverParts(pa, pb);
  if (c !== 0 || pa.parsed || pb.parsed) return c;
  return compareStrings(a, b);
}

export const semverScheme: VersionScheme = {
  ecosystems: ['crates.io', 'Hex', 'SwiftURL', 'Bitnami', 'GitHub Actions'],
  compare: compareSemver,
  isValid: (v) => parse(v).parsed,
};
