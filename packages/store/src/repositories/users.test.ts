// Password hashing and the session token check, including property tests over arbitrary input:
// whatever a caller sends as a bearer token or a stored hash holds, nothing throws but AuthError.

import { AuthError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPassword, isSessionToken, verifyPassword } from './users.js';

describe('password hashes', () => {
  it('verify the password they were made from and no other', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ maxLength: 64 }), async (pw, other) => {
        const stored = await hashPassword(pw);
        expect(stored).toMatch(/^scrypt\$/);
        expect(await verifyPassword(pw, stored)).toBe(true);
        if (other.normalize('NFKC') !== pw.normalize('NFKC')) expect(await verifyPassword(other, stored)).toBe(false);
      }),
      { numRuns: 6 },
    );
  });

  it('salt every hash, so equal passwords hash differently', async () => {
    expect(await hashPassword('same password here')).not.toBe(await hashPassword('same password here'));
  });

  it('answer false, never throw, for a stored value that is not a hash palisade wrote', async () => {
    const corrupt = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.integer(), fc.integer(), fc.integer(), fc.base64String(), fc.base64String())
        .map((parts) => ['scrypt', ...parts].join('$')),
    );
    await fc.assert(
      fc.asyncProperty(corrupt, async (stored) => {
        expect(await verifyPassword('whatever password', stored)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('session tokens', () => {
  it('are told apart from API tokens by their prefix alone', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(isSessionToken(s)).toBe(s.startsWith('pals_'));
        expect(isSessionToken(`pal_${s}`)).toBe(false);
      }),
    );
  });

  it('refuse any malformed bearer with AuthError before touching the store', async () => {
    const { createUserRepository } = await import('./users.js');
    // No database: a malformed token must be refused before any query is built.
    const repo = createUserRepository(undefined as never);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (s) => {
        const token = `pals_${s}`;
        fc.pre(!/^pals_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/.test(token));
        await expect(repo.authenticateSession(token)).rejects.toBeInstanceOf(AuthError);
      }),
      { numRuns: 200 },
    );
  });
});
