import type { Finding, ScanReport } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { sampleImageReport } from '../../../report/test/sample-report.js';
import { cycloneDxVexDoc, openVexDoc } from './__fixtures__/vex-documents.js';
import { filterReport, globToRegExp } from './filter-report.js';
import { parseIgnoreFile } from './ignore-file.js';
import { parseVex } from './vex.js';

const now = new Date('2026-11-27T04:00:00Z');

function findings(report: ScanReport): Finding[] {
  return report.results.flatMap((r) => r.findings);
}
function byRule(report: ScanReport, ruleId: string): Finding | undefined {
  return findings(report).find((f) => f.ruleId === ruleId);
}

describe('filterReport', () => {
  it('keeps only the requested severities', () => {
    const out = filterReport(sampleImageReport(), { severities: new Set(['CRITICAL', 'HIGH']), now });
    expect(
      findings(out)
        .map((f) => f.ruleId)
        .sort(),
    ).toEqual(['CVE-2021-23337', 'CVE-2023-45853', 'GHSA-jjjh-jjxp-wpff', 'aws-access-key-id']);
  });

  it('drops unfixed vulnerabilities but not other finding types', () => {
    const out = filterReport(sampleImageReport(), { ignoreUnfixed: true, now });
    expect(byRule(out, 'CVE-2023-45853')).toBeUndefined();
    expect(byRule(out, 'CVE-2021-23337')).toBeDefined();
    expect(byRule(out, 'aws-access-key-id')).toBeDefined();
  });

  it('does not change the input report', () => {
    const input = sampleImageReport();
    const before = JSON.stringify(input);
    filterReport(input, { severities: new Set(['LOW']), ignore: parseIgnoreFile('CVE-2021-23337\n', 'i'), now });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('suppresses ignored ids (by rule id or alias) and keeps them with the reason and expiry', () => {
    const ignore = parseIgnoreFile(
      [
        'vulnerabilities:',
        '  - id: GHSA-35jh-r3h4-6jhm',
        '    reason: template() never sees user input',
        '    expires: 2027-01-01',
        'secrets:',
        '  - id: aws-access-key-id',
        '    paths: ["app/*.env"]',
      ].join('\n'),
      '.palisadeignore.yaml',
    );
    const out = filterReport(sampleImageReport(), { ignore, now });
    expect(byRule(out, 'CVE-2021-23337')).toMatchObject({
      status: 'suppressed',
      suppression: { source: 'ignorefile', reason: 'template() never sees user input', expires: '2027-01-01' },
    });
    expect(byRule(out, 'aws-access-key-id')!.status).toBe('suppressed');
    expect(byRule(out, 'CVE-2024-5535')!.status).toBe('open');
    expect(out.warnings).toEqual(sampleImageReport().warnings);
  });

  it('applies an ignore rule only to the purls and paths it names', () => {
    const ignore = parseIgnoreFile(
      [
        'vulnerabilities:',
        '  - id: CVE-2021-23337',
        '    purls: ["pkg:npm/lodash@4.17.19"]',
        '  - id: CVE-2023-45853',
        '    purls: ["pkg:deb/debian/zlib1g"]',
        '  - id: CVE-2024-5535',
        '    paths: ["usr/lib/**"]',
        '  - id: GHSA-jjjh-jjxp-wpff',
        '    paths: ["app/**/*.jar"]',
      ].join('\n'),
      '.palisadeignore.yaml',
    );
    const out = filterReport(sampleImageReport(), { ignore, now });
    expect(byRule(out, 'CVE-2021-23337')!.status).toBe('open'); // other version
    expect(byRule(out, 'CVE-2023-45853')!.status).toBe('suppressed'); // qualifiers and version ignored
    expect(byRule(out, 'CVE-2024-5535')!.status).toBe('open'); // other path
    expect(byRule(out, 'GHSA-jjjh-jjxp-wpff')!.status).toBe('suppressed');
  });

  it('stops applying expired ignore rules and says so in a warning', () => {
    const ignore = parseIgnoreFile('CVE-2021-23337 exp:2026-11-26\nCVE-2023-45853 exp:2026-11-27\n', '.palisadeignore');
    const out = filterReport(sampleImageReport(), { ignore, now });
    expect(byRule(out, 'CVE-2021-23337')!.status).toBe('open');
    expect(byRule(out, 'CVE-2023-45853')!.status).toBe('suppressed'); // expires at the end of its day
    expect(out.warnings.filter((w) => w.includes('expired'))).toEqual([
      '.palisadeignore: ignore rule for CVE-2021-23337 expired on 2026-11-26 and no longer applies',
    ]);
  });

  it('suppresses OpenVEX not_affected and fixed statements, not under_investigation', () => {
    const vex = parseVex(JSON.stringify(openVexDoc), 'shop.openvex.json');
    const out = filterReport(sampleImageReport(), { vex: [vex], now });
    expect(byRule(out, 'CVE-2023-45853')).toMatchObject({
      status: 'suppressed',
      suppression: { source: 'vex', reason: 'vulnerable_code_not_in_execute_path' },
    });
    expect(byRule(out, 'CVE-2021-23337')).toMatchObject({
      status: 'suppressed',
      suppression: { source: 'vex', reason: 'fixed' },
    });
    expect(byRule(out, 'CVE-2024-5535')!.status).toBe('open');
  });

  it('suppresses by CycloneDX VEX matched through an alias and a bom-ref', () => {
    const vex = parseVex(JSON.stringify(cycloneDxVexDoc), 'vex.cdx.json');
    const out = filterReport(sampleImageReport(), { vex: [vex], now });
    // The finding's rule id is the GHSA; the VEX names the CVE and lists the GHSA as a reference.
    expect(byRule(out, 'GHSA-jjjh-jjxp-wpff')).toMatchObject({
      status: 'suppressed',
      suppression: { source: 'vex', reason: 'code_not_reachable' },
    });
  });

  it('lets a later VEX statement override an earlier one', () => {
    const first = parseVex(JSON.stringify(openVexDoc), 'a.json');
    const later = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          {
            vulnerability: { name: 'CVE-2023-45853' },
            products: [{ '@id': 'pkg:deb/debian/zlib1g' }],
            status: 'affected',
          },
        ],
      }),
      'b.json',
    );
    expect(byRule(filterReport(sampleImageReport(), { vex: [first, later], now }), 'CVE-2023-45853')!.status).toBe(
      'open',
    );
  });

  it('applies a statement about the image (matched by digest) to all its packages, or to its subcomponents only', () => {
    const digest = 'sha256%3A4444444444444444444444444444444444444444444444444444444444444444';
    const statement = (product: unknown) =>
      parseVex(
        JSON.stringify({
          '@context': 'https://openvex.dev/ns/v0.2.0',
          statements: [{ vulnerability: { name: 'CVE-2024-5535' }, products: [product], status: 'not_affected' }],
        }),
        'image.json',
      );
    const status = (product: unknown) =>
      byRule(filterReport(sampleImageReport(), { vex: [statement(product)], now }), 'CVE-2024-5535')!.status;
    expect(status({ '@id': `pkg:oci/api@${digest}?repository_url=docker.io/shop/api` })).toBe('suppressed');
    expect(status({ '@id': 'pkg:oci/api@sha256%3A5555' })).toBe('open');
    expect(status({ '@id': `pkg:oci/api@${digest}`, subcomponents: [{ '@id': 'pkg:deb/debian/zlib1g' }] })).toBe(
      'open',
    );
    expect(status({ '@id': `pkg:oci/api@${digest}`, subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] })).toBe(
      'suppressed',
    );
    // Subcomponents of some other image do not count.
    expect(status({ '@id': 'pkg:oci/other@sha256%3A6666', subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] })).toBe(
      'open',
    );
  });

  it('does not match a VEX statement whose purl names other qualifiers', () => {
    const vex = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          {
            vulnerability: { name: 'CVE-2023-45853' },
            products: [{ '@id': 'pkg:deb/debian/zlib1g?arch=arm64' }],
            status: 'not_affected',
          },
        ],
      }),
      'arm.json',
    );
    expect(byRule(filterReport(sampleImageReport(), { vex: [vex], now }), 'CVE-2023-45853')!.status).toBe('open');
  });

  it('turns globs into anchored expressions', () => {
    expect(globToRegExp('app/**/*.jar').test('app/lib/x.jar')).toBe(true);
    expect(globToRegExp('app/**/*.jar').test('app/x.jar')).toBe(true);
    expect(globToRegExp('app/*.env').test('app/sub/.env')).toBe(false);
    expect(globToRegExp('/var/lib/dpkg/status').test('var/lib/dpkg/status')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});
