// Debian and Ubuntu package versions: [epoch:]upstream[-revision] ordered as dpkg does, where
// "~" sorts before everything (even the end of the string) and letters before other symbols.

import { compareDigits, isAsciiLetterCode, isDigitCode } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

/** dpkg's weight of one non-digit character; the end of the string weighs 0 like a digit. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigitCode(c)) return 0;
  if (isAsciiLetterCode(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs, compared run by run. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitCode(a.charCodeAt(i))) || (j < b.length && !isDigitCode(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const c = compareDigits(i > si ? a.slice(si, i) : '0', j > sj ? b.slice(sj, j) : '0');
    if (c !== 0) return c;
  }
  return 0;
}

interface DebianVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Splits at the first ":" (epoch, digits only) and the last "-" (Debian revision). */
export function parseDebianVersion(input: string): DebianVersion {
  const s = input.trim();
  const colon = s.indexOf(':');
  let epoch = '0';
  let rest = s;
  if (colon !== -1 && /^\d+$/.test(s.slice(0, colon))) {
    epoch = s.slice(0, colon);
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash === -1) return { epoch, upstream: rest, revision: '' };
  return { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

const parse = cachedParser(parseDebianVersion);

export function compareDebian(a: string, b: string): number {
  if (a === b) return 0;
  const x = parse(a);
  const y = parse(b);
  return compareDigits(x.epoch, y.epoch) || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
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
