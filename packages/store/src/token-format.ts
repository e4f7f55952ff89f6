// API token format: `pal_<id>_<secret>`, where id names the stored row and secret is 32 random
// bytes (base64url). Only sha256(secret) is stored; the whole token is shown once, at creation.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from '@palisade/core';

const TOKEN_PATTERN = /^pal_([a-z0-9]{4,32})_([A-Za-z0-9_-]{32,128})$/;

export interface ParsedToken {
  id: string;
  secret: string;
}

export function parseToken(token: string): ParsedToken {
  const m = TOKEN_PATTERN.exec(token);
  if (!m?.[1] || !m[2]) throw new AuthError('malformed API token (expected pal_<id>_<secret>)');
  return { id: m[1], secret: m[2] };
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh token: 12 hex chars of id (no underscores, so parsing is unambiguous) and 32-byte secret. */
export function generateToken(): { token: string; id: string; secret: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `pal_${id}_${secret}`, id, secret };
}
