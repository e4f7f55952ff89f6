// The registry: ecosystem names (with OSV's ":release" suffix) resolve to the right scheme, and
// the ecosystems the vector files do not cover (Go, npm, crates.io, Ubuntu, Wolfi…) order right.

import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { Ecosystem } from '../package.js';
import { compareVersions, isVersionSupported, supportedEcosystems, versionSchemeFor } from './index.js';

const lt = (eco: string, a: string, b: string): void => {
  expect(Math.sign(compareVersions(eco, a, b)), `${eco}: ${a} < ${b}`).toBe(-1);
  expect(Math.sign(compareVersions(eco, b, a)), `${eco}: ${b} > ${a}`).toBe(1);
};

describe('versionSchemeFor', () => {
  it('resolves "Ecosystem:release" like the bare ecosystem', () => {
    expect(versionSchemeFor('Debian:12')).toBe(versionSchemeFor('Debian'));
    expect(versionSchemeFor('Alpine:v3.19')).toBe(versionSchemeFor('Alpine'));
    expect(versionSchemeFor('AlmaLinux:8')).toBe(versionSchemeFor('Red Hat'));
    expect(versionSchemeFor('Ubuntu:22.04:LTS')).toBe(versionSchemeFor('Debian'));
  });

  it('has a scheme for every Ecosystem in core, and nothing made up', () => {
    const all: Ecosystem[] = [
      'Debian',
      'Ubuntu',
      'Alpine',
      'Wolfi',
      'Chainguard',
      'AlmaLinux',
      'Rocky Linux',
      'Red Hat',
      'openSUSE',
      'SUSE',
      'Amazon Linux',
      'Photon OS',
      'npm',
      'PyPI',
      'Go',
      'crates.io',
      'Maven',
      'RubyGems',
      'Packagist',
      'NuGet',
      'Pub',
      'CRAN',
      'Hackage',
    ];
    for (const e of all) {
      expect(isVersionSupported(e), e).toBe(true);
    }
    expect(isVersionSupported('NoSuchEcosystem')).toBe(false);
    expect(versionSchemeFor('')).toBeUndefined();
    expect(supportedEcosystems()).toContain('Wolfi');
  });

  it('throws a clear error for an unknown ecosystem', () => {
    expect(() => compareVersions('Nope', '1', '2')).toThrow(InputError);
    expect(() => compareVersions('Nope', '1', '2')).toThrow(/no version scheme for ecosystem "Nope"/);
  });
});

describe('ecosystems beyond the vector files', () => {
  it('orders Go pseudo-versions, prereleases and +incompatible', () => {
    lt('Go', '0.0.0-20210101000000-abcdef123456', '0.0.1');
    lt('Go', 'v1.2.3-pre.0.20220101000000-abcdef123456', 'v1.2.3');
    lt('Go', '1.9.0', 'v1.10.0');
    expect(compareVersions('Go', 'v2.0.0+incompatible', '2.0.0')).toBe(0);
    expect(versionSchemeFor('Go')?.isValid('v2.0.0+incompatible')).toBe(true);
    expect(versionSchemeFor('Go')?.isValid('latest')).toBe(false);
  });

  it('orders npm like node-semver and rejects partial versions', () => {
    lt('npm', '1.0.0-alpha.1', '1.0.0-alpha.beta');
    lt('npm', '1.0.0-rc.1', '1.0.0');
    expect(compareVersions('npm', '=v1.2.3', '1.2.3')).toBe(0);
    const npm = versionSchemeFor('npm');
    expect(npm?.isValid('1.2.3-beta.1+build.5')).toBe(true);
    expect(npm?.isValid('1.2')).toBe(false);
    expect(npm?.isValid('not-a-version')).toBe(false);
  });

  it('orders crates.io, Ubuntu, Wolfi and SUSE with their families', () => {
    lt('crates.io', '0.9.0', '0.10.0-alpha');
    lt('Ubuntu', '2.7.4-1ubuntu1', '2.7.4-1ubuntu1.1');
    lt('Ubuntu', '1:1.0~rc1-1', '1:1.0-1');
    lt('Wolfi', '3.3.0-r0', '3.3.0-r1');
    lt('SUSE', '2.31-150300.52.1', '2.31-150300.59.1');
  });

  it('says which strings each scheme can order', () => {
    expect(versionSchemeFor('Debian')?.isValid('1:2.3-4+deb12u1')).toBe(true);
    expect(versionSchemeFor('Debian')?.isValid('abc')).toBe(false);
    expect(versionSchemeFor('Alpine')?.isValid('1.2.3_rc1-r0')).toBe(true);
    expect(versionSchemeFor('Alpine')?.isValid('1.2.3-foo')).toBe(false);
    expect(versionSchemeFor('PyPI')?.isValid('1.0.post1.dev2+local.1')).toBe(true);
    expect(versionSchemeFor('PyPI')?.isValid('0.1-bulbasaur')).toBe(false);
    expect(versionSchemeFor('Red Hat')?.isValid('1:2.3-4.el9')).toBe(true);
    expect(versionSchemeFor('Red Hat')?.isValid('1 2')).toBe(false);
    expect(versionSchemeFor('CRAN')?.isValid('1.0-3')).toBe(true);
    expect(versionSchemeFor('Hackage')?.isValid('1.0-3')).toBe(false);
  });
});
