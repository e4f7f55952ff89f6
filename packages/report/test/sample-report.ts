// Realistic scan reports for writer tests (and the scanner's SBOM round-trip test): an image with a
// Debian OS, dpkg packages, an npm lockfile, a Maven pom, and vulnerabilities, one suppressed.

import { type Finding, fingerprint, type Package, type ScanReport } from '@palisade/core';

const layer = {
  index: 2,
  digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  diffId: 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
};

export const opensslPkg: Package = {
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  ecosystem: 'Debian',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5',
  srcName: 'openssl',
  srcVersion: '3.0.11-1~deb12u2',
  arch: 'amd64',
  licenses: ['Apache-2.0'],
  filePath: 'var/lib/dpkg/status',
  layer,
};

export const zlibPkg: Package = {
  name: 'zlib1g',
  version: '1:1.2.13.dfsg-1',
  ecosystem: 'Debian',
  purl: 'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12.5',
  srcName: 'zlib',
  srcVersion: '1:1.2.13.dfsg-1',
  arch: 'amd64',
  licenses: ['Zlib'],
  filePath: 'var/lib/dpkg/status',
  layer,
};

export const libcPkg: Package = {
  name: 'libc6',
  version: '2.36-9+deb12u4',
  ecosystem: 'Debian',
  purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5',
  srcName: 'glibc',
  srcVersion: '2.36-9+deb12u4',
  arch: 'amd64',
  licenses: ['LGPL-2.1-or-later', 'GPL-2.0-or-later'],
  filePath: 'var/lib/dpkg/status',
  layer,
};

export const lodashPkg: Package = {
  name: 'lodash',
  version: '4.17.20',
  ecosystem: 'npm',
  purl: 'pkg:npm/lodash@4.17.20',
  licenses: ['MIT'],
  filePath: 'app/package-lock.json',
};

export const scopedPkg: Package = {
  name: '@babel/traverse',
  version: '7.22.5',
  ecosystem: 'npm',
  purl: 'pkg:npm/%40babel/traverse@7.22.5',
  licenses: ['MIT'],
  dev: true,
  filePath: 'app/package-lock.json',
};

export const jacksonPkg: Package = {
  name: 'com.fasterxml.jackson.core:jackson-databind',
  version: '2.13.4',
  ecosystem: 'Maven',
  purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4',
  licenses: ['Some Custom License, v2'],
  filePath: 'app/lib/jackson-databind-2.13.4.jar',
};

function vuln(partial: Partial<Finding> & Pick<Finding, 'ruleId' | 'severity' | 'title' | 'package'>): Finding {
  const pkg = partial.package!;
  return {
    id: fingerprint(partial.ruleId, pkg.filePath, pkg.name),
    type: 'vulnerability',
    target: { artifact: 'registry.example.com/shop/api:1.4.2', path: pkg.filePath },
    installedVersion: pkg.version,
    references: [`https://osv.dev/vulnerability/${partial.ruleId}`],
    status: 'open',
    ...partial,
  };
}

export const opensslVuln = vuln({
  ruleId: 'CVE-2024-5535',
  aliases: ['DSA-5726-1'],
  severity: 'MEDIUM',
  severitySource: 'distro',
  cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H', score: 9.1, source: 'nvd' }],
  title: 'openssl: SSL_select_next_proto buffer overread',
  description:
    'Calling the OpenSSL API function SSL_select_next_proto with an empty supported client protocols buffer may cause a crash or memory contents to be sent to the peer.',
  package: opensslPkg,
  fixedVersion: '3.0.14-1~deb12u1',
  publishedAt: '2024-06-27T11:15:00Z',
});

export const zlibVuln = vuln({
  ruleId: 'CVE-2023-45853',
  severity: 'CRITICAL',
  cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
  title: 'zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6',
  package: zlibPkg,
});

export const lodashVuln = vuln({
  ruleId: 'CVE-2021-23337',
  aliases: ['GHSA-35jh-r3h4-6jhm'],
  severity: 'HIGH',
  cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2, source: 'ghsa' }],
  title: 'Command Injection in lodash',
  description: 'Lodash versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
  package: lodashPkg,
  fixedVersion: '4.17.21',
});

export const suppressedVuln = vuln({
  ruleId: 'CVE-2023-26136',
  aliases: ['GHSA-72xf-g2v4-qvf3'],
  severity: 'LOW',
  title: 'tough-cookie Prototype Pollution vulnerability',
  package: scopedPkg,
  status: 'suppressed',
  suppression: { source: 'vex', reason: 'vulnerable_code_not_in_execute_path' },
});

export const jacksonVuln = vuln({
  ruleId: 'GHSA-jjjh-jjxp-wpff',
  aliases: ['CVE-2022-42003'],
  severity: 'HIGH',
  title: 'Uncontrolled Resource Consumption in Jackson-databind',
  package: jacksonPkg,
  fixedVersion: '2.13.4.2, 2.14.0',
});

export const secretFinding: Finding = {
  id: fingerprint('aws-access-key-id', 'app/.env', 3),
  type: 'secret',
  ruleId: 'aws-access-key-id',
  severity: 'CRITICAL',
  title: 'AWS Access Key ID',
  target: { path: 'app/.env', line: 3 },
  references: [],
  status: 'open',
};

/** An image report with OS packages, an npm lockfile, a jar, and a secret. */
export function sampleImageReport(): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2026-11-27T03:40:12.345Z',
    artifact: {
      name: 'registry.example.com/shop/api:1.4.2',
      type: 'image',
      os: { family: 'debian', version: '12.5', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' },
      image: {
        id: 'sha256:3333333333333333333333333333333333333333333333333333333333333333',
        repoTags: ['registry.example.com/shop/api:1.4.2'],
        repoDigests: [
          'registry.example.com/shop/api@sha256:4444444444444444444444444444444444444444444444444444444444444444',
        ],
        layers: [layer],
        architecture: 'amd64',
        os: 'linux',
      },
    },
    results: [
      {
        target: 'registry.example.com/shop/api:1.4.2 (debian 12.5)',
        class: 'os-pkgs',
        type: 'debian',
        packages: [opensslPkg, zlibPkg, libcPkg],
        findings: [opensslVuln, zlibVuln],
      },
      {
        target: 'app/package-lock.json',
        class: 'lang-pkgs',
        type: 'npm',
        packages: [lodashPkg, scopedPkg],
        findings: [lodashVuln, suppressedVuln],
      },
      {
        target: 'app/lib/jackson-databind-2.13.4.jar',
        class: 'lang-pkgs',
        type: 'jar',
        packages: [jacksonPkg],
        findings: [jacksonVuln],
      },
      { target: 'app/.env', class: 'secret', type: 'secret', packages: [], findings: [secretFinding] },
    ],
    warnings: ['app/yarn.lock: unsupported lockfile version 9'],
  };
}

/** A source-tree report with one clean lockfile and nothing found. */
export function cleanRepoReport(): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2026-11-27T03:40:12Z',
    artifact: { name: 'shop-api', type: 'repository' },
    results: [
      {
        target: 'requirements.txt',
        class: 'lang-pkgs',
        type: 'pip',
        packages: [
          {
            name: 'requests',
            version: '2.32.3',
            ecosystem: 'PyPI',
            purl: 'pkg:pypi/requests@2.32.3',
            filePath: 'requirements.txt',
          },
          { name: 'idna', version: '3.7', ecosystem: 'PyPI', purl: 'pkg:pypi/idna@3.7', filePath: 'requirements.txt' },
        ],
        findings: [],
      },
    ],
    warnings: [],
  };
}
