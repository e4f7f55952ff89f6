import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Ecosystem, type Finding, fingerprint, type OsInfo, type Package } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../../test-support/paths.js';
import type { PackageSet } from '../../analyzer/types.js';
import { importOsv } from '../../vulndb/import-osv.js';
import { VulnDb } from '../../vulndb/vuln-db.js';
import { detectVulnerabilities } from './detect-vulnerabilities.js';

let dir: string;
let shared: VulnDb;
let fixtures: VulnDb;

function pkg(ecosystem: Ecosystem, name: string, version: string, extra: Partial<Package> = {}): Package {
  return {
    ecosystem,
    name,
    version,
    purl: `pkg:generic/${encodeURIComponent(name)}@${encodeURIComponent(version)}`,
    ...extra,
  };
}

function langSet(type: string, ...packages: Package[]): PackageSet {
  return { class: 'lang-pkgs', type, filePath: `app/${type}.lock`, packages };
}

function osSet(type: string, ...packages: Package[]): PackageSet {
  return { class: 'os-pkgs', type, filePath: 'var/lib/pkgs', packages };
}

const ids = (findings: Finding[]) => findings.map((f) => f.ruleId);
const alma = (version: string): OsInfo => ({ family: 'alma', version });

// Small OSV records for the ecosystems the shared data lacks, written the way each source writes them.
const FIXTURES: Record<string, unknown>[] = [
  {
    id: 'GHSA-aaaa-bbbb-cccc',
    modified: '2024-02-01T00:00:00Z',
    published: '2024-01-10T00:00:00Z',
    aliases: ['CVE-2099-0001'],
    summary: 'Prototype pollution in left-pad',
    details: `Long write-up. ${'word '.repeat(400)}`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'left-pad' },
        ranges: [
          {
            type: 'SEMVER',
            events: [{ introduced: '0' }, { fixed: '1.2.5' }, { introduced: '1.3.0' }, { fixed: '1.3.2' }],
          },
        ],
      },
    ],
    references: [{ type: 'ADVISORY', url: 'https://example.test/GHSA-aaaa-bbbb-cccc' }],
    database_specific: { severity: 'CRITICAL' },
  },
  {
    id: 'NPM-EXTRA-1',
    modified: '2024-03-01T00:00:00Z',
    published: '2024-01-01T00:00:00Z',
    aliases: ['GHSA-aaaa-bbbb-cccc'],
    summary: 'Same flaw, second source',
    affected: [
      {
        package: { ecosystem: 'npm', name: 'left-pad' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.4' }] }],
      },
    ],
    references: [{ url: 'https://example.test/npm-extra-1' }],
  },
  {
    id: 'GHSA-last-affe-cted',
    modified: '2024-01-01T00:00:00Z',
    summary: 'No fix yet',
    affected: [
      {
        package: { ecosystem: 'npm', name: '@scope/tool' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { last_affected: '1.4.2' }] }],
      },
    ],
    database_specific: { severity: 'MODERATE' },
  },
  {
    id: 'GHSA-unso-rted-evts',
    modified: '2024-01-01T00:00:00Z',
    summary: 'Events out of order',
    severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'shuffled' },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '1.5.0' }, { fixed: '1.6.0' }, { introduced: '0' }, { fixed: '1.2.0' }],
          },
          { type: 'GIT', repo: 'https://example.test/repo', events: [{ introduced: '0' }, { fixed: 'abcdef' }] },
        ],
      },
    ],
  },
  {
    id: 'GHSA-limi-tedr-ange',
    modified: '2024-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'npm', name: 'limited' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit: '1.5.0' }] }],
      },
    ],
  },
  {
    id: 'PYSEC-2099-1',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2099-0002'],
    summary: 'Listed versions only',
    affected: [{ package: { ecosystem: 'PyPI', name: 'Zope.Interface' }, versions: ['1.0', '1.1'] }],
  },
  {
    id: 'GHSA-mave-nnam-eeee',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2099-0003'],
    summary: 'Maven flaw',
    affected: [
      {
        package: { ecosystem: 'Maven', name: 'org.example:widget' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.1' }] }],
      },
    ],
  },
  {
    id: 'DSA-9999-1',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2099-0004'],
    summary: 'openssl security update',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
        ecosystem_specific: { urgency: 'high' },
      },
    ],
  },
  {
    id: 'UBUNTU-CVE-2099-0005',
    modified: '2024-01-01T00:00:00Z',
    upstream: ['CVE-2099-0005'],
    summary: 'zlib flaw',
    severity: [
      { type: 'Ubuntu', score: 'medium' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    ],
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'zlib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.11.dfsg-2ubuntu9.2' }] }],
      },
    ],
  },
  {
    id: 'ALPINE-CVE-2099-0006',
    modified: '2024-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Alpine:v3.19', name: 'busybox' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.36.1-r16' }] }],
      },
    ],
  },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-detect-'));
  shared = VulnDb.open(path.join(dir, 'shared', 'osv.sqlite'));
  await importOsv(shared, sharedDataPath('osv'));
  const fixtureDir = path.join(dir, 'fixtures-src');
  await import('node:fs/promises').then((fs) => fs.mkdir(fixtureDir));
  for (const r of FIXTURES) await writeFile(path.join(fixtureDir, `${String(r.id)}.json`), JSON.stringify(r));
  fixtures = VulnDb.open(path.join(dir, 'fixtures', 'osv.sqlite'));
  await importOsv(fixtures, fixtureDir);
}, 120_000);

afterAll(async () => {
  shared.close();
  fixtures.close();
  await rm(dir, { recursive: true, force: true });
});

describe('detectVulnerabilities on the shared OSV data', () => {
  it('matches crates at the range boundaries of real RustSec advisories', () => {
    const at = (v: string) =>
      ids(detectVulnerabilities(shared, undefined, langSet('cargo', pkg('crates.io', 'hyper', v)))).sort();
    // RUSTSEC-2021-0078 (CVE-2021-32715) and -0079 (CVE-2021-32714): fixed in 0.14.10; RUSTSEC-2022-0022 (no CVE): 0.14.12.
    expect(at('0.14.9')).toEqual(['CVE-2021-32714', 'CVE-2021-32715', 'RUSTSEC-2022-0022']);
    expect(at('0.14.10')).toEqual(['RUSTSEC-2022-0022']);
    expect(at('0.14.12')).toEqual([]);
    // RUSTSEC-2021-0020 has three branches; 0.13.9 sits in the middle one.
    const mid = detectVulnerabilities(shared, undefined, langSet('cargo', pkg('crates.io', 'hyper', '0.13.9')));
    expect(mid.find((f) => f.aliases?.includes('RUSTSEC-2021-0020'))?.fixedVersion).toBe('0.13.10');
  });

  it('reports a RustSec finding under its CVE with aliases, computed CVSS severity, text and dates', () => {
    const set = langSet('cargo', pkg('crates.io', 'hyper', '0.14.9', { layer: { index: 2, diffId: 'sha256:abc' } }));
    const f = detectVulnerabilities(shared, undefined, set).find((x) => x.ruleId === 'CVE-2021-32715');
    expect(f).toMatchObject({
      type: 'vulnerability',
      ruleId: 'CVE-2021-32715',
      aliases: ['GHSA-f3pg-qwvg-p99c', 'RUSTSEC-2021-0078'],
      severity: 'MEDIUM',
      severitySource: 'cvss',
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N', score: 5.3 }],
      title: 'Lenient `hyper` header parsing of `Content-Length` could allow request smuggling',
      installedVersion: '0.14.9',
      fixedVersion: '0.14.10',
      publishedAt: '2021-07-07T12:00:00Z',
      modifiedAt: '2021-10-19T22:14:35Z',
      status: 'open',
      target: { path: 'app/cargo.lock', layer: { index: 2, diffId: 'sha256:abc' } },
    });
    expect(f?.references).toContain('https://rustsec.org/advisories/RUSTSEC-2021-0078.html');
    expect(f?.description).toMatch(/^`hyper`'s HTTP header parser/);
    expect(f?.id).toBe(fingerprint('CVE-2021-32715', set.packages[0]?.purl, 'app/cargo.lock'));
  });

  it('matches Go stdlib and modules by branch, with the vulnerable symbols', () => {
    const stdlib = (v: string) =>
      detectVulnerabilities(shared, undefined, langSet('gobinary', pkg('Go', 'stdlib', v))).find(
        (f) => f.ruleId === 'CVE-2022-27664',
      );
    expect(stdlib('1.18.5')?.fixedVersion).toBe('1.18.6');
    expect(stdlib('1.18.6')).toBeUndefined();
    expect(stdlib('go1.19.0')?.fixedVersion).toBe('1.19.1');
    expect(stdlib('1.19.1')).toBeUndefined();
    expect(stdlib('1.18.5')?.symbols).toContain('Server.ListenAndServe');
    expect(stdlib('1.18.5')?.aliases).toEqual(['GHSA-69cg-p879-7622', 'GO-2022-0969']);

    const xnet = (v: string) =>
      detectVulnerabilities(shared, undefined, langSet('gomod', pkg('Go', 'golang.org/x/net', v))).find(
        (f) => f.ruleId === 'CVE-2022-27664',
      );
    expect(xnet('v0.0.0-20220826154423-83b083e8dc8b')).toMatchObject({
      fixedVersion: '0.0.0-20220906165146-f3363e06e74c',
      symbols: ['Server.ServeConn', 'serverConn.goAway'],
    });
    expect(xnet('v0.0.0-20220906165146-f3363e06e74c')).toBeUndefined();
  });

  it('skips withdrawn advisories', () => {
    // GO-2024-2442 (GHSA-76cc-p55w-63g3) was withdrawn; it affected every teleport version it named.
    const findings = detectVulnerabilities(
      shared,
      undefined,
      langSet('gomod', pkg('Go', 'github.com/gravitational/teleport', 'v14.0.0')),
    );
    expect(findings.flatMap((f) => [f.ruleId, ...(f.aliases ?? [])])).not.toContain('GO-2024-2442');
  });

  it('matches AlmaLinux binary packages by release and epoch-aware RPM order, with the errata rating', () => {
    const openssl = (version: string, os = alma('9.4')) =>
      detectVulnerabilities(shared, os, osSet('rpm', pkg('AlmaLinux', 'openssl', version, { srcName: 'openssl' })));
    const found = openssl('1:3.0.7-27.el9');
    expect(ids(found)).toContain('ALSA-2024:6783');
    expect(ids(found)).not.toContain('ALSA-2024:2447'); // fixed in exactly 1:3.0.7-27.el9
    expect(found.find((f) => f.ruleId === 'ALSA-2024:6783')).toMatchObject({
      severity: 'MEDIUM',
      severitySource: 'distro',
      fixedVersion: '1:3.0.7-28.el9_4',
    });
    expect(ids(openssl('1:3.5.5-4.el9_8'))).toEqual([]);
    // Without the epoch the package sorts below every fix: all 15 AlmaLinux 9 openssl errata apply.
    expect(openssl('3.5.5-4.el9_8')).toHaveLength(15);
    // AlmaLinux 8 errata do not apply to AlmaLinux 9 packages and vice versa.
    expect(ids(openssl('1:3.0.7-27.el9', alma('8.9')))).not.toContain('ALSA-2024:6783');
  });

  it('leaves out bug-fix and enhancement errata, and OS packages when the OS is unknown', () => {
    const podman = osSet('rpm', pkg('AlmaLinux', 'podman', '1:1.0-1.module_el8.6.0+1+abcdef01'));
    expect(ids(detectVulnerabilities(shared, alma('8.6'), podman)).filter((id) => !id.startsWith('ALSA-'))).toEqual([]);
    expect(detectVulnerabilities(shared, alma('8.6'), podman).length).toBeGreaterThan(0);
    expect(detectVulnerabilities(shared, undefined, podman)).toEqual([]);
  });

  it('keeps module-stream fixes apart from non-modular builds of the same package', () => {
    const nodejs = (version: string) =>
      detectVulnerabilities(shared, alma('8.9'), osSet('rpm', pkg('AlmaLinux', 'nodejs', version)));
    const modular = nodejs('1:10.24.0-1.module_el8.3.0+2047+b07e9f2f');
    expect(modular.length).toBeGreaterThan(0);
    expect(modular.every((f) => /\.module[_+]/.test(f.fixedVersion ?? ''))).toBe(true);
    // The same package name built outside any module stream: module fixes do not apply to it.
    expect(nodejs('1:10.24.0-1.el8').filter((f) => /\.module[_+]/.test(f.fixedVersion ?? ''))).toEqual([]);
  });

  it('rates AlmaLinux firefox by its errata impact', () => {
    const ff = (version: string) =>
      detectVulnerabilities(shared, alma('10.0'), osSet('rpm', pkg('AlmaLinux', 'firefox', version))).find(
        (f) => f.ruleId === 'ALSA-2025:10073',
      );
    expect(ff('128.11.0-1.el10_0')).toMatchObject({
      severity: 'HIGH',
      severitySource: 'distro',
      fixedVersion: '128.12.0-1.el10_0',
    });
    expect(ff('128.12.0-1.el10_0')).toBeUndefined();
  });
});

describe('detectVulnerabilities on OSV semantics', () => {
  const one = (p: Package, set = langSet('npm', p), os?: OsInfo) => detectVulnerabilities(fixtures, os, set);

  it('merges records sharing an alias into one finding under the CVE, with every branch fix', () => {
    const findings = one(pkg('npm', 'left-pad', '1.2.3'));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: 'CVE-2099-0001',
      aliases: ['GHSA-aaaa-bbbb-cccc', 'NPM-EXTRA-1'],
      severity: 'CRITICAL',
      severitySource: 'cvss',
      fixedVersion: '1.2.4, 1.2.5',
      title: 'Prototype pollution in left-pad',
      publishedAt: '2024-01-01T00:00:00Z',
      modifiedAt: '2024-03-01T00:00:00Z',
    });
    expect(findings[0]?.references).toEqual([
      'https://example.test/GHSA-aaaa-bbbb-cccc',
      'https://example.test/npm-extra-1',
    ]);
    expect(findings[0]?.description?.length).toBeLessThanOrEqual(1001);
    expect(findings[0]?.description?.endsWith('…')).toBe(true);
    expect(one(pkg('npm', 'left-pad', '1.3.1'))[0]).toMatchObject({
      fixedVersion: '1.3.2',
      aliases: ['GHSA-aaaa-bbbb-cccc'],
    });
    expect(one(pkg('npm', 'left-pad', '1.2.5'))).toEqual([]);
    expect(one(pkg('npm', 'left-pad', '1.3.2'))).toEqual([]);
  });

  it('honours last_affected: affected up to and including it, no fixed version', () => {
    expect(one(pkg('npm', '@scope/tool', '0.9.0'))).toEqual([]);
    expect(one(pkg('npm', '@scope/tool', '1.4.2'))[0]).toMatchObject({
      ruleId: 'GHSA-last-affe-cted',
      severity: 'MEDIUM',
      severitySource: 'advisory',
    });
    expect(one(pkg('npm', '@scope/tool', '1.4.2'))[0]?.fixedVersion).toBeUndefined();
    expect(one(pkg('npm', '@scope/tool', '1.4.3'))).toEqual([]);
  });

  it('sorts events before evaluating them and ignores GIT ranges', () => {
    const at = (v: string) => one(pkg('npm', 'shuffled', v))[0];
    expect(at('1.1.0')).toMatchObject({ fixedVersion: '1.2.0', severity: 'MEDIUM', severitySource: 'cvss' });
    expect(at('1.1.0')?.cvss?.[0]).toMatchObject({ version: '4.0', score: 6.9 });
    expect(at('1.3.0')).toBeUndefined();
    expect(at('1.5.0')?.fixedVersion).toBe('1.6.0');
    expect(at('1.6.0')).toBeUndefined();
  });

  it('bounds ranges by limit', () => {
    expect(one(pkg('npm', 'limited', '1.4.9'))).toHaveLength(1);
    expect(one(pkg('npm', 'limited', '1.5.0'))).toEqual([]);
  });

  it('matches explicit version lists with PEP 503-normalised names', () => {
    expect(
      one(pkg('PyPI', 'zope_interface', '1.1'), langSet('pip', pkg('PyPI', 'zope_interface', '1.1')))[0],
    ).toMatchObject({
      ruleId: 'CVE-2099-0002',
      severity: 'UNKNOWN',
    });
    expect(detectVulnerabilities(fixtures, undefined, langSet('pip', pkg('PyPI', 'Zope-Interface', '1.2')))).toEqual(
      [],
    );
  });

  it('matches Maven packages by group:artifact', () => {
    expect(
      ids(detectVulnerabilities(fixtures, undefined, langSet('pom', pkg('Maven', 'org.example:widget', '2.0.0')))),
    ).toEqual(['CVE-2099-0003']);
    expect(
      detectVulnerabilities(fixtures, undefined, langSet('pom', pkg('Maven', 'org.example:widget', '2.0.1'))),
    ).toEqual([]);
  });

  it('matches Debian packages by source name and source version in the right release', () => {
    const libssl = pkg('Debian', 'libssl3', '3.0.11-1~deb12u1+b1', {
      srcName: 'openssl',
      srcVersion: '3.0.11-1~deb12u1',
    });
    const debian = (version: string): OsInfo => ({ family: 'debian', version });
    expect(detectVulnerabilities(fixtures, debian('12.5'), osSet('dpkg', libssl))[0]).toMatchObject({
      ruleId: 'CVE-2099-0004',
      aliases: ['DSA-9999-1'],
      severity: 'HIGH',
      severitySource: 'distro',
      installedVersion: '3.0.11-1~deb12u1+b1',
      fixedVersion: '3.0.11-1~deb12u2',
    });
    expect(detectVulnerabilities(fixtures, debian('11.9'), osSet('dpkg', libssl))).toEqual([]);
    const fixed = { ...libssl, srcVersion: '3.0.11-1~deb12u2' };
    expect(detectVulnerabilities(fixtures, debian('12.5'), osSet('dpkg', fixed))).toEqual([]);
  });

  it('matches Ubuntu LTS and Alpine releases, taking the distro rating over CVSS', () => {
    const zlib = pkg('Ubuntu', 'zlib1g', '1:1.2.11.dfsg-2ubuntu9', { srcName: 'zlib' });
    expect(
      detectVulnerabilities(fixtures, { family: 'ubuntu', version: '22.04' }, osSet('dpkg', zlib))[0],
    ).toMatchObject({
      ruleId: 'UBUNTU-CVE-2099-0005',
      severity: 'MEDIUM',
      severitySource: 'distro',
    });
    expect(detectVulnerabilities(fixtures, { family: 'ubuntu', version: '24.04' }, osSet('dpkg', zlib))).toEqual([]);
    const busybox = pkg('Alpine', 'busybox-binsh', '1.36.1-r15', { srcName: 'busybox' });
    const alpine = (version: string): OsInfo => ({ family: 'alpine', version });
    expect(ids(detectVulnerabilities(fixtures, alpine('3.19.1'), osSet('apk', busybox)))).toEqual([
      'ALPINE-CVE-2099-0006',
    ]);
    expect(detectVulnerabilities(fixtures, alpine('3.20.0'), osSet('apk', busybox))).toEqual([]);
  });

  it('gives the same finding id on every run and never matches unparsable versions', () => {
    const a = one(pkg('npm', 'left-pad', '1.2.3'))[0]?.id;
    expect(one(pkg('npm', 'left-pad', '1.2.3'))[0]?.id).toBe(a);
    expect(one(pkg('npm', 'left-pad', 'not a version'))).toEqual([]);
  });
});
