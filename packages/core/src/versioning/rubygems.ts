// RubyGems versions as Gem::Version orders them: numeric and letter segments, any letter makes a
// prerelease that sorts below the release, trailing zeros do not count.

import { compareDigits, compareStrings } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

type Segment = { numeric: true; value: string } | { numeric: false; value: string };

const SEGMENT = /[0-9]+|[a-z]+/gi;

function isZero(s: Segment): boolean {
  return s.numeric && /^0+$/.test(s.value);
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && isZero(segments[end - 1] as Segment)) end--;
  return segments.slice(0, end);
}

/** Gem::Version#canonical_segments: trailing zeros dropped before and after the first letter. */
export function parseGemVersion(input: string): Segment[] {
  // Gem::Version reads "1.0-beta" as "1.0.pre.beta".
  const v = input.trim().replaceAll('-', '.pre.');
  const segments: Segment[] = [];
  for (const m of v.matchAll(SEGMENT)) {
    const text = m[0];
    const c = text.charCodeAt(0);
    segments.push(c >= 48 && c <= 57 ? { numeric: true, value: text } : { numeric: false, value: text });
  }
  const firstString = segments.findIndex((s) => !s.numeric);
  if (firstString === -1) return dropTrailingZeros(segments);
  return [...dropTrailingZeros(segments.slice(0, firstString)), ...dropTrailingZeros(segments.slice(firstString))];
}

const ZERO: Segment = { numeric: true, value: '0' };
const parse = cachedParser(parseGemVersion);

export function compareGem(a: string, b: string): number {
  if (a === b) return 0;
  const x = parse(a);
  const y = parse(b);
  const n = Math.max(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const l = x[k] ?? ZERO;
    const r = y[k] ?? ZERO;
    if (l.numeric && r.numeric) {
      const c = compareDigits(l.value, r.value);
      if (c !== 0) return c;
    } else if (l.numeric !== r.numeric) {
      // A letter segment (prerelease) sorts below a number in the same place.
      return l.numeric ? 1 : -1;
    } else {
      const c = compareStrings(l.value, r.value);
      if (c !== 0) return c;
    }
  }
  return 0;
}

// Gem::Version::ANCHORED_VERSION_PATTERN, plus the empty string Gem reads as "0".
const VALID_GEM = /^\s*(?:[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

export const rubygemsScheme: VersionScheme = {
  ecosystems: ['RubyGems'],
  compare: compareGem,
  isValid: (v) => VALID_GEM.test(v),
};
