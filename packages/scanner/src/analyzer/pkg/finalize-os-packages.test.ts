import { execFileSync } from 'node:child_process';
import type { OsInfo, Package } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../../test-support/paths.js';
import type { PackageSet } from '../types.js';
import { finalizeOsPackages } from './finalize-os-packages.js';
import { splitEpoch } from './os-purl.js';
import { rpmEvr } from './rpm-header.js';

const bash: Package = {
  name: 'bash',
  version: '1:5.1.8-6.el9',
  ecosystem: 'Red Hat',
  purl: 'pkg:rpm/bash@5.1.8-6.el9?arch=x86_64&epoch=1',
  srcName: 'bash',
  srcVersion: '1:5.1.8-6.el9',
  arch: 'x86_64',
  filePath: 'var/lib/rpm/rpmdb.sqlite',
};
const rpmSet: PackageSet = { class: 'os-pkgs', type: 'rpm', filePath: 'var/lib/rpm/rpmdb.sqlite', packages: [bash] };

describe('finalizeOsPackages for rpm', () => {
  it.each<[OsInfo, string, string]>([
    [
      { family: 'redhat', version: '9.3' },
      'Red Hat',
      'pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=redhat-9.3&epoch=1',
    ],
    [
      { family: 'alma', version: '9.3' },
      'AlmaLinux',
      'pkg:rpm/almalinux/bash@5.1.8-6.el9?arch=x86_64&distro=almalinux-9.3&epoch=1',
    ],
    [
      { family: 'rocky', version: '9.3' },
      'Rocky Linux',
      'pkg:rpm/rocky/bash@5.1.8-6.el9?arch=x86_64&distro=rocky-9.3&epoch=1',
    ],
    [
      { family: 'centos', version: '7.9.2009' },
      'Red Hat',
      'pkg:rpm/centos/bash@5.1.8-6.el9?arch=x86_64&distro=centos-7.9.2009&epoch=1',
    ],
    [
      { family: 'amazon', version: '2023' },
      'Amazon Linux',
      'pkg:rpm/amazon/bash@5.1.8-6.el9?arch=x86_64&distro=amazon-2023&epoch=1',
    ],
    [
      { family: 'fedora', version: '39' },
      'Red Hat',
      'pkg:rpm/fedora/bash@5.1.8-6.el9?arch=x86_64&distro=fedora-39&epoch=1',
    ],
    [
      { family: 'opensuse', version: '15.5' },
      'openSUSE',
      'pkg:rpm/opensuse/bash@5.1.8-6.el9?arch=x86_64&distro=opensuse-15.5&epoch=1',
    ],
    [{ family: 'sles', version: '15.5' }, 'SUSE', 'pkg:rpm/suse/bash@5.1.8-6.el9?arch=x86_64&distro=suse-15.5&epoch=1'],
    [
      { family: 'photon', version: '5.0' },
      'Photon OS',
      'pkg:rpm/photon/bash@5.1.8-6.el9?arch=x86_64&distro=photon-5.0&epoch=1',
    ],
  ])('names the ecosystem and purl namespace for %o', (os, ecosystem, purl) => {
    const [pkg] = finalizeOsPackages(rpmSet, os).packages;
    expect(pkg).toEqual({ ...bash, ecosystem, purl });
  });

  it('keeps the Red Hat default without an OS, and never mutates its input', () => {
    const out = finalizeOsPackages(rpmSet, undefined);
    expect(out.packages[0]?.purl).toBe('pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&epoch=1');
    expect(rpmSet.packages[0]).toBe(bash);
    expect(bash.purl).toBe('pkg:rpm/bash@5.1.8-6.el9?arch=x86_64&epoch=1');
  });
});

describe('rpm version form against real OSV data', () => {
  it('writes every AlmaLinux fixed version back exactly as OSV spells it', () => {
    // The detector compares Package.version with OSV's fixed versions; both must be "[epoch:]version-release".
    const json = execFileSync('unzip', ['-p', sharedDataPath('osv/AlmaLinux/all.zip')], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const fixed = [...json.matchAll(/"fixed": "([^"]+)"/g)].map((m) => m[1] as string);
    expect(fixed.length).toBeGreaterThan(1000);
    expect(fixed.some((v) => v.includes(':'))).toBe(true);
    for (const v of fixed) {
      const { epoch, rest } = splitEpoch(v);
      const dash = rest.lastIndexOf('-');
      expect(rpmEvr(Number(epoch ?? 0), rest.slice(0, dash), rest.slice(dash + 1))).toBe(v);
    }
  });
});
