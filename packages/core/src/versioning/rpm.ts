// RPM versions: [epoch:]version[-release] ordered with rpm's own rpmvercmp segment rules,
// including "~" (sorts before anything) and "^" (sorts after the base version, before more).

import {
  compareDigitRanges,
  compareDigits,
  compareStringRanges,
  isAsciiLetterCode,
  isDigitCode,
} from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

const TILDE = 126;
const CARET = 94;

function isAlnumCode(c: number): boolean {
  return isDigitCode(c) || isAsciiLetterCode(c);
}

/** rpm's segment-by-segment comparison of one version or release string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    // Separators (anything not alphanumeric, "~" or "^") only split segments.
    while (i < la && !isAlnumCode(a.charCodeAt(i)) && a.charCodeAt(i) !== TILDE && a.charCodeAt(i) !== CARET) i++;
    while (j < lb && !isAlnumCode(b.charCodeAt(j)) && b.charCodeAt(j) !== TILDE && b.charCodeAt(j) !== CARET) j++;
    const ca = i < la ? a.charCodeAt(i) : -1;
    const cb = j < lb ? b.charCodeAt(j) : -1;
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // "^" sorts after the end of a version but before any further segment.
    if (ca === CARET || cb === CARET) {
      if (ca === -1) return -1;
      if (cb === -1) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === -1 || cb === -1) break;
    const si = i;
    const sj = j;
    const numeric = isDigitCode(ca);
    if (numeric) {
      while (i < la && isDigitCode(a.charCodeAt(i))) i++;
      while (j < lb && isDigitCode(b.charCodeAt(j))) j++;
    } else {
      while (i < la && isAsciiLetterCode(a.charCodeAt(i))) i++;
      while (j < lb && isAsciiLetterCode(b.charCodeAt(j))) j++;
    }
    // Segments of different kinds: a numeric segment is newer than an alphabetic one.
    if (j === sj) return numeric ? 1 : -1;
    const c = numeric ? compareDigitRanges(a, si, i, b, sj, j) : compareStringRanges(a, si, i, b, sj, j);
    if (c !== 0) return c;
  }
  if (i >= la && j >= lb) return 0;
  return i < la ? 1 : -1;
}

interface Evr {
  epoch: string;
  version: string;
  release: string | undefined;
}

/** Splits as rpm does: an all-digit prefix before ":" is the epoch, the last "-" the release. */
export function parseEvr(input: string): Evr {
  const s = input.trim();
  let k = 0;
  while (k < s.length && isDigitCode(s.charCodeAt(k))) k++;
  let epoch = '0';
  let rest = s;
  if (s[k] === ':') {
    epoch = k === 0 ? '0' : s.slice(0, k);
    rest = s.slice(k + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash === -1) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

const parse = cachedParser(parseEvr);

export function compareRpm(a: string, b: string): number {
  if (a === b) return 0;
  const x = parse(a);
  const y = parse(b);
  const e = compareDigits(x.epoch, y.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  // OSV's reading: a version that names a release sorts above the same version without one.
  if (x.release === undefined || y.release === undefined) {
    if (x.release === y.release) return 0;
    return x.release === undefined ? -1 : 1;
  }
  return rpmvercmp(x.release, y.release);
}

const VALID_RPM = /^(?:\d+:)?[^\s:-]+(?:-[^\s:-]+)?$/;

export const rpmScheme: VersionScheme = {
  // "Amazon Linux" and "Photon OS" are not OSV ecosystems, but core's Ecosystem names them.
  ecosystems: [
    'Red Hat',
    'AlmaLinux',
    'Rocky Linux',
    'openSUSE',
    'SUSE',
    'Mageia',
    'openEuler',
    'Azure Linux',
    'Amazon Linux',
    'Photon OS',
  ],
  compare: compareRpm,
  isValid: (v) => VALID_RPM.test(v.trim()),
};
