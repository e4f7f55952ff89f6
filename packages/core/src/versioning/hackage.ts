// Hackage (Haskell Data.Version) versions: dot-separated integers compared as lists, so a
// version that extends another is newer (1.0 < 1.0.0).

import { compareNumberLists } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string) => v.trim().split('.'));

export function compareHackage(a: string, b: string): number {
  if (a === b) return 0;
  return compareNumberLists(parse(a), parse(b));
}

export const hackageScheme: VersionScheme = {
  ecosystems: ['Hackage', 'GHC'],
  compare: compareHackage,
  isValid: (v) => /^\s*\d+(?:\.\d+)*\s*$/.test(v),
};
