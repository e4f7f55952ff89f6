import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, NotFoundError, type Package, type ScanReport } from '@palisade/core';
import { writeReport } from '@palisade/report';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The report package's sample: the round trip must reproduce what its writers were given.
import { sampleImageReport } from '../../../../report/test/sample-report.js';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { parseSbom, readSbom } from './read-sbom.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'palisade-sbom-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function pkgs(a: ArtifactAnalysis): Package[] {
  return a.packageSets.flatMap((s) => s.packages);
}

describe('readSbom: CycloneDX', () => {
  it('reads a Trivy CycloneDX 1.5 BOM with nested components, an OS component and Trivy properties', async () => {
    const a = await readSbom(path.join(fixtures, 'trivy-alpine.cdx.json'));
    expect(a.artifact).toEqual({ name: 'alpine:3.19.1', type: 'sbom', os: { family: 'alpine', version: '3.19.1' } });
    const sets = a.packageSets.map((s) => ({
      class: s.class,
      type: s.type,
      filePath: s.filePath,
      n: s.packages.length,
    }));
    expect(sets).toEqual([
      { class: 'os-pkgs', type: 'apk', filePath: 'trivy-alpine.cdx.json', n: 2 },
      { class: 'lang-pkgs', type: 'npm', filePath: 'trivy-alpine.cdx.json', n: 2 },
      { class: 'lang-pkgs', type: 'golang', filePath: 'trivy-alpine.cdx.json', n: 1 },
    ]);
    const crypto = pkgs(a).find((p) => p.name === 'libcrypto3')!;
    expect(crypto).toMatchObject({
      ecosystem: 'Alpine',
      version: '3.1.4-r5',
      srcName: 'openssl',
      arch: 'x86_64',
      licenses: ['Apache-2.0'],
    });
    expect(pkgs(a).find((p) => p.name === 'busybox')!.layer).toEqual({
      index: -1,
      diffId: 'sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820',
    });
    expect(pkgs(a).find((p) => p.purl === 'pkg:npm/%40types/node@20.11.5')!.name).toBe('@types/node');
    expect(pkgs(a).find((p) => p.ecosystem === 'Go')!.name).toBe('github.com/gin-gonic/gin');
    // pkg:generic has no advisory ecosystem: skipped, with a warning.
    expect(pkgs(a).some((p) => p.name === 'openssl')).toBe(false);
    expect(a.warnings).toEqual([expect.stringContaining('1 component(s) with a purl of no supported ecosystem')]);
  });

  it('takes the OS from the distro qualifier when there is no operating-system component', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.4',
      components: [
        {
          type: 'library',
          name: 'bash',
          version: '5.2.15-2+b2',
          purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?distro=debian-12.5',
        },
      ],
    };
    const a = parseSbom(JSON.stringify(doc), 'x.json');
    expect(a.artifact.os).toEqual({ family: 'debian', version: '12.5' });
    expect(pkgs(a)[0]).toMatchObject({ name: 'bash', ecosystem: 'Debian', version: '5.2.15-2+b2' });
    expect(a.packageSets[0]).toMatchObject({ class: 'os-pkgs', type: 'dpkg' });
  });

  it('takes the version from the purl, with its epoch qualifier, when the component has none', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        {
          type: 'library',
          name: 'bsdutils',
          purl: 'pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12.5&epoch=1',
        },
      ],
    };
    expect(pkgs(parseSbom(JSON.stringify(doc), 'b.json'))[0]!.version).toBe('1:2.38.1-5+deb12u3');
  });

  it('maps every supported purl type to its OSV ecosystem and advisory name', () => {
    const purls: [string, string, string][] = [
      ['pkg:pypi/django@4.2.1', 'PyPI', 'django'],
      ['pkg:cargo/serde@1.0.190', 'crates.io', 'serde'],
      ['pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', 'Maven', 'org.apache.logging.log4j:log4j-core'],
      ['pkg:gem/rails@7.0.4', 'RubyGems', 'rails'],
      ['pkg:composer/laravel/framework@10.0.0', 'Packagist', 'laravel/framework'],
      ['pkg:nuget/Newtonsoft.Json@13.0.1', 'NuGet', 'Newtonsoft.Json'],
      ['pkg:pub/http@1.1.0', 'Pub', 'http'],
      ['pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15?distro=ubuntu-22.04', 'Ubuntu', 'curl'],
      ['pkg:apk/wolfi/glibc@2.38-r1', 'Wolfi', 'glibc'],
      ['pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64', 'Red Hat', 'openssl'],
      ['pkg:rpm/almalinux/bash@5.1.8-6.el9', 'AlmaLinux', 'bash'],
      ['pkg:rpm/rocky/glibc@2.34-60.el9', 'Rocky Linux', 'glibc'],
      ['pkg:rpm/centos/bash@4.2.46-35.el7_9', 'Red Hat', 'bash'],
      ['pkg:rpm/photon/curl@8.1.2-3.ph5', 'Photon OS', 'curl'],
    ];
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: purls.map(([purl]) => ({ type: 'library', name: 'x', purl })),
    };
    const found = pkgs(parseSbom(JSON.stringify(doc), 'bom.json'));
    expect(found.map((p) => [p.purl, p.ecosystem, p.name])).toEqual(purls);
  });
});

describe('readSbom: CycloneDX XML', () => {
  it('reads components, nested components, licenses, properties and entities like the JSON form', async () => {
    const a = await readSbom(path.join(fixtures, 'ubuntu-app.cdx.xml'));
    expect(a.artifact).toEqual({ name: 'shop/web:2.0', type: 'sbom', os: { family: 'ubuntu', version: '22.04' } });
    const curl = pkgs(a).find((p) => p.name === 'libcurl4')!;
    expect(curl).toMatchObject({
      ecosystem: 'Ubuntu',
      version: '7.81.0-1ubuntu1.15',
      purl: 'pkg:deb/ubuntu/libcurl4@7.81.0-1ubuntu1.15?arch=amd64&distro=ubuntu-22.04',
      srcName: 'curl',
      licenses: ['curl'],
    });
    // "2.0" stays a string, not the number 2.
    expect(pkgs(a).find((p) => p.name === 'flask')).toMatchObject({
      version: '2.0',
      licenses: ['BSD-3-Clause OR MIT'],
    });
    expect(pkgs(a).find((p) => p.name === 'werkzeug')!.ecosystem).toBe('PyPI');
    expect(a.packageSets.map((s) => [s.class, s.type])).toEqual([
      ['os-pkgs', 'dpkg'],
      ['lang-pkgs', 'pypi'],
    ]);
  });

  it('does not expand DOCTYPE entities', () => {
    const xml =
      '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&b;</name>' +
      '<version>1</version><purl>pkg:npm/x@1</purl></component></components></bom>';
    const a = parseSbom(xml, 'bomb.xml');
    expect(pkgs(a)).toHaveLength(1);
    expect(pkgs(a)[0]!.name).toBe('x');
  });
});

describe('readSbom: SPDX', () => {
  it('reads a Syft SPDX 2.2 document: purls, upstream source names, LicenseRefs', async () => {
    const a = await readSbom(path.join(fixtures, 'syft-debian.spdx.json'));
    expect(a.artifact).toEqual({ name: 'debian-12-app', type: 'sbom', os: { family: 'debian', version: '12.5' } });
    const ssl = pkgs(a).find((p) => p.name === 'libssl3')!;
    expect(ssl).toMatchObject({ ecosystem: 'Debian', srcName: 'openssl', arch: 'amd64', licenses: ['Apache-2.0'] });
    expect(pkgs(a).find((p) => p.name === 'requests')!.licenses).toEqual(['Apache-2.0', 'Custom Python License']);
    expect(pkgs(a).find((p) => p.ecosystem === 'Maven')!.name).toBe('com.fasterxml.jackson.core:jackson-databind');
    expect(a.packageSets.map((s) => s.type)).toEqual(['dpkg', 'pypi', 'maven']);
  });
});

describe('readSbom: SPDX tag-value', () => {
  it('reads packages, purls, multi-line texts, license refs and annotations; skips file sections', async () => {
    const a = await readSbom(path.join(fixtures, 'alpine-app.spdx'));
    expect(a.artifact).toEqual({ name: 'alpine-app', type: 'sbom', os: { family: 'alpine', version: '3.19.1' } });
    expect(a.packageSets).toEqual([
      {
        class: 'os-pkgs',
        type: 'apk',
        filePath: 'alpine-app.spdx',
        packages: [
          {
            name: 'musl',
            version: '1.2.4_git20230717-r4',
            ecosystem: 'Alpine',
            purl: 'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=3.19.1',
            arch: 'x86_64',
            licenses: ['MIT'],
          },
        ],
      },
      {
        class: 'lang-pkgs',
        type: 'npm',
        filePath: 'app/package-lock.json',
        packages: [
          {
            name: 'left-pad',
            version: '1.3.0',
            ecosystem: 'npm',
            purl: 'pkg:npm/left-pad@1.3.0',
            licenses: ['Do What You Want License'],
            filePath: 'app/package-lock.json',
          },
        ],
      },
    ]);
  });
});

describe('readSbom: round trip through the report writers', () => {
  const expected = (report: ScanReport) =>
    report.results
      .filter((r) => r.class === 'os-pkgs' || r.class === 'lang-pkgs')
      .map((r) => ({ class: r.class, type: r.type, filePath: r.packages[0]!.filePath, packages: r.packages }));

  for (const format of ['cyclonedx', 'spdx-json'] as const) {
    it(`reads back the package sets a ${format} report was written from`, async () => {
      const report = sampleImageReport();
      const file = path.join(tmp, `report.${format}.json`);
      await writeFile(file, writeReport(report, format));
      const a = await readSbom(file);
      expect(a.artifact.os).toMatchObject({ family: 'debian', version: '12.5' });
      expect(a.artifact.name).toBe('registry.example.com/shop/api:1.4.2');
      expect(a.packageSets).toEqual(expected(report));
      expect(a.warnings).toEqual([]);
    });
  }
});

describe('readSbom: bad input', () => {
  const cases: [string, string, RegExp][] = [
    ['not json', '{"bomFormat": ', /bad\.json: not valid JSON/],
    ['unknown document', '{"hello": "world"}', /not a CycloneDX or SPDX document/],
    ['old CycloneDX', '{"bomFormat":"CycloneDX","specVersion":"1.1"}', /unsupported CycloneDX specVersion "1.1"/],
    [
      'components not a list',
      '{"bomFormat":"CycloneDX","specVersion":"1.5","components":{}}',
      /"components" must be an array/,
    ],
    ['SPDX 3', '{"spdxVersion":"SPDX-3.0"}', /unsupported SPDX version "SPDX-3.0"/],
    [
      'SPDX RDF/XML',
      '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
      /not a CycloneDX BOM/,
    ],
    ['XML without the CycloneDX namespace', '<bom xmlns="http://example.com/bom"></bom>', /no CycloneDX namespace/],
    [
      'CycloneDX 1.1 XML',
      '<bom xmlns="http://cyclonedx.org/schema/bom/1.1"></bom>',
      /unsupported CycloneDX specVersion "1.1"/,
    ],
    ['broken XML', '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components></bom>', /not valid XML/],
    [
      'tag-value with an unclosed text',
      'SPDXVersion: SPDX-2.3\nPackageName: x\nPackageComment: <text>never closed\n',
      /bad\.json:3: <text> is never closed/,
    ],
    ['tag-value with a bad line', 'SPDXVersion: SPDX-2.3\nthis is not a tag\n', /bad\.json:2: expected "Tag: value"/],
    ['tag-value of SPDX 3', 'SPDXVersion: SPDX-3.0\n', /unsupported SPDX version "SPDX-3.0"/],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects ${name} with an InputError naming the file`, async () => {
      const file = path.join(tmp, 'bad.json');
      await writeFile(file, text);
      const err = await readSbom(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(file);
    });
  }

  it('reports a missing file as NotFoundError', async () => {
    await expect(readSbom(path.join(tmp, 'nope.json'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('never throws anything but InputError on arbitrary JSON (fuzzed)', () => {
    const component = fc.record(
      {
        type: fc.constantFrom('library', 'operating-system', 'application', 7),
        name: fc.oneof(fc.string(), fc.constant(null)),
        version: fc.oneof(fc.string(), fc.integer()),
        purl: fc.oneof(
          fc.constantFrom('pkg:npm/a@1', 'pkg:deb/debian/x@1?distro=debian-12', 'pkg:', 'pkg:rpm/x@'),
          fc.string(),
        ),
        licenses: fc.anything(),
        properties: fc.anything(),
        components: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const cdx = fc.record({
      bomFormat: fc.constant('CycloneDX'),
      specVersion: fc.constantFrom('1.4', '1.5', '1.6', 1.5),
      components: fc.oneof(fc.array(component), fc.anything()),
      metadata: fc.anything(),
    });
    const spdx = fc.record({
      spdxVersion: fc.constantFrom('SPDX-2.2', 'SPDX-2.3'),
      packages: fc.oneof(
        fc.array(
          fc.record(
            {
              externalRefs: fc.anything(),
              name: fc.anything(),
              versionInfo: fc.anything(),
              primaryPackagePurpose: fc.anything(),
              annotations: fc.anything(),
              licenseDeclared: fc.anything(),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.anything(),
      ),
      relationships: fc.anything(),
      hasExtractedLicensingInfos: fc.anything(),
    });
    const xml = fc
      .array(
        fc.constantFrom(
          '<bom xmlns="http://cyclonedx.org/schema/bom/1.5">',
          '</bom>',
          '<components>',
          '</components>',
          '<component type="library">',
          '</component>',
          '<purl>pkg:npm/a@1</purl>',
          '<name>',
          '</name>',
          '<properties><property name="palisade:file">',
          '</property></properties>',
          '&amp;',
          '&#x1F600;',
          '&#99999999;',
          '<![CDATA[x]]>',
          'text',
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(xml, (text) => {
        try {
          parseSbom(text, 'fuzz.xml');
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
    const tagLine = fc.oneof(
      fc.constantFrom(
        'PackageName: x',
        'SPDXID: SPDXRef-x',
        'PackageVersion: 1',
        'ExternalRef: PACKAGE-MANAGER purl pkg:npm/x@1',
        'ExternalRef: a',
        'Relationship: a DESCRIBES',
        'LicenseID: LicenseRef-a',
        'PackageComment: <text>a',
        '</text>',
        'FileName: f',
        'Annotator: Tool: t',
        'SPDXREF: SPDXRef-x',
        'AnnotationComment: palisade:file: a',
        'PrimaryPackagePurpose: OPERATING-SYSTEM',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(tagLine, { maxLength: 20 }), (lines) => {
        try {
          parseSbom(['SPDXVersion: SPDX-2.3', ...lines].join('\n'), 'fuzz.spdx');
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.oneof(cdx, spdx, fc.jsonValue()), (doc) => {
        try {
          parseSbom(JSON.stringify(doc) ?? 'null', 'fuzz.json');
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
