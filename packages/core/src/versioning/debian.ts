// Debian and Ubuntu package versions: [epoch:]upstream[-revision] ordered as dpkg does, where
// "~" sorts before everything (even the end of the string) and letters before other symbols.

import { compareDigitRanges, isAsciiLetterCode, isDigitCode } from './compare-primitives.js';
import type { VersionScheme } from './types.js';

/** dpkg's weight of one non-digit character; the end of the part weighs 0 like a digit. */
function order(s: string, i: number, end: number): number {
  if (i >= end) return 0;
  const c = s.charCodeAt(i);
  if (isDigitCode(c)) return 0;
  if (isAsciiLetterCode(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's verrevcmp over a[as..ae) and b[bs..be): alternating non-digit and digit runs. */
function verrevcmpRange(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  let i = as;
  let j = bs;
  while (i < ae || j < be) {
    while ((i < ae && !isDigitCode(a.charCodeAt(i))) || (j < be && !isDigitCode(b.charCodeAt(j)))) {
      const ac = order(a, i, ae);
      const bc = order(b, j, be);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < ae && isDigitCode(a.charCodeAt(i))) i++;
    while (j < be && isDigitCode(b.charCodeAt(j))) j++;
    const c = compareDigitRanges(a, si, i, b, sj, j);
    if (c !== 0) return c;
  }
  return 0;
}

/** dpkg's verrevcmp of two upstream versions or two revisions. */
export function verrevcmp(a: string, b: string): number {
  return verrevcmpRange(a, 0, a.length, b, 0, b.length);
}

/** Index of the ":" ending an all-digit epoch, or -1 when there is no epoch. */
function epochEnd(s: string): number {
  let k = 0;
  while (k < s.length && isDigitCode(s.charCodeAt(k))) k++;
  return k < s.length && s.charCodeAt(k) === 58 ? k : -1;
}

/**
 * Orders two Debian versions in place (no parsing, no allocation): the epoch ends at the first
 * ":" after digits, the revision starts after the last "-", as dpkg splits them.
 */
export function compareDebian(a: string, b: string): number {
  if (a === b) return 0;
  const ea = epochEnd(a);
  const eb = epochEnd(b);
  const c = compareDigitRanges(a, 0, ea === -1 ? 0 : ea, b, 0, eb === -1 ? 0 : eb);
  if (c !== 0) return c;
  let da = a.lastIndexOf('-');
  let db = b.lastIndexOf('-');
  if (da <= ea) da = a.length;
  if (db <= eb) db = b.length;
  return (
    verrevcmpRange(a, ea + 1, da, b, eb + 1, db) ||
    verrevcmpRange(a, Math.min(da + 1, a.length), a.length, b, Math.min(db + 1, b.length), b.length)
  );
}

// What dpkg accepts: epoch digits, upstream starting with a digit, then [A-Za-z0-9.+~:-].
const VALID_DEBIAN = /^(?:\d+:)?\d[A-Za-z0-9.+~:-]*?(?:-[A-Za-z0-9.+~]+)?$/;

export const debianScheme: VersionScheme = {
  ecosystems: ['Debian', 'Ubuntu'],
  compare: compareDebian,
  isValid: (v) => {
    const s = v.trim();
    if (!VALID_DEBIAN.test(s)) return false;
    // Without an epoch, a colon in the upstream part is ambiguous; dpkg rejects it.
    const colon = s.indexOf(':');
    return colon === -1 || /^\d+$/.test(s.slice(0, colon));
  },
};
