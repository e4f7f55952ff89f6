import { describe, expect, it } from 'vitest';
import { fixture, run } from '../__fixtures__/harness.js';
import { composerInstalledAnalyzer, composerLockAnalyzer } from './composer-lock.js';

const listing = (ps: { name: string; version: string; dev?: boolean }[]) =>
  ps.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`);

describe('composer', () => {
  it('composer.lock: packages and packages-dev, path repositories and dev branches skipped', async () => {
    const { packages, warnings } = await run(composerLockAnalyzer, 'composer.lock', fixture('php', 'composer.lock'));
    expect(warnings).toEqual([]);
    expect(listing(packages)).toEqual([
      'guzzlehttp/guzzle@7.8.1',
      'symfony/http-foundation@v6.4.3',
      'phpunit/phpunit@10.5.10 dev',
    ]);
    expect(packages[0]).toMatchObject({ ecosystem: 'Packagist', purl: 'pkg:composer/guzzlehttp/guzzle@7.8.1' });
  });

  it('vendor/composer/installed.json (Composer 2 shape, dev-package-names) and the Composer 1 bare array', async () => {
    const path = 'var/www/vendor/composer/installed.json';
    expect(composerInstalledAnalyzer.required(path, { size: 100, mode: 0o100644 })).toBe(true);
    const v2 = await run(composerInstalledAnalyzer, path, fixture('php', 'vendor', 'composer', 'installed.json'));
    expect(listing(v2.packages)).toEqual(['guzzlehttp/guzzle@7.8.1', 'phpunit/phpunit@10.5.10 dev']);
    const v1 = await run(composerInstalledAnalyzer, path, '[{"name":"monolog/monolog","version":"1.27.1"}]');
    expect(listing(v1.packages)).toEqual(['monolog/monolog@1.27.1']);
  });

  it('warns on JSON of another shape', async () => {
    expect((await run(composerLockAnalyzer, 'composer.lock', '{"name":"x"}')).warnings[0]).toMatch(
      /not a Composer lock/,
    );
  });
});
