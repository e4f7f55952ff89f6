import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywordFilter } from './keyword-filter.js';

const rules = [
  { keywords: ['token', 'key'] },
  { keywords: ['SK'], caseSensitiveKeywords: true },
  { keywords: ['ghp_'], caseSensitiveKeywords: true },
];
const f = new KeywordFilter(rules);
const b = (s: string) => Buffer.from(s, 'latin1');

describe('KeywordFilter', () => {
  it('folds case only for case-insensitive keywords', () => {
    expect(f.candidates(b('API_TOKEN=1'))).toEqual([0]);
    expect(f.candidates(b('sk ghp_'))).toEqual([2]);
    expect(f.candidates(b('xSKx'))).toEqual([1]);
    expect(f.candidates(b('GHP_'))).toEqual([]);
  });

  it('finds keywords at the very start and end of the buffer, and nothing in short ones', () => {
    expect(f.candidates(b('key'))).toEqual([0]);
    expect(f.candidates(b('a ke'))).toEqual([]);
    expect(f.candidates(b('K'))).toEqual([]);
    expect(f.candidates(b(''))).toEqual([]);
  });

  it('agrees with a plain substring search on arbitrary text', () => {
    const naive = (s: string) =>
      rules.flatMap((r, i) =>
        r.keywords.some((k) => (r.caseSensitiveKeywords ? s.includes(k) : s.toLowerCase().includes(k))) ? [i] : [],
      );
    const alphabet = fc.constantFrom('t', 'o', 'k', 'e', 'n', 'y', 'K', 'E', 'Y', 'S', 's', 'g', 'h', 'p', '_', ' ');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const s = chars.join('');
        expect(f.candidates(b(s))).toEqual(naive(s));
      }),
      { numRuns: 1000 },
    );
  });
});
