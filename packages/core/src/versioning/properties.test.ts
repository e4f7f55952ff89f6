// Order laws every scheme must keep (antisymmetry, reflexivity, transitivity) on realistic
// generated versions, and robustness on arbitrary strings: isValid and compare never throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apkVersion,
  debianVersion,
  mavenVersion,
  nugetVersion,
  numberListVersion,
  pythonVersion,
  rpmVersion,
  semverVersion,
  versionSoup,
} from './__fixtures__/version-arbitraries.js';
import { semverScheme, versionSchemeFor } from './index.js';
import type { VersionScheme } from './types.js';

function scheme(ecosystem: string): VersionScheme {
  const s = versionSchemeFor(ecosystem);
  if (!s) throw new Error(`no scheme for ${ecosystem}`);
  return s;
}

// Generators stay inside each scheme's own grammar where the reference ordering is only total
// there: apk, Composer and Maven's ComparableVersion all order malformed strings by rules that
// are not transitive (e.g. Maven: "_0" < "-.+" = "." < "_0"), and we match the reference tools.
const cases: Array<[string, VersionScheme, fc.Arbitrary<string>]> = [
  ['SemVer', semverScheme, fc.oneof(semverVersion, versionSoup)],
  ['Go', scheme('Go'), semverVersion],
  ['npm', scheme('npm'), semverVersion],
  ['Pub', scheme('Pub'), fc.oneof(semverVersion, versionSoup)],
  ['NuGet', scheme('NuGet'), fc.oneof(nugetVersion, versionSoup)],
  ['Red Hat', scheme('Red Hat'), fc.oneof(rpmVersion, versionSoup)],
  ['Debian', scheme('Debian'), fc.oneof(debianVersion, versionSoup)],
  ['Alpine', scheme('Alpine'), apkVersion],
  ['PyPI', scheme('PyPI'), fc.oneof(pythonVersion, versionSoup)],
  ['Maven', scheme('Maven'), mavenVersion],
  ['RubyGems', scheme('RubyGems'), versionSoup],
  ['Packagist', scheme('Packagist'), fc.oneof(semverVersion, pythonVersion)],
  ['CRAN', scheme('CRAN'), numberListVersion(['.', '-'])],
  ['Hackage', scheme('Hackage'), numberListVersion(['.'])],
];

const sign = (n: number): number => Math.sign(n) || 0;
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), versionSoup);

describe.each(cases)('%s order laws', (_name, s, version) => {
  it('is reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(s.compare(a, a)).toBe(0);
        expect(sign(s.compare(a, b)) + sign(s.compare(b, a))).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('is transitive (for <, = and > alike)', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort((p, q) => s.compare(p, q));
        expect(sign(s.compare(x as string, y as string))).toBeLessThanOrEqual(0);
        expect(sign(s.compare(y as string, z as string))).toBeLessThanOrEqual(0);
        expect(sign(s.compare(x as string, z as string))).toBeLessThanOrEqual(0);
        if (s.compare(x as string, y as string) === 0 && s.compare(y as string, z as string) === 0) {
          expect(s.compare(x as string, z as string)).toBe(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws from isValid or compare on arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, fc.oneof(anyString, version), (a, b) => {
        expect(typeof s.isValid(a)).toBe('boolean');
        expect(Number.isFinite(s.compare(a, b))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('very long inputs', () => {
  const long = [
    '1.'.repeat(50_000),
    '1-'.repeat(50_000),
    'a.'.repeat(50_000),
    '1a'.repeat(50_000),
    '~'.repeat(100_000),
    `${'9'.repeat(100_000)}:1`,
    '_p1'.repeat(30_000),
  ];
  it.each(cases)('%s compares and validates 100k-character strings without failing', (_name, s) => {
    for (const a of long) {
      for (const b of long) expect(Number.isFinite(s.compare(a, b))).toBe(true);
      expect(typeof s.isValid(a)).toBe('boolean');
    }
  });
});
