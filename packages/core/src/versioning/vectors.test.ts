// Gate: every ordering vector in the shared data (from osv-scalibr's semantic testdata, real
// outputs of dpkg, rpm, apk, packaging, Maven, Gem, Composer…) must agree with our comparators.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { semverScheme, versionSchemeFor } from './index.js';
import type { VersionScheme } from './types.js';

const schemeByFilePrefix: Record<string, VersionScheme | undefined> = {
  alpine: versionSchemeFor('Alpine'),
  cran: versionSchemeFor('CRAN'),
  debian: versionSchemeFor('Debian'),
  hackage: versionSchemeFor('Hackage'),
  maven: versionSchemeFor('Maven'),
  nuget: versionSchemeFor('NuGet'),
  packagist: versionSchemeFor('Packagist'),
  pub: versionSchemeFor('Pub'),
  pypi: versionSchemeFor('PyPI'),
  redhat: versionSchemeFor('Red Hat'),
  rubygems: versionSchemeFor('RubyGems'),
  semver: semverScheme,
};

interface Vector {
  line: number;
  a: string;
  op: '<' | '=' | '>';
  b: string;
}

function readVectors(file: string): Vector[] {
  const out: Vector[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, idx) => {
    const t = text.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('//')) return;
    const m = /^(\S+) ([<=>]) (\S+)$/.exec(t);
    if (!m) throw new Error(`${file}:${idx + 1}: unreadable vector "${t}"`);
    out.push({ line: idx + 1, a: m[1] as string, op: m[2] as Vector['op'], b: m[3] as string });
  });
  return out;
}

const dir = sharedDataPath('version-vectors');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const expected = { '<': -1, '=': 0, '>': 1 } as const;

describe('version vectors', () => {
  it('covers every vector file with a scheme', () => {
    const missing = files.filter((f) => schemeByFilePrefix[f.split('-')[0] as string] === undefined);
    expect(missing).toEqual([]);
  });

  for (const file of files) {
    const vectors = readVectors(path.join(dir, file));
    const scheme = schemeByFilePrefix[file.split('-')[0] as string];
    it(`${file}: all ${vectors.length} vectors agree, both ways round`, () => {
      const s = scheme as VersionScheme;
      const failures: string[] = [];
      for (const v of vectors) {
        const want = expected[v.op];
        const got = Math.sign(s.compare(v.a, v.b));
        const back = Math.sign(s.compare(v.b, v.a));
        if (got !== want || back !== -want)
          failures.push(`${file}:${v.line} ${v.a} ${v.op} ${v.b} (got ${got}, reversed ${back})`);
      }
      expect(failures.slice(0, 40), `${failures.length} of ${vectors.length} disagree`).toEqual([]);
    });
  }
});
