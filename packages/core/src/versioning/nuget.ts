// NuGet versions: SemVer 2 with up to four numeric parts (missing ones are 0), prerelease labels
// compared case-insensitively, build metadata ignored.

import { compareStrings } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import { compareSemverParts, parseSemverLike, type SemverParts } from './semver.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string): SemverParts => {
  const p = parseSemverLike(v, 4);
  return { ...p, prerelease: p.prerelease.map((id) => id.toLowerCase()) };
});

export function compareNuget(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa.parsed && !pb.parsed) return compareStrings(a, b);
  return compareSemverParts(pa, pb);
}

export const nugetScheme: VersionScheme = {
  ecosystems: ['NuGet'],
  compare: compareNuget,
  isValid: (v) => parse(v).parsed,
};
