// Differential tests against the real tools: Debian against dpkg --compare-versions, RPM against
// rpm.vercmp, PyPI against Python's packaging (hundreds of pairs per spawn), npm against node-semver.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import nodeSemver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { debianVersion, pep440Version, rpmVersion, semverVersion } from './__fixtures__/version-arbitraries.js';
import { debianScheme } from './debian.js';
import { npmScheme } from './npm.js';
import { pep440Scheme } from './pep440.js';
import { rpmScheme } from './rpm.js';
import type { VersionScheme } from './types.js';

const work = mkdtempSync(path.join(tmpdir(), 'palisade-vercmp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// One bash process runs dpkg for every pair; dpkg only answers yes/no, so ask "lt" then "eq".
const DPKG_BATCH = `while IFS=$'\\t' read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" eq "$b"; then echo 0
  else echo 1; fi
done`;

function dpkgOrder(pairs: ReadonlyArray<readonly [string, string]>): number[] {
  const input = `${pairs.map(([a, b]) => `${a}\t${b}`).join('\n')}\n`;
  const out = execFileSync('bash', ['-c', DPKG_BATCH], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return out.trim().split('\n').map(Number);
}

// rpm's embedded Lua reads the pairs from a file, so no version text passes through macros.
function rpmOrder(pairs: ReadonlyArray<readonly [string, string]>): number[] {
  const file = path.join(work, 'pairs.txt');
  writeFileSync(file, `${pairs.map(([a, b]) => `${a}\t${b}`).join('\n')}\n`);
  const lua = `%{lua: for line in io.lines("${file}") do local a, b = line:match("^([^\\t]*)\\t(.*)$"); print(rpm.vercmp(a, b) .. "\\n") end}`;
  const out = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

// One Python process orders every pair with packaging.version.Version (PEP 440 proper); a pair
// with a version packaging rejects answers "invalid", which our isValid must say too.
const PYTHON_BATCH = `import sys
from packaging.version import Version, InvalidVersion
def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None
for line in sys.stdin:
    a, b = line.rstrip("\\n").split("\\t")
    x, y = parse(a), parse(b)
    if x is None or y is None:
        print("invalid")
    else:
        print(-1 if x < y else 0 if x == y else 1)`;

function packagingOrder(pairs: ReadonlyArray<readonly [string, string]>): Array<number | 'invalid'> {
  const input = `${pairs.map(([a, b]) => `${a}\t${b}`).join('\n')}\n`;
  const out = execFileSync('python3', ['-c', PYTHON_BATCH], { input, encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => (l === 'invalid' ? 'invalid' : Number(l)));
}

/** Pairs that differ late as well as early: half are a version and a close variant of it. */
function pairsOf(version: fc.Arbitrary<string>, variants: readonly string[]): fc.Arbitrary<[string, string][]> {
  const pair = fc.oneof(
    fc.tuple(version, version),
    version.chain((a) => fc.tuple(fc.constant(a), fc.constantFrom(...variants.map((s) => a + s), a))),
    version.chain((a) => fc.tuple(fc.constantFrom(...variants.map((s) => a + s)), fc.constant(a))),
  );
  return fc.array(pair, { minLength: 200, maxLength: 200 });
}

function disagreements(
  pairs: ReadonlyArray<readonly [string, string]>,
  ours: VersionScheme,
  theirs: Array<number | 'invalid'>,
  toolValidates: boolean,
): string[] {
  expect(theirs).toHaveLength(pairs.length);
  const out: string[] = [];
  pairs.forEach(([a, b], i) => {
    // dpkg and rpm order whatever they are given; packaging also says what is valid.
    const valid = !toolValidates || (ours.isValid(a) && ours.isValid(b));
    const mine = valid ? Math.sign(ours.compare(a, b)) : 'invalid';
    if (mine !== theirs[i]) out.push(`${a} vs ${b}: ours ${mine}, tool ${theirs[i]}`);
  });
  return out;
}

describe('Debian order against dpkg (needs the dpkg package)', () => {
  it('agrees with dpkg --compare-versions on 600 generated pairs', () => {
    fc.assert(
      fc.property(pairsOf(debianVersion, ['~', '~rc1', '+b1', '.0', 'a', '1', '-1', '-0~1', '+deb12u1']), (pairs) => {
        expect(disagreements(pairs, debianScheme, dpkgOrder(pairs), false)).toEqual([]);
      }),
      // No shrinking: each step would re-run the tool; the failure message lists every bad pair.
      { numRuns: 3, endOnFailure: true },
    );
  }, 60_000);
});

describe('RPM order against rpm (needs the rpm package)', () => {
  it('agrees with rpm.vercmp on 5000 generated pairs', () => {
    fc.assert(
      fc.property(pairsOf(rpmVersion, ['~', '~rc1', '^', '^git1', '.0', 'a', '1', '-1', '.el9', '_1']), (pairs) => {
        expect(disagreements(pairs, rpmScheme, rpmOrder(pairs), false)).toEqual([]);
      }),
      { numRuns: 25, endOnFailure: true },
    );
  }, 60_000);
});

describe('PyPI order against packaging (needs the python3-packaging package)', () => {
  it('agrees with packaging.version.Version on 2000 generated pairs', () => {
    fc.assert(
      fc.property(
        pairsOf(pep440Version, ['a1', 'rc1', '.post1', '.dev0', '+local.1', '.0', '-1', 'b2.dev1']),
        (pairs) => {
          expect(disagreements(pairs, pep440Scheme, packagingOrder(pairs), true)).toEqual([]);
        },
      ),
      { numRuns: 10, endOnFailure: true },
    );
  }, 60_000);
});

describe('npm order against node-semver', () => {
  it('agrees with semver.compare and semver.valid on generated pairs', () => {
    fc.assert(
      fc.property(
        fc.oneof(semverVersion, fc.constantFrom('1.2', 'v1.2.3', '=1.2.3', '01.2.3', '1.2.3-01', '1.2.3+', 'x')),
        fc.oneof(semverVersion, fc.constantFrom('1.2.3', '1.2.3-alpha', '1.2.3-alpha.1', '1.2.3-ALPHA', '2.0.0')),
        (a, b) => {
          const valid = nodeSemver.valid(a, { loose: true }) !== null && nodeSemver.valid(b, { loose: true }) !== null;
          if (!valid) return;
          expect(npmScheme.isValid(a) && npmScheme.isValid(b), `${a} / ${b} valid`).toBe(true);
          expect(Math.sign(npmScheme.compare(a, b)), `${a} vs ${b}`).toBe(nodeSemver.compare(a, b, { loose: true }));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
