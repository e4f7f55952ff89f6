import type { Finding, Package, ScanReport } from '@palisade/core';
import { SEVERITIES } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../src/index.js';
import { cycloneDx16Validator, sarif210Validator, spdx23Validator } from './schemas.js';

const purls = [
  'pkg:npm/lodash@4.17.20',
  'pkg:npm/%40babel/core@7.0.0',
  'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.5',
  'pkg:maven/org.example/lib@1.0',
  'pkg:pypi/requests@2.31.0',
];

const pkg: fc.Arbitrary<Package> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }),
  version: fc.string({ minLength: 1, maxLength: 12 }),
  ecosystem: fc.constantFrom('npm' as const, 'Debian' as const, 'Maven' as const, 'PyPI' as const),
  purl: fc.constantFrom(...purls),
  licenses: fc.array(fc.oneof(fc.constantFrom('MIT', 'Apache-2.0', 'GPL-2.0 OR MIT'), fc.string()), { maxLength: 3 }),
  filePath: fc.constantFrom('a/package-lock.json', 'var/lib/dpkg/status', 'dir with space/x.jar'),
});

const finding: fc.Arbitrary<Finding> = fc.record({
  id: fc.string({ minLength: 8, maxLength: 8 }),
  type: fc.constantFrom('vulnerability' as const, 'secret' as const, 'misconfiguration' as const),
  ruleId: fc.string({ minLength: 1, maxLength: 30 }),
  aliases: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 2 }),
  severity: fc.constantFrom(...SEVERITIES),
  cvss: fc.array(
    fc.record({
      version: fc.constantFrom('2.0' as const, '3.0' as const, '3.1' as const, '4.0' as const),
      vector: fc.string(),
      score: fc.double({ min: 0, max: 10, noNaN: true }),
    }),
    { maxLength: 2 },
  ),
  title: fc.string({ maxLength: 60 }),
  description: fc.string({ maxLength: 200 }),
  target: fc.record(
    { path: fc.string({ maxLength: 30 }), line: fc.integer({ min: 1, max: 5000 }) },
    { requiredKeys: [] },
  ),
  package: pkg,
  fixedVersion: fc.string({ maxLength: 10 }),
  references: fc.array(fc.webUrl(), { maxLength: 2 }),
  status: fc.constantFrom('open' as const, 'suppressed' as const),
  suppression: fc.record({ source: fc.constantFrom('vex', 'ignorefile'), reason: fc.string() }),
  publishedAt: fc.constantFrom('2024-01-02T03:04:05Z', 'not a date', '2024-01-02'),
});

const report: fc.Arbitrary<ScanReport> = fc.record({
  schemaVersion: fc.constant(1 as const),
  createdAt: fc.constant('2026-11-27T03:40:12.345Z'),
  artifact: fc.record({
    name: fc.string({ minLength: 1, maxLength: 30 }),
    type: fc.constantFrom('image' as const, 'filesystem' as const, 'repository' as const, 'sbom' as const),
  }),
  results: fc.array(
    fc.record({
      target: fc.string({ minLength: 1, maxLength: 30 }),
      class: fc.constantFrom('os-pkgs' as const, 'lang-pkgs' as const, 'secret' as const),
      type: fc.constantFrom('npm', 'dpkg', 'jar'),
      packages: fc.array(pkg, { maxLength: 4 }),
      findings: fc.array(finding, { maxLength: 4 }),
    }),
    { maxLength: 3 },
  ),
  warnings: fc.array(fc.string(), { maxLength: 2 }),
});

describe('writers on arbitrary reports', () => {
  const cdx = cycloneDx16Validator();
  const sarif = sarif210Validator();
  const spdx = spdx23Validator();

  it('always write schema-valid CycloneDX, SARIF and SPDX, and table/json without throwing', () => {
    fc.assert(
      fc.property(report, (r) => {
        const c = JSON.parse(writeReport(r, 'cyclonedx'));
        expect(cdx(c), JSON.stringify(cdx.errors)).toBe(true);
        const s = JSON.parse(writeReport(r, 'sarif', { showSuppressed: true }));
        expect(sarif(s), JSON.stringify(sarif.errors)).toBe(true);
        for (const res of s.runs[0].results) {
          expect(res.locations[0].physicalLocation.artifactLocation.uri).not.toBe('');
          expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
        }
        const d = JSON.parse(writeReport(r, 'spdx-json'));
        expect(spdx(d), JSON.stringify(spdx.errors)).toBe(true);
        writeReport(r, 'table', { color: true });
        JSON.parse(writeReport(r, 'json'));
      }),
      { numRuns: 150 },
    );
  });
});
