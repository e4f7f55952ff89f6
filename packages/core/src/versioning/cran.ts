// CRAN (R package_version) versions: integers separated by "." or "-", compared one by one;
// when one is a prefix of the other, the longer is newer (1.0 < 1.0.0).

import { compareNumberLists } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string) => v.trim().split(/[.-]/));

export function compareCran(a: string, b: string): number {
  if (a === b) return 0;
  return compareNumberLists(parse(a), parse(b));
}

export const cranScheme: VersionScheme = {
  ecosystems: ['CRAN', 'Bioconductor'],
  compare: compareCran,
  isValid: (v) => /^\s*\d+(?:[.-]\d+)*\s*$/.test(v),
};
