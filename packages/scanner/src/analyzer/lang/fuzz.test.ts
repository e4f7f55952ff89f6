// Property tests: no input, however broken, makes a language analyzer throw; bad input becomes a
// warning naming the file. Real fixtures are mutated (truncated, bytes flipped, text spliced in).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../types.js';
import { fixture, run } from './__fixtures__/harness.js';
import { installedAnalyzers, lockfileAnalyzers } from './index.js';

const analyzers = [...new Set([...lockfileAnalyzers, ...installedAnalyzers])];

/** For each analyzer: the path it is run with and real fixtures of its format. */
const seeds: Record<string, [string, Buffer[]]> = {
  'npm-lock': ['package-lock.json', [1, 2, 3].map((v) => fixture('npm', `lock-v${v}`, 'package-lock.json'))],
  'yarn-lock': ['yarn.lock', [fixture('npm', 'yarn-v1', 'yarn.lock'), fixture('npm', 'yarn-berry', 'yarn.lock')]],
  'pnpm-lock': ['pnpm-lock.yaml', ['pnpm-v5', 'pnpm-v6', 'pnpm-v9'].map((d) => fixture('npm', d, 'pnpm-lock.yaml'))],
  'node-pkg': ['node_modules/debug/package.json', [fixture('npm', 'node_modules-tree', 'nm', 'debug', 'package.json')]],
  'pip-requirements': ['requirements.txt', [fixture('python', 'requirements', 'requirements-prod.txt')]],
  'poetry-lock': [
    'poetry.lock',
    [fixture('python', 'poetry-1.4', 'poetry.lock'), fixture('python', 'poetry-2', 'poetry.lock')],
  ],
  'pipfile-lock': ['Pipfile.lock', [fixture('python', 'pipenv', 'Pipfile.lock')]],
  'uv-lock': ['uv.lock', [fixture('python', 'uv', 'uv.lock')]],
  'python-pkg': ['a.dist-info/METADATA', [fixture('python', 'site-packages', 'Flask-3.0.3.dist-info', 'METADATA')]],
  'go-mod': ['go.mod', [fixture('go', 'go.mod.fixture')]],
  'go-binary': ['bin/app', [fixture('go', 'fixtureapp')]],
  'cargo-lock': ['Cargo.lock', [fixture('rust', 'Cargo.lock.v3')]],
  'pom-xml': ['pom.xml', [fixture('java', 'pom.xml')]],
  'gradle-lockfile': ['gradle.lockfile', [fixture('java', 'gradle.lockfile')]],
  jar: ['a.jar', [fixture('java', 'greeter-1.4.2.jar'), fixture('java', 'shop.war')]],
  'gemfile-lock': ['Gemfile.lock', [fixture('ruby', 'Gemfile.lock')]],
  gemspec: ['specifications/rake.gemspec', [fixture('ruby', 'specifications', 'rake-13.1.0.gemspec')]],
  'composer-lock': ['composer.lock', [fixture('php', 'composer.lock')]],
  'composer-installed': ['vendor/composer/installed.json', [fixture('php', 'vendor', 'composer', 'installed.json')]],
  'nuget-lock': ['packages.lock.json', [fixture('dotnet', 'packages.lock.json')]],
  'dotnet-deps': ['app.deps.json', [fixture('dotnet', 'app.deps.json')]],
};

/** Runs the analyzer and checks the contract: resolves, and every warning names the file. */
async function analyzeSafely(analyzer: Analyzer, path: string, content: Buffer): Promise<void> {
  const { warnings, result } = await run(analyzer, path, content, 0o100755);
  for (const w of warnings) expect(w.startsWith(path)).toBe(true);
  for (const set of result?.packageSets ?? []) {
    for (const p of set.packages) {
      expect(typeof p.name).toBe('string');
      expect(p.purl.startsWith('pkg:')).toBe(true);
    }
  }
}

/** A mutation of a seed: truncate, flip bytes, or splice in arbitrary text. */
const mutation = (seed: Buffer) =>
  fc.oneof(
    fc.nat({ max: seed.length }).map((n) => seed.subarray(0, n)),
    fc
      .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((flips) => {
        const copy = Buffer.from(seed);
        for (const [at, byte] of flips) copy[at] = byte;
        return copy;
      }),
    fc
      .tuple(fc.nat({ max: seed.length }), fc.string({ maxLength: 40 }))
      .map(([at, text]) => Buffer.concat([seed.subarray(0, at), Buffer.from(text), seed.subarray(at)])),
  );

describe('language analyzers never throw', () => {
  it('has a seed fixture for every analyzer', () => {
    expect(analyzers.map((a) => a.name).sort()).toEqual(Object.keys(seeds).sort());
  });

  it.each(analyzers.map((a) => [a.name, a] as const))('%s: arbitrary bytes and strings', async (name, analyzer) => {
    const [path] = seeds[name]!;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
        ),
        (content) => analyzeSafely(analyzer, path, content),
      ),
      { numRuns: 60 },
    );
  });

  it.each(analyzers.map((a) => [a.name, a] as const))('%s: mutated real fixtures', async (name, analyzer) => {
    const [path, fixtures] = seeds[name]!;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtures).chain((seed) => mutation(seed)),
        (content) => analyzeSafely(analyzer, path, content),
      ),
      { numRuns: name === 'go-binary' ? 30 : 80 },
    );
  });
});
