// Dart Pub versions (pub_semver): semver order, except that build metadata counts — a version
// with build sorts above the same version without, builds compared like prerelease identifiers.

import { compareStrings } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import { compareIdentifierLists, compareSemverParts, parseSemverLike } from './semver.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string) => parseSemverLike(v, 3));

export function comparePub(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa.parsed && !pb.parsed) return compareStrings(a, b);
  const c = compareSemverParts(pa, pb);
  if (c !== 0 || !pa.parsed) return c;
  const ab = pa.build.length > 0;
  const bb = pb.build.length > 0;
  if (ab !== bb) return ab ? 1 : -1;
  return ab ? compareIdentifierLists(pa.build, pb.build) : 0;
}

export const pubScheme: VersionScheme = {
  ecosystems: ['Pub'],
  compare: comparePub,
  isValid: (v) => parse(v).parsed,
};
