// npm versions as node-semver orders them: full MAJOR.MINOR.PATCH, loose "v"/"=" prefixes,
// prereleases below their release, build metadata ignored.

import { cachedParser } from './parse-cache.js';
import { compareSemver, parseSemverLike } from './semver.js';
import type { VersionScheme } from './types.js';

const parse = cachedParser((v: string) => parseSemverLike(v, 3));

export const npmScheme: VersionScheme = {
  ecosystems: ['npm'],
  compare: compareSemver,
  isValid: (v) => {
    const p = parse(v);
    return p.parsed && p.strict && p.coreWritten === 3;
  },
};
