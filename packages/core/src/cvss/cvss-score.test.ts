import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cvssScore } from './cvss-score.js';

describe('cvssScore', () => {
  // Scores published by NVD / FIRST for these exact vectors.
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '3.1', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', '3.1', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', '3.1', 6.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', '3.1', 7.8],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', '3.1', 5.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', '3.1', 7.5],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', '3.1', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', '3.1', 0.0],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '3.0', 9.8],
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', '3.0', 6.4],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', '4.0', 9.3],
    ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', '4.0', 8.5],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N', '4.0', 6.9],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', '4.0', 0.0],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', '2.0', 7.5],
    ['(AV:N/AC:M/Au:N/C:N/I:P/A:N)', '2.0', 4.3],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', '2.0', 10.0],
  ])('scores %s as %s %d', (vector, version, score) => {
    expect(cvssScore(vector)).toEqual({ version, score });
  });

  it('scores only the base group when threat or environmental metrics are present', () => {
    expect(cvssScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U')).toEqual({
      version: '3.1',
      score: 9.8,
    });
    expect(cvssScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U')).toEqual({
      version: '4.0',
      score: 9.3,
    });
  });

  it.each([
    '',
    'garbage',
    'CVSS:3.1/AV:N',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L',
    'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1',
    'CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    'CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    'CVSS:4.0/AV:X',
    'AV:N/AC:L/Au:N/C:P/I:P',
    'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/constructor:x',
  ])('rejects the invalid vector %j', (vector) => {
    expect(cvssScore(vector)).toBeUndefined();
  });

  it('never throws and returns a score within 0..10 for any input', () => {
    const metric = fc.constantFrom(
      'AV',
      'AC',
      'PR',
      'UI',
      'S',
      'C',
      'I',
      'A',
      'AT',
      'VC',
      'VI',
      'VA',
      'SC',
      'SI',
      'SA',
      'Au',
      'E',
    );
    const value = fc.constantFrom('N', 'L', 'H', 'P', 'A', 'U', 'C', 'R', 'X', 'M', 'S');
    const vector = fc
      .tuple(
        fc.constantFrom('CVSS:3.1/', 'CVSS:3.0/', 'CVSS:4.0/', ''),
        fc.array(fc.tuple(metric, value), { maxLength: 14 }),
      )
      .map(([prefix, parts]) => prefix + parts.map(([k, v]) => `${k}:${v}`).join('/'));
    fc.assert(
      fc.property(fc.oneof(vector, fc.string()), (v) => {
        const r = cvssScore(v);
        if (r) expect(r.score).toBeGreaterThanOrEqual(0);
        if (r) expect(r.score).toBeLessThanOrEqual(10);
      }),
      { numRuns: 2000 },
    );
  });
});
