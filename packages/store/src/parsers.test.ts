import { AuthError, InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';
import { generateToken, hashSecret, parseToken, secretMatches } from './token-format.js';

describe('token format', () => {
  it('parses what it generates and matches only the right secret', () => {
    const t = generateToken();
    expect(parseToken(t.token)).toEqual({ id: t.id, secret: t.secret });
    expect(secretMatches(t.secret, hashSecret(t.secret))).toBe(true);
    expect(secretMatches(`${t.secret}x`, hashSecret(t.secret))).toBe(false);
  });

  it('throws AuthError (never anything else) for any other string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          const p = parseToken(s);
          expect(s).toBe(`pal_${p.id}_${p.secret}`);
        } catch (err) {
          expect(err).toBeInstanceOf(AuthError);
        }
      }),
    );
  });
});

describe('cursor', () => {
  it('round-trips any sort value and id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.string(), (v, id) => {
        expect(decodeCursor(encodeCursor(v, id))).toEqual([v, id]);
      }),
    );
  });

  it('throws InputError for any string that is not a cursor', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          const [v, id] = decodeCursor(s);
          expect(['string', 'number']).toContain(typeof v);
          expect(typeof id).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
    );
  });
});
