import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { pythonInstalledAnalyzer } from './dist-info.js';
import { pipfileLockAnalyzer } from './pipfile-lock.js';
import { poetryLockAnalyzer } from './poetry-lock.js';
import { requirementsAnalyzer } from './requirements.js';
import { uvLockAnalyzer } from './uv-lock.js';

const withDev = (ps: { name: string; version: string; dev?: boolean }[]) =>
  ps.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`).sort();

describe('requirements.txt', () => {
  it('keeps exact pins only, through comments, extras, markers, hashes and continuations', async () => {
    const { packages, warnings, result } = await run(
      requirementsAnalyzer,
      'requirements-prod.txt',
      fixture('python', 'requirements', 'requirements-prod.txt'),
    );
    expect(warnings).toEqual([]);
    expect(result?.packageSets?.[0]?.type).toBe('pip');
    expect(ids(packages)).toEqual([
      'Django@4.2.11',
      'requests@2.31.0',
      'typing_extensions@4.10.0',
      'urllib3@2.2.1',
      'zope.interface@6.2',
    ]);
    expect(packages.find((p) => p.name === 'zope.interface')).toEqual({
      name: 'zope.interface',
      version: '6.2',
      ecosystem: 'PyPI',
      purl: 'pkg:pypi/zope-interface@6.2',
      filePath: 'requirements-prod.txt',
    });
    expect(packages.find((p) => p.name === 'Django')?.purl).toBe('pkg:pypi/django@4.2.11');
  });

  it('wants requirements*.txt files only', () => {
    const info = { size: 100, mode: 0o100644 };
    expect(requirementsAnalyzer.required('requirements.txt', info)).toBe(true);
    expect(requirementsAnalyzer.required('app/requirements-dev.txt', info)).toBe(true);
    expect(requirementsAnalyzer.required('app/constraints.txt', info)).toBe(false);
    expect(requirementsAnalyzer.required('requirements.in', info)).toBe(false);
  });
});

describe('poetry.lock', () => {
  it('Poetry 1.x: category marks dev packages, directory sources are skipped', async () => {
    const { packages, warnings } = await run(
      poetryLockAnalyzer,
      'poetry.lock',
      fixture('python', 'poetry-1.4', 'poetry.lock'),
    );
    expect(warnings).toEqual([]);
    expect(withDev(packages)).toEqual([
      'Typing_Extensions@4.7.1',
      'certifi@2023.7.22',
      'iniconfig@2.0.0 dev',
      'pytest@7.4.0 dev',
    ]);
    expect(packages.find((p) => p.name === 'Typing_Extensions')?.purl).toBe('pkg:pypi/typing-extensions@4.7.1');
  });

  it('Poetry 2: groups decide dev, a package in main and dev is not dev, git sources are skipped', async () => {
    const { packages } = await run(poetryLockAnalyzer, 'poetry.lock', fixture('python', 'poetry-2', 'poetry.lock'));
    expect(withDev(packages)).toEqual(['colorama@0.4.6', 'pytest@8.3.4 dev', 'requests@2.32.3']);
  });

  it('warns on a file that is not TOML', async () => {
    const r = await run(poetryLockAnalyzer, 'poetry.lock', '[[package]\nname = ');
    expect(r.result).toBeUndefined();
    expect(r.warnings[0]).toMatch(/^poetry\.lock: not valid TOML/);
  });
});

describe('Pipfile.lock', () => {
  it('reads default and develop, skips VCS and path entries, a package in both is not dev', async () => {
    const { packages, warnings } = await run(
      pipfileLockAnalyzer,
      'Pipfile.lock',
      fixture('python', 'pipenv', 'Pipfile.lock'),
    );
    expect(warnings).toEqual([]);
    expect(withDev(packages)).toEqual(['django@5.0.6', 'pytest@8.2.2 dev', 'sqlparse@0.5.0']);
  });

  it('warns on JSON of another shape', async () => {
    expect((await run(pipfileLockAnalyzer, 'Pipfile.lock', '{"a":1}')).warnings[0]).toMatch(/not a Pipfile\.lock/);
  });
});

describe('uv.lock', () => {
  it('reports registry packages only and derives dev from the project’s dependency graph', async () => {
    const { packages, warnings } = await run(uvLockAnalyzer, 'uv.lock', fixture('python', 'uv', 'uv.lock'));
    expect(warnings).toEqual([]);
    expect(withDev(packages)).toEqual(['certifi@2024.8.30', 'pluggy@1.5.0 dev', 'requests@2.32.3']);
  });
});

describe('installed Python packages', () => {
  it('reads dist-info METADATA headers, not the description body', async () => {
    const path = 'usr/lib/python3/site-packages/Flask-3.0.3.dist-info/METADATA';
    expect(pythonInstalledAnalyzer.required(path, { size: 3000, mode: 0o100644 })).toBe(true);
    const { packages } = await run(
      pythonInstalledAnalyzer,
      path,
      fixture('python', 'site-packages', 'Flask-3.0.3.dist-info', 'METADATA'),
    );
    expect(packages).toEqual([
      {
        name: 'Flask',
        version: '3.0.3',
        ecosystem: 'PyPI',
        purl: 'pkg:pypi/flask@3.0.3',
        filePath: path,
        licenses: ['BSD-3-Clause'],
      },
    ]);
  });

  it('reads egg-info PKG-INFO', async () => {
    const path = 'site-packages/PyYAML-6.0.1.egg-info/PKG-INFO';
    expect(pythonInstalledAnalyzer.required(path, { size: 3000, mode: 0o100644 })).toBe(true);
    const { packages } = await run(
      pythonInstalledAnalyzer,
      path,
      fixture('python', 'site-packages', 'PyYAML-6.0.1.egg-info', 'PKG-INFO'),
    );
    expect(packages.map((p) => [p.name, p.version, p.purl, p.licenses])).toEqual([
      ['PyYAML', '6.0.1', 'pkg:pypi/pyyaml@6.0.1', ['MIT']],
    ]);
  });

  it('warns when Name or Version is missing', async () => {
    const r = await run(pythonInstalledAnalyzer, 'x.dist-info/METADATA', 'Metadata-Version: 2.1\nName: a\n');
    expect(r.result).toBeUndefined();
    expect(r.warnings[0]).toMatch(/^x\.dist-info\/METADATA: .*without Name or Version/);
  });
});
