import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OsvFormatError, parseOsvRecord } from './osv-record.js';

const minimal = { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z' };

describe('parseOsvRecord', () => {
  it('accepts a minimal and a full record', () => {
    expect(parseOsvRecord(minimal).id).toBe('GHSA-1');
    const full = {
      ...minimal,
      aliases: ['CVE-1'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x', purl: 'pkg:npm/x' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
          versions: ['0.9.0'],
          ecosystem_specific: { imports: [] },
        },
      ],
      references: [{ type: 'WEB', url: 'https://example.test' }],
    };
    expect(parseOsvRecord(full)).toEqual(full);
  });

  it.each([
    [null, /record: not a JSON object/],
    [{ modified: minimal.modified }, /^id:/],
    [{ id: 'X' }, /^modified:/],
    [{ ...minimal, modified: 'yesterday' }, /^modified:/],
    [{ ...minimal, aliases: 'CVE-1' }, /record\.aliases: not an array of strings/],
    [{ ...minimal, affected: {} }, /^affected: not an array/],
    [
      { ...minimal, affected: [{ package: { name: 'x' } }] },
      /affected\[0\]\.package: needs string "ecosystem" and "name"/,
    ],
    [
      { ...minimal, affected: [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1' }] }] }] },
      /affected\[0\]\.ranges\[0\]\.events\[0\]/,
    ],
    [{ ...minimal, affected: [{ ranges: [{ type: 'SEMVER', events: [{ fixd: '1' }] }] }] }, /events\[0\]/],
    [{ ...minimal, severity: [{ type: 'CVSS_V3' }] }, /severity\[0\]: needs string "type" and "score"/],
    [{ ...minimal, references: [{ type: 'WEB' }] }, /references\[0\]: needs a string "url"/],
  ])('rejects %j naming the bad field', (value, message) => {
    expect(() => parseOsvRecord(value)).toThrow(OsvFormatError);
    expect(() => parseOsvRecord(value)).toThrow(message);
  });

  it('either returns the value or throws OsvFormatError, for any JSON (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ id: fc.string(), modified: fc.string(), affected: fc.jsonValue() })),
        (v) => {
          try {
            expect(parseOsvRecord(v)).toBe(v);
          } catch (err) {
            expect(err).toBeInstanceOf(OsvFormatError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
