import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS, writeReport } from '../src/index.js';
import { wrapText } from '../src/text-table.js';
import { cleanRepoReport, sampleImageReport } from './sample-report.js';
import { cycloneDx16Validator, sarif210Validator, spdx23Validator } from './schemas.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON documents are walked freely in assertions
type Json = Record<string, any>;

describe('writeReport registry', () => {
  it('lists the six formats and rejects an unknown one', () => {
    expect([...REPORT_FORMATS]).toEqual(['table', 'json', 'sarif', 'cyclonedx', 'spdx-json', 'junit']);
    expect(() => writeReport(sampleImageReport(), 'xml' as never)).toThrow(/unknown report format "xml"/);
  });
});

describe('table', () => {
  it('prints a header with severity counts and one row per visible vulnerability', () => {
    const out = writeReport(sampleImageReport(), 'table');
    expect(out).toContain('app/package-lock.json (npm)');
    expect(out).toContain('Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0)');
    expect(out).toContain('Total: 2 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 0, CRITICAL: 1)');
    expect(out).toMatch(
      /│ lodash\s+│ CVE-2021-23337 │ HIGH\s+│ fixed\s+│ 4\.17\.20\s+│ 4\.17\.21\s+│ Command Injection in lodash/,
    );
    expect(out).toMatch(/│ zlib1g\s+│ CVE-2023-45853 │ CRITICAL │ affected │/);
    expect(out).toContain('WARN app/yarn.lock: unsupported lockfile version 9');
    // The suppressed finding is hidden by default, shown on request.
    expect(out).not.toContain('CVE-2023-26136');
    expect(writeReport(sampleImageReport(), 'table', { showSuppressed: true })).toMatch(
      /CVE-2023-26136 │ LOW\s+│ suppressed/,
    );
  });

  it('keeps every line of a table the same width when cells wrap', () => {
    const out = writeReport(sampleImageReport(), 'table');
    const tableLines = out.split('\n').filter((l) => /^[│┌├└]/.test(l));
    const byTable = new Map<number, number>();
    let t = 0;
    for (const l of tableLines) {
      if (l.startsWith('┌')) t++;
      const w = [...l].length;
      expect(byTable.get(t) ?? w).toBe(w);
      byTable.set(t, w);
    }
    expect(out).toContain('│ com.fasterxml.jackson.core:j │');
  });

  it('prints a library once for several of its vulnerabilities, most severe first', () => {
    const report = sampleImageReport();
    const npm = report.results[1]!;
    const base = npm.findings[0]!;
    npm.findings.push({
      ...base,
      id: 'x2',
      ruleId: 'CVE-2020-8203',
      severity: 'CRITICAL',
      title: 'Prototype pollution in lodash',
    });
    const rows = writeReport(report, 'table')
      .split('\n')
      .filter((l) => l.includes('CVE-2020-8203') || l.includes('CVE-2021-23337'));
    expect(rows[0]).toMatch(/^│ lodash\s+│ CVE-2020-8203 /);
    expect(rows[1]).toMatch(/^│\s+│ CVE-2021-23337 /);
  });

  it('colours severities only when asked', () => {
    expect(writeReport(sampleImageReport(), 'table')).not.toContain('\u001b[');
    expect(writeReport(sampleImageReport(), 'table', { color: true })).toContain('\u001b[1;31mCRITICAL');
  });

  it('summarises packages of a target without findings', () => {
    const out = writeReport(cleanRepoReport(), 'table');
    expect(out).toContain('requirements.txt (pip)');
    expect(out).toContain('2 packages, no findings.');
    expect(out).not.toContain('Vulnerability  │');
  });

  it('wraps text on spaces and commas and cuts words longer than the column', () => {
    expect(wrapText('2.13.4.2, 2.14.0', 10)).toEqual(['2.13.4.2,', '2.14.0']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('a b c', 80)).toEqual(['a b c']);
  });
});

describe('json', () => {
  it('writes the report with sorted keys and without suppressed findings unless asked', () => {
    const report = sampleImageReport();
    const out = writeReport(report, 'json');
    const parsed = JSON.parse(out) as Json;
    expect(Object.keys(parsed)).toEqual(['artifact', 'createdAt', 'results', 'schemaVersion', 'warnings']);
    expect(parsed.results[1].findings.map((f: Json) => f.ruleId)).toEqual(['CVE-2021-23337']);
    expect(parsed.results[0].packages).toEqual(report.results[0]!.packages.map((p) => JSON.parse(JSON.stringify(p))));
    const all = JSON.parse(writeReport(report, 'json', { showSuppressed: true })) as Json;
    expect(all.results[1].findings[1].suppression).toEqual({
      reason: 'vulnerable_code_not_in_execute_path',
      source: 'vex',
    });
    // Same report, same bytes.
    expect(writeReport(sampleImageReport(), 'json')).toBe(out);
  });
});

describe('sarif', () => {
  const validate = sarif210Validator();

  it('is valid SARIF 2.1.0', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'sarif', { toolVersion: '1.2.3' }));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
  });

  it('has one rule per id with security-severity and one located result per finding', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'sarif', { toolVersion: '1.2.3' })) as Json;
    const run = doc.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'palisade', version: '1.2.3' });
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    const ids = run.tool.driver.rules.map((r: Json) => r.id);
    expect(ids).toEqual([
      'CVE-2024-5535',
      'CVE-2023-45853',
      'CVE-2021-23337',
      'GHSA-jjjh-jjxp-wpff',
      'aws-access-key-id',
    ]);
    const openssl = run.tool.driver.rules[0];
    expect(openssl.properties['security-severity']).toBe('9.1');
    expect(openssl.shortDescription.text).toBe('openssl: SSL_select_next_proto buffer overread');
    expect(openssl.fullDescription.text).toMatch(/^Calling the OpenSSL API/);
    expect(openssl.help.markdown).toContain('| MEDIUM | libssl3 | 3.0.14-1~deb12u1 |');
    expect(openssl.properties.tags).toContain('security');
    expect(openssl.name).toBe('OsPackageVulnerability');
    // No CVSS: a representative score of the band.
    expect(run.tool.driver.rules[3].properties['security-severity']).toBe('8.0');

    expect(run.results).toHaveLength(5);
    const lodash = run.results.find((r: Json) => r.ruleId === 'CVE-2021-23337');
    expect(lodash.level).toBe('error');
    expect(lodash.ruleIndex).toBe(2);
    expect(lodash.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'app/package-lock.json' },
      region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
    });
    expect(lodash.message.text).toContain('Installed Version: 4.17.20');
    expect(lodash.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}$/);
    const secret = run.results.find((r: Json) => r.ruleId === 'aws-access-key-id');
    expect(secret.locations[0].physicalLocation.region.startLine).toBe(3);
    expect(run.results.find((r: Json) => r.ruleId === 'CVE-2024-5535').level).toBe('warning');
    // Images: the path inside the image.
    expect(
      run.results.find((r: Json) => r.ruleId === 'CVE-2024-5535').locations[0].physicalLocation.artifactLocation.uri,
    ).toBe('var/lib/dpkg/status');
  });

  it('keeps a fingerprint across a version bump that does not fix the vulnerability', () => {
    const a = sampleImageReport();
    const b = sampleImageReport();
    const lodash = b.results[1]!.findings[0]!;
    lodash.package = { ...lodash.package!, version: '4.17.19' };
    lodash.installedVersion = '4.17.19';
    const fp = (r: typeof a) =>
      (JSON.parse(writeReport(r, 'sarif')) as Json).runs[0].results.find((x: Json) => x.ruleId === 'CVE-2021-23337')
        .partialFingerprints.primaryLocationLineHash;
    expect(fp(b)).toBe(fp(a));
  });

  it('marks suppressed findings as suppressed when they are shown, and stays valid with no results', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'sarif', { showSuppressed: true })) as Json;
    const s = doc.runs[0].results.find((r: Json) => r.ruleId === 'CVE-2023-26136');
    expect(s.suppressions[0]).toMatchObject({ kind: 'external', justification: 'vulnerable_code_not_in_execute_path' });
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const empty = JSON.parse(writeReport(cleanRepoReport(), 'sarif'));
    expect(validate(empty)).toBe(true);
    expect(empty.runs[0].results).toEqual([]);
  });

  it('keeps the 25,000 most severe results when there are more, as GitHub rejects larger runs', () => {
    const report = cleanRepoReport();
    const pkg = report.results[0]!.packages[0]!;
    const low = (i: number) => ({
      id: `f${i}`,
      type: 'vulnerability' as const,
      ruleId: `PYSEC-2024-${i}`,
      severity: 'LOW' as const,
      title: 'low',
      target: { path: 'requirements.txt' },
      package: pkg,
      references: [],
      status: 'open' as const,
    });
    report.results[0]!.findings = Array.from({ length: 25_005 }, (_, i) => low(i));
    report.results[0]!.findings.push({ ...low(99_999), severity: 'CRITICAL' });
    const run = (JSON.parse(writeReport(report, 'sarif')) as Json).runs[0];
    expect(run.results).toHaveLength(25_000);
    expect(run.results[0].ruleId).toBe('PYSEC-2024-99999');
    expect(run.properties.truncatedResults).toBe(true);
  });

  it('percent-encodes paths and bounds text to what GitHub shows', () => {
    const report = sampleImageReport();
    const f = report.results[1]!.findings[0]!;
    f.target.path = 'my app/package-lock.json';
    f.title = 'x'.repeat(5000);
    const doc = JSON.parse(writeReport(report, 'sarif')) as Json;
    const r = doc.runs[0].results.find((x: Json) => x.ruleId === 'CVE-2021-23337');
    expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('my%20app/package-lock.json');
    const rule = doc.runs[0].tool.driver.rules.find((x: Json) => x.id === 'CVE-2021-23337');
    expect(rule.shortDescription.text.length).toBeLessThanOrEqual(1000);
  });
});

describe('cyclonedx', () => {
  const validate = cycloneDx16Validator();

  it('is valid CycloneDX 1.6', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'cyclonedx'));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(writeReport(cleanRepoReport(), 'cyclonedx'))), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x' }] })).toBe(false);
  });

  it('describes the image, the OS and every package with purl bom-refs and palisade properties', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'cyclonedx', { toolVersion: '9.9.9' })) as Json;
    expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(doc.metadata.timestamp).toBe('2026-11-27T03:40:12.345Z');
    expect(doc.metadata.tools.components[0]).toMatchObject({ name: 'palisade', version: '9.9.9' });
    const root = doc.metadata.component;
    expect(root.type).toBe('container');
    expect(root.purl).toBe(
      'pkg:oci/api@sha256:4444444444444444444444444444444444444444444444444444444444444444?arch=amd64&repository_url=registry.example.com%2Fshop%2Fapi',
    );
    expect(root.properties).toContainEqual({
      name: 'palisade:image:repoTag',
      value: 'registry.example.com/shop/api:1.4.2',
    });
    const os = doc.components.find((c: Json) => c.type === 'operating-system');
    expect(os).toMatchObject({ name: 'debian', version: '12.5' });
    const libssl = doc.components.find((c: Json) => c.name === 'libssl3');
    expect(libssl['bom-ref']).toBe(libssl.purl);
    expect(libssl.licenses).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(libssl.properties).toEqual(
      expect.arrayContaining([
        { name: 'palisade:srcName', value: 'openssl' },
        { name: 'palisade:file', value: 'var/lib/dpkg/status' },
        { name: 'palisade:layer:digest', value: expect.stringMatching(/^sha256:1{64}$/) },
      ]),
    );
    const jackson = doc.components.find((c: Json) => c.name === 'jackson-databind');
    expect(jackson.group).toBe('com.fasterxml.jackson.core');
    expect(jackson.licenses).toEqual([{ license: { name: 'Some Custom License, v2' } }]);
    const refs = doc.components.map((c: Json) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('links root → OS → OS packages and root → each lockfile → its packages', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'cyclonedx')) as Json;
    const deps = new Map<string, string[]>(doc.dependencies.map((d: Json) => [d.ref, d.dependsOn]));
    const rootDeps = deps.get(doc.metadata.component['bom-ref'])!;
    expect(rootDeps).toContain('palisade:os:debian@12.5');
    expect(rootDeps).toContain('palisade:app:npm:app/package-lock.json');
    expect(deps.get('palisade:os:debian@12.5')).toHaveLength(3);
    expect(deps.get('palisade:app:npm:app/package-lock.json')).toEqual([
      'pkg:npm/lodash@4.17.20',
      'pkg:npm/%40babel/traverse@7.22.5',
    ]);
  });

  it('reports vulnerabilities with ratings and affects, suppressed ones with analysis', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'cyclonedx')) as Json;
    const ids = doc.vulnerabilities.map((v: Json) => v.id);
    expect(ids).toContain('CVE-2023-26136');
    expect(ids).not.toContain('aws-access-key-id');
    const openssl = doc.vulnerabilities.find((v: Json) => v.id === 'CVE-2024-5535');
    expect(openssl.source).toEqual({ name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535' });
    expect(openssl.ratings).toEqual([
      {
        source: { name: 'nvd' },
        score: 9.1,
        severity: 'critical',
        method: 'CVSSv31',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H',
      },
      { source: { name: 'distro' }, severity: 'medium', method: 'other' },
    ]);
    expect(openssl.affects).toEqual([
      {
        ref: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5',
        versions: [{ version: '3.0.11-1~deb12u2', status: 'affected' }],
      },
    ]);
    expect(openssl.references).toEqual([
      { id: 'DSA-5726-1', source: { name: 'OSV', url: 'https://osv.dev/vulnerability/DSA-5726-1' } },
    ]);
    const suppressed = doc.vulnerabilities.find((v: Json) => v.id === 'CVE-2023-26136');
    expect(suppressed.analysis).toMatchObject({ state: 'not_affected', justification: 'code_not_reachable' });
    expect(suppressed.analysis.detail).toContain('vex');
    expect(doc.vulnerabilities.find((v: Json) => v.id === 'CVE-2021-23337').analysis).toBeUndefined();
  });

  it('gives an ignore-file suppression its reason and expiry, apart from open findings of the same id', () => {
    const report = sampleImageReport();
    const jar = report.results[2]!;
    const open = jar.findings[0]!;
    jar.findings.push({
      ...open,
      id: 'other-file',
      package: { ...open.package!, filePath: 'app/lib/other.jar' },
      status: 'suppressed',
      suppression: { source: 'ignorefile', reason: 'not reachable from our code', expires: '2027-01-31' },
    });
    const doc = JSON.parse(writeReport(report, 'cyclonedx')) as Json;
    const entries = doc.vulnerabilities.filter((v: Json) => v.id === 'GHSA-jjjh-jjxp-wpff');
    expect(entries).toHaveLength(2);
    expect(entries[0].analysis).toBeUndefined();
    expect(entries[1].analysis).toEqual({
      state: 'not_affected',
      detail: 'suppressed by ignorefile: not reachable from our code (until 2027-01-31)',
    });
    expect(entries[1].affects[0].ref).toBe('pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4#2');
    expect(cycloneDx16Validator()(doc)).toBe(true);
  });
});

describe('spdx-json', () => {
  it('writes an SPDX 2.3 document describing the artifact, containing the OS and packages', () => {
    const doc = JSON.parse(writeReport(sampleImageReport(), 'spdx-json', { toolVersion: '1.0.0' })) as Json;
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    expect(doc.documentNamespace).toMatch(
      /^https:\/\/palisade\.dev\/spdx\/registry\.example\.com-shop-api-1\.4\.2-[0-9a-f-]{36}$/,
    );
    expect(doc.creationInfo.created).toBe('2026-11-27T03:40:12Z');
    expect(doc.creationInfo.creators).toContain('Tool: palisade-1.0.0');
    const other = JSON.parse(writeReport(sampleImageReport(), 'spdx-json'));
    expect(other.documentNamespace).not.toBe(doc.documentNamespace);

    const byId = new Map<string, Json>(doc.packages.map((p: Json) => [p.SPDXID, p]));
    const describes = doc.relationships.filter((r: Json) => r.relationshipType === 'DESCRIBES');
    expect(describes).toHaveLength(1);
    const root = byId.get(describes[0].relatedSpdxElement)!;
    expect(root.primaryPackagePurpose).toBe('CONTAINER');
    const contains = (id: string) =>
      doc.relationships
        .filter((r: Json) => r.spdxElementId === id && r.relationshipType === 'CONTAINS')
        .map((r: Json) => byId.get(r.relatedSpdxElement)!);
    const os = contains(root.SPDXID).find((p: Json) => p.primaryPackagePurpose === 'OPERATING-SYSTEM');
    expect(os).toMatchObject({ name: 'debian', versionInfo: '12.5' });
    expect(
      contains(os.SPDXID)
        .map((p: Json) => p.name)
        .sort(),
    ).toEqual(['libc6', 'libssl3', 'zlib1g']);
    const libc = contains(os.SPDXID).find((p: Json) => p.name === 'libc6');
    expect(libc.licenseDeclared).toBe('LGPL-2.1-or-later AND GPL-2.0-or-later');
    expect(libc.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5',
      },
    ]);
    const jackson = doc.packages.find((p: Json) => p.versionInfo === '2.13.4');
    expect(jackson.licenseDeclared).toMatch(/^LicenseRef-[0-9a-f]{12}$/);
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: jackson.licenseDeclared, name: 'Some Custom License, v2', extractedText: 'Some Custom License, v2' },
    ]);
  });

  it('meets the SPDX 2.3 required fields for every package and relationship', () => {
    const validate = spdx23Validator();
    const doc = JSON.parse(writeReport(sampleImageReport(), 'spdx-json')) as Json;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(writeReport(cleanRepoReport(), 'spdx-json'))), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate({ ...doc, creationInfo: { created: '2026-11-27T03:40:12.345Z', creators: [] } })).toBe(false);
    const ids = new Set<string>(['SPDXRef-DOCUMENT']);
    for (const p of doc.packages) {
      expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
      expect(ids.has(p.SPDXID)).toBe(false);
      ids.add(p.SPDXID);
      expect(typeof p.name).toBe('string');
      expect(p.downloadLocation).toBe('NOASSERTION');
      expect(p.filesAnalyzed).toBe(false);
      expect(p.licenseConcluded).toBeTypeOf('string');
      expect(p.copyrightText).toBeTypeOf('string');
      for (const a of p.annotations ?? []) {
        expect(a.annotationDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(a.annotationType).toBe('OTHER');
        expect(a.annotator).toMatch(/^Tool: /);
      }
    }
    for (const r of doc.relationships) {
      expect(ids.has(r.spdxElementId)).toBe(true);
      expect(ids.has(r.relatedSpdxElement)).toBe(true);
    }
  });
});
