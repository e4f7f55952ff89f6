import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { cargoLockAnalyzer } from './cargo-lock.js';

describe('Cargo.lock', () => {
  it('v3: registry crates only (workspace members, path and git crates skipped), duplicates by version kept', async () => {
    const { packages, warnings } = await run(cargoLockAnalyzer, 'Cargo.lock', fixture('rust', 'Cargo.lock.v3'));
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(['cfg-if@1.0.0', 'log@0.4.20', 'smallvec@0.6.14', 'smallvec@1.11.0']);
    expect(packages.find((p) => p.name === 'log')).toEqual({
      name: 'log',
      version: '0.4.20',
      ecosystem: 'crates.io',
      purl: 'pkg:cargo/log@0.4.20',
      filePath: 'Cargo.lock',
    });
  });

  it('v1 (checksums in [metadata]) and v4 (sparse registry)', async () => {
    expect(ids((await run(cargoLockAnalyzer, 'Cargo.lock', fixture('rust', 'Cargo.lock.v1'))).packages)).toEqual([
      'libc@0.2.62',
    ]);
    expect(ids((await run(cargoLockAnalyzer, 'Cargo.lock', fixture('rust', 'Cargo.lock.v4'))).packages)).toEqual([
      'serde@1.0.210',
    ]);
  });

  it('warns on a file that is not TOML', async () => {
    const r = await run(cargoLockAnalyzer, 'x/Cargo.lock', 'version = = 3');
    expect(r.result).toBeUndefined();
    expect(r.warnings[0]).toMatch(/^x\/Cargo\.lock: not valid TOML/);
  });
});
