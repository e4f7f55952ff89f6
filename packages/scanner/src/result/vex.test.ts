import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycloneDxVexDoc, openVexDoc } from './__fixtures__/vex-documents.js';
import { loadVex, parseVex } from './vex.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'palisade-vex-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('loadVex', () => {
  it('reads OpenVEX statements: names, @ids, aliases, subcomponents, old string forms', async () => {
    const file = path.join(tmp, 'shop.openvex.json');
    await writeFile(file, JSON.stringify(openVexDoc));
    const doc = await loadVex(file);
    expect(doc.format).toBe('openvex');
    expect(doc.statements).toEqual([
      {
        vulnerabilityIds: ['CVE-2023-45853', 'GHSA-xxxx-zlib'],
        products: [
          {
            id: 'pkg:oci/api@sha256%3A4444444444444444444444444444444444444444444444444444444444444444',
            subcomponents: ['pkg:deb/debian/zlib1g'],
          },
        ],
        status: 'not_affected',
        reason: 'vulnerable_code_not_in_execute_path',
      },
      {
        vulnerabilityIds: ['CVE-2024-5535', 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535'],
        products: [{ id: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5' }],
        status: 'under_investigation',
      },
      {
        vulnerabilityIds: ['CVE-2021-23337'],
        products: [{ id: 'pkg:npm/lodash@4.17.20' }],
        status: 'fixed',
        reason: 'fixed',
      },
    ]);
  });

  it('reads CycloneDX VEX: analysis states, references as aliases, bom-refs and BOM-Links resolved to purls', async () => {
    const file = path.join(tmp, 'vex.cdx.json');
    await writeFile(file, JSON.stringify(cycloneDxVexDoc));
    const doc = await loadVex(file);
    expect(doc.format).toBe('cyclonedx');
    expect(doc.statements).toEqual([
      {
        vulnerabilityIds: ['CVE-2022-42003', 'GHSA-jjjh-jjxp-wpff'],
        products: [{ id: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4' }],
        status: 'not_affected',
        reason: 'code_not_reachable',
      },
      {
        vulnerabilityIds: ['CVE-2023-26136'],
        products: [{ id: 'pkg:npm/%40babel/traverse@7.22.5' }],
        status: 'not_affected',
        reason: 'false_positive',
      },
      { vulnerabilityIds: ['CVE-2024-0001'], products: [{ id: 'pkg:npm/x@1' }], status: 'affected' },
    ]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['neither format', { statements: [] }, /not an OpenVEX document/],
    ['OpenVEX without statements', { '@context': 'https://openvex.dev/ns/v0.2.0' }, /no "statements" list/],
    [
      'unknown status',
      { '@context': 'https://openvex.dev/ns', statements: [{ vulnerability: 'CVE-1', status: 'maybe' }] },
      /statements\[0\]: unknown status "maybe"/,
    ],
    [
      'no vulnerability',
      { '@context': 'https://openvex.dev/ns', statements: [{ status: 'fixed' }] },
      /no vulnerability name/,
    ],
    ['CycloneDX without vulnerabilities', { bomFormat: 'CycloneDX', specVersion: '1.5' }, /no "vulnerabilities" list/],
    [
      'unknown state',
      { bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'X', analysis: { state: 'meh' } }] },
      /unknown analysis state "meh"/,
    ],
  ];
  for (const [name, doc, message] of bad) {
    it(`rejects ${name} with an InputError naming the file`, () => {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      expect(() => parseVex(text, 'team.vex.json')).toThrow(InputError);
      expect(() => parseVex(text, 'team.vex.json')).toThrow(new RegExp(`team\\.vex\\.json: .*${message.source}`));
    });
  }

  it('never throws anything but InputError (fuzzed)', () => {
    const openvex = fc.record({
      '@context': fc.constant('https://openvex.dev/ns/v0.2.0'),
      statements: fc.oneof(
        fc.array(
          fc.record(
            {
              vulnerability: fc.oneof(
                fc.string(),
                fc.record({ name: fc.anything(), aliases: fc.anything() }),
                fc.anything(),
              ),
              products: fc.anything(),
              status: fc.constantFrom('not_affected', 'fixed', 'affected', 'under_investigation', 'x'),
              justification: fc.anything(),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.anything(),
      ),
    });
    const cdx = fc.record({
      bomFormat: fc.constant('CycloneDX'),
      components: fc.anything(),
      vulnerabilities: fc.oneof(
        fc.array(
          fc.record(
            { id: fc.anything(), analysis: fc.anything(), affects: fc.anything(), references: fc.anything() },
            { requiredKeys: [] },
          ),
        ),
        fc.anything(),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(openvex, cdx, fc.jsonValue()), (doc) => {
        try {
          parseVex(JSON.stringify(doc) ?? 'null', 'fuzz.json');
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
