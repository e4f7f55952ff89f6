import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../../test-support/paths.js';
import { apkInstalledAnalyzer, parseApkInstalled } from './apk-installed.js';
import { finalizeOsPackages } from './finalize-os-packages.js';

const fixture = readFileSync(path.join(repoRoot, 'packages/scanner/test/fixtures/os-pkgs/apk-installed'));

describe('parseApkInstalled', () => {
  it('reads name, version, arch, origin, license and commit of each package', () => {
    const pkgs = parseApkInstalled(fixture, 'lib/apk/db/installed');
    expect(pkgs.map((p) => p.name)).toEqual(['musl', 'libcrypto3', 'busybox-binsh']);
    expect(pkgs[1]).toMatchObject({
      name: 'libcrypto3',
      version: '3.1.4-r5',
      arch: 'x86_64',
      srcName: 'openssl',
      srcVersion: '3.1.4-r5',
      licenses: ['Apache-2.0'],
      commit: 'b1fd5e9fa1d8ba6ee3e8d0f7c4d7fd7ae4a5c7e7',
      filePath: 'lib/apk/db/installed',
    });
  });

  it('falls back to the package name when there is no origin', () => {
    expect(parseApkInstalled('P:a\nV:1-r0\n', 'installed')).toMatchObject([{ name: 'a', srcName: 'a' }]);
  });

  it('names the file and line of a malformed line or stanza', () => {
    expect(() => parseApkInstalled('P:a\nV:1\ngarbage\n', 'lib/apk/db/installed')).toThrow(
      /lib\/apk\/db\/installed:3: expected "X:value"/,
    );
    expect(() => parseApkInstalled('\n\nP:a\nA:x86_64\n', 'installed')).toThrow(/installed:3: package stanza lacks/);
  });

  it('throws only InputError on arbitrary text (fuzz)', () => {
    const line = fc.oneof(fc.constantFrom('P:x', 'V:1-r0', 'o:y', 'L:MIT', ''), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        try {
          parseApkInstalled(lines.join('\n'), 'installed');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('apk analyzer', () => {
  it('gives Alpine, Wolfi and Chainguard purls once the OS is known', async () => {
    expect(apkInstalledAnalyzer.required('lib/apk/db/installed', { size: 1, mode: 0o100644 })).toBe(true);
    expect(apkInstalledAnalyzer.required('lib/apk/db/triggers', { size: 1, mode: 0o100644 })).toBe(false);
    const result = await apkInstalledAnalyzer.analyze(
      { path: 'lib/apk/db/installed', size: fixture.length, mode: 0o100644, content: fixture },
      { warn: () => {} },
    );
    const set = result?.packageSets?.[0];
    if (!set) throw new Error('no package set');
    const alpine = finalizeOsPackages(set, { family: 'alpine', version: '3.19.1' });
    expect(alpine.packages[0]).toMatchObject({
      ecosystem: 'Alpine',
      purl: 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=3.19.1',
    });
    const wolfi = finalizeOsPackages(set, { family: 'wolfi', version: '20230201' });
    expect(wolfi.packages[0]).toMatchObject({
      ecosystem: 'Wolfi',
      purl: 'pkg:apk/wolfi/musl@1.2.4_git20230717-r4?arch=x86_64&distro=20230201',
    });
    expect(finalizeOsPackages(set, { family: 'chainguard', version: '' }).packages[0]?.purl).toBe(
      'pkg:apk/chainguard/musl@1.2.4_git20230717-r4?arch=x86_64',
    );
  });

  it('leaves language package sets alone', () => {
    const set = { class: 'lang-pkgs' as const, type: 'npm', filePath: 'package-lock.json', packages: [] };
    expect(finalizeOsPackages(set, { family: 'alpine', version: '3.19.1' })).toBe(set);
  });
});
