// Go module versions: semver with an optional "v"; pseudo-versions (v0.0.0-20210101-abcdef) are
// prereleases and "+incompatible" is build metadata, so plain semver order already fits them.

import { cachedParser } from './parse-cache.js';
import { compareSemver, parseSemverLike } from './semver.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string) => parseSemverLike(v, 3));

export const goScheme: VersionScheme = {
  ecosystems: ['Go'],
  compare: compareSemver,
  isValid: (v) => {
    const p = parse(v);
    return p.parsed && p.strict;
  },
};
