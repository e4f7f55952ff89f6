import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { nodeModulesAnalyzer } from './node-modules.js';
import { npmLockAnalyzer } from './package-lock.js';
import { pnpmLockAnalyzer } from './pnpm-lock.js';
import { yarnLockAnalyzer } from './yarn-lock.js';

interface LsNode {
  version?: string;
  dependencies?: Record<string, LsNode>;
}

/** npm's own view of the installed tree (npm ls --all --json), flattened to name@version. */
function npmLsIds(file: string): string[] {
  const tree = JSON.parse(fixture('npm', file).toString()) as LsNode;
  const out = new Set<string>();
  const walk = (deps: Record<string, LsNode> | undefined) => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      out.add(`${name}@${node.version}`);
      walk(node.dependencies);
    }
  };
  walk(tree.dependencies);
  return [...out].sort();
}

const all = npmLsIds('npm-ls.json');
const prod = npmLsIds('npm-ls-prod.json');
const devIds = all.filter((id) => !prod.includes(id));

describe('npm package-lock.json', () => {
  it.each([1, 2, 3])('lockfile v%i lists exactly what npm ls lists, dev flags from npm ls --omit=dev', async (v) => {
    const { packages, warnings, result } = await run(
      npmLockAnalyzer,
      `app/package-lock.json`,
      fixture('npm', `lock-v${v}`, 'package-lock.json'),
    );
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(all);
    expect(ids(packages.filter((p) => p.dev))).toEqual(devIds);
    expect(devIds).toEqual(['is-number@7.0.0']);
    expect(result?.packageSets?.[0]).toMatchObject({
      class: 'lang-pkgs',
      type: 'npm',
      filePath: 'app/package-lock.json',
    });
    const scoped = packages.find((p) => p.name === '@babel/helper-string-parser');
    expect(scoped).toEqual({
      name: '@babel/helper-string-parser',
      version: '7.24.8',
      ecosystem: 'npm',
      purl: 'pkg:npm/%40babel/helper-string-parser@7.24.8',
      filePath: 'app/package-lock.json',
    });
  });

  it.each([1, 3])('skips workspace, link and file: entries (lockfile v%i)', async (v) => {
    const { packages } = await run(
      npmLockAnalyzer,
      'package-lock.json',
      fixture('npm', `workspace-v${v}`, 'package-lock.json'),
    );
    expect(ids(packages)).toEqual(['is-number@7.0.0', 'ms@2.1.3']);
  });

  it('reads aliased installs under their real name', async () => {
    const lock = {
      lockfileVersion: 3,
      packages: { '': {}, 'node_modules/old-ms': { name: 'ms', version: '2.0.0', resolved: 'https://r/ms.tgz' } },
    };
    const { packages } = await run(npmLockAnalyzer, 'package-lock.json', JSON.stringify(lock));
    expect(ids(packages)).toEqual(['ms@2.0.0']);
  });

  it('wants lockfiles and shrinkwraps, not lockfiles shipped inside node_modules', () => {
    const info = { size: 10, mode: 0o100644 };
    expect(npmLockAnalyzer.required('package-lock.json', info)).toBe(true);
    expect(npmLockAnalyzer.required('a/npm-shrinkwrap.json', info)).toBe(true);
    expect(npmLockAnalyzer.required('node_modules/x/package-lock.json', info)).toBe(false);
    expect(npmLockAnalyzer.required('package.json', info)).toBe(false);
  });

  it('warns on a truncated lockfile and on a binary one', async () => {
    const text = fixture('npm', 'lock-v3', 'package-lock.json').toString();
    const truncated = await run(npmLockAnalyzer, 'x/package-lock.json', text.slice(0, 200));
    expect(truncated.result).toBeUndefined();
    expect(truncated.warnings[0]).toMatch(/^x\/package-lock\.json: not valid JSON/);
    const binary = await run(npmLockAnalyzer, 'package-lock.json', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    expect(binary.warnings).toHaveLength(1);
    const wrong = await run(npmLockAnalyzer, 'package-lock.json', '[1,2]');
    expect(wrong.warnings[0]).toMatch(/not an npm lockfile/);
  });
});

describe('yarn.lock', () => {
  it.each(['yarn-v1', 'yarn-berry'])('%s lists the same packages npm resolved, without the workspace', async (dir) => {
    const { packages, warnings } = await run(yarnLockAnalyzer, 'yarn.lock', fixture('npm', dir, 'yarn.lock'));
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(all);
    expect(packages.find((p) => p.name === '@babel/helper-string-parser')?.purl).toBe(
      'pkg:npm/%40babel/helper-string-parser@7.24.8',
    );
  });

  it('yarn v1: skips file:, link: and git entries and follows npm: aliases', async () => {
    const lock = [
      '# yarn lockfile v1',
      '',
      'local@file:../local:',
      '  version "1.0.0"',
      '',
      '"fork@git+https://github.com/a/b.git#abc":',
      '  version "2.0.0"',
      '  resolved "git+https://github.com/a/b.git#abc"',
      '',
      'old-ms@npm:ms@2.0.0:',
      '  version "2.0.0"',
      '  resolved "https://registry.yarnpkg.com/ms/-/ms-2.0.0.tgz"',
      '',
    ].join('\n');
    expect(ids((await run(yarnLockAnalyzer, 'yarn.lock', lock)).packages)).toEqual(['ms@2.0.0']);
  });

  it('berry: reads patched packages, skips workspaces, links and git', async () => {
    const lock = [
      '__metadata:',
      '  version: 8',
      '',
      '"resolve@patch:resolve@npm%3A^1.22.1#~builtin<compat/resolve>":',
      '  version: 1.22.8',
      '  resolution: "resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>::version=1.22.8&hash=c3c19d"',
      '',
      '"mylib@link:./lib::locator=app%40workspace%3A.":',
      '  version: 0.0.0-use.local',
      '  resolution: "mylib@link:./lib::locator=app%40workspace%3A."',
      '',
      '"dep@https://github.com/a/dep.git#commit=abc":',
      '  version: 1.0.0',
      '  resolution: "dep@https://github.com/a/dep.git#commit=abc"',
      '',
    ].join('\n');
    expect(ids((await run(yarnLockAnalyzer, 'yarn.lock', lock)).packages)).toEqual(['resolve@1.22.8']);
  });
});

describe('pnpm-lock.yaml', () => {
  it.each(['pnpm-v5', 'pnpm-v6', 'pnpm-v9'])('%s lists what npm resolved, with the same dev flags', async (dir) => {
    const { packages, warnings } = await run(pnpmLockAnalyzer, 'pnpm-lock.yaml', fixture('npm', dir, 'pnpm-lock.yaml'));
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(all);
    expect(ids(packages.filter((p) => p.dev))).toEqual(devIds);
    expect(packages.find((p) => p.name === '@babel/helper-string-parser')?.purl).toBe(
      'pkg:npm/%40babel/helper-string-parser@7.24.8',
    );
  });

  it('v9: peer suffixes and transitive dev-only packages', async () => {
    const lock = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a: {specifier: ^1, version: 1.0.0(p@2.0.0)}',
      '    devDependencies:',
      '      t: {specifier: ^3, version: 3.0.0}',
      '      local: {specifier: link:../local, version: link:../local}',
      'packages:',
      '  a@1.0.0: {resolution: {integrity: x}}',
      '  p@2.0.0: {resolution: {integrity: x}}',
      '  t@3.0.0: {resolution: {integrity: x}}',
      '  u@4.0.0: {resolution: {integrity: x}}',
      "  g@https://codeload.github.com/a/g/tar.gz/abc: {resolution: {tarball: 'https://codeload.github.com/a/g/tar.gz/abc'}, version: 1.0.0}",
      'snapshots:',
      '  a@1.0.0(p@2.0.0):',
      '    dependencies: {p: 2.0.0}',
      '  p@2.0.0: {}',
      '  t@3.0.0:',
      '    dependencies: {u: 4.0.0}',
      '  u@4.0.0: {}',
    ].join('\n');
    const { packages } = await run(pnpmLockAnalyzer, 'pnpm-lock.yaml', lock);
    expect(packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`).sort()).toEqual([
      'a@1.0.0',
      'p@2.0.0',
      't@3.0.0 dev',
      'u@4.0.0 dev',
    ]);
  });

  it('warns on text or binary that is not a pnpm lockfile', async () => {
    expect((await run(pnpmLockAnalyzer, 'pnpm-lock.yaml', 'a: [')).warnings[0]).toMatch(
      /^pnpm-lock\.yaml: not a pnpm lockfile/,
    );
    expect((await run(pnpmLockAnalyzer, 'pnpm-lock.yaml', 'a: 1')).warnings[0]).toMatch(/not a pnpm lockfile/);
    expect((await run(pnpmLockAnalyzer, 'pnpm-lock.yaml', Buffer.from([0x7f, 0x45, 0, 1]))).warnings).toHaveLength(1);
  });
});

describe('installed node_modules', () => {
  const manifests = [
    'node_modules/@babel/helper-string-parser/package.json',
    'node_modules/debug/node_modules/ms/package.json',
    'node_modules/debug/package.json',
    'node_modules/is-number/package.json',
    'node_modules/ms/package.json',
  ];

  it('reads one package per installed manifest, matching npm ls', async () => {
    const found = [];
    for (const m of manifests) {
      expect(nodeModulesAnalyzer.required(`app/${m}`, { size: 1000, mode: 0o100644 })).toBe(true);
      // Stored with node_modules/ renamed nm/, since git ignores node_modules folders.
      const stored = m.replaceAll('node_modules/', 'nm/');
      const { packages, result } = await run(
        nodeModulesAnalyzer,
        `app/${m}`,
        fixture('npm', 'node_modules-tree', stored),
      );
      expect(result?.packageSets?.[0]?.filePath).toBe(`app/${m}`);
      found.push(...packages);
    }
    expect(ids(found)).toEqual(all);
    expect(found.find((p) => p.name === 'ms' && p.version === '2.1.3')?.licenses).toEqual(['MIT']);
  });

  it('only wants package roots, not nested manifests, the root project or the hidden lockfile', () => {
    const info = { size: 1000, mode: 0o100644 };
    expect(nodeModulesAnalyzer.required('package.json', info)).toBe(false);
    expect(nodeModulesAnalyzer.required('node_modules/a/test/package.json', info)).toBe(false);
    expect(nodeModulesAnalyzer.required('node_modules/.package-lock.json', info)).toBe(false);
    expect(nodeModulesAnalyzer.required('node_modules/.pnpm/node_modules/a/package.json', info)).toBe(true);
    expect(nodeModulesAnalyzer.required('usr/lib/node_modules/npm/package.json', info)).toBe(true);
  });

  it('ignores manifests without name or version and warns on broken JSON', async () => {
    expect((await run(nodeModulesAnalyzer, 'node_modules/a/package.json', '{"type":"module"}')).result).toBeUndefined();
    const bad = await run(nodeModulesAnalyzer, 'node_modules/a/package.json', '{"name":');
    expect(bad.result).toBeUndefined();
    expect(bad.warnings).toHaveLength(1);
  });
});
