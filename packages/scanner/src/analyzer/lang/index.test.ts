import { describe, expect, it } from 'vitest';
import { installedAnalyzers, lockfileAnalyzers } from './index.js';

const info = { size: 4096, mode: 0o100644 };
const wanting = (
  list: readonly { name: string; required: (typeof lockfileAnalyzers)[number]['required'] }[],
  path: string,
  mode = 0o100644,
) => list.filter((a) => a.required(path, { ...info, mode })).map((a) => a.name);

describe('language analyzer lists', () => {
  it('have unique names, all in the lang category', () => {
    const all = [...new Set([...lockfileAnalyzers, ...installedAnalyzers])];
    expect(new Set(all.map((a) => a.name)).size).toBe(all.length);
    expect(all.every((a) => a.category === 'lang')).toBe(true);
  });

  it('send each source-tree file to exactly one lockfile analyzer', () => {
    const cases: Record<string, string> = {
      'package-lock.json': 'npm-lock',
      'web/yarn.lock': 'yarn-lock',
      'pnpm-lock.yaml': 'pnpm-lock',
      'requirements-dev.txt': 'pip-requirements',
      'poetry.lock': 'poetry-lock',
      'Pipfile.lock': 'pipfile-lock',
      'uv.lock': 'uv-lock',
      'go.mod': 'go-mod',
      'Cargo.lock': 'cargo-lock',
      'pom.xml': 'pom-xml',
      'gradle.lockfile': 'gradle-lockfile',
      'lib/app.jar': 'jar',
      'Gemfile.lock': 'gemfile-lock',
      'composer.lock': 'composer-lock',
      'packages.lock.json': 'nuget-lock',
      'bin/app.deps.json': 'dotnet-deps',
    };
    for (const [path, name] of Object.entries(cases)) expect(wanting(lockfileAnalyzers, path)).toEqual([name]);
    expect(wanting(lockfileAnalyzers, 'node_modules/a/package.json')).toEqual([]);
    expect(wanting(lockfileAnalyzers, 'README.md')).toEqual([]);
    expect(wanting(lockfileAnalyzers, 'myvendor/composer.lock')).toEqual(['composer-lock']);
    expect(wanting(lockfileAnalyzers, 'app/vendor/acme/lib/composer.lock')).toEqual([]);
    expect(wanting(lockfileAnalyzers, 'vendor/github.com/a/b/go.mod')).toEqual([]);
    expect(wanting(lockfileAnalyzers, 'root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod')).toEqual([]);
  });

  it('send installed-package records in images to the installed analyzers', () => {
    const cases: Record<string, string> = {
      'usr/lib/node_modules/npm/package.json': 'node-pkg',
      'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': 'python-pkg',
      'usr/local/bundle/specifications/rack-3.0.9.gemspec': 'gemspec',
      'var/www/vendor/composer/installed.json': 'composer-installed',
      'opt/app/lib/guava.jar': 'jar',
      'app/app.deps.json': 'dotnet-deps',
    };
    for (const [path, name] of Object.entries(cases)) expect(wanting(installedAnalyzers, path)).toEqual([name]);
    expect(wanting(installedAnalyzers, 'usr/local/bin/app', 0o100755)).toEqual(['go-binary']);
    expect(wanting(installedAnalyzers, 'app/package-lock.json')).toEqual([]);
  });
});
