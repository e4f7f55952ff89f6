// The one file `palisade login --save` writes: ~/.palisade/credentials (mode 0600), holding the
// server URL and session token so later client commands need no PALISADE_TOKEN. Nothing else
// about a login is ever stored.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@palisade/core';

export interface SavedCredentials {
  server: string;
  token: string;
  expiresAt: string;
  user: string;
}

export function credentialsPath(): string {
  return path.join(os.homedir(), '.palisade', 'credentials');
}

export function saveCredentials(c: SavedCredentials): string {
  const file = credentialsPath();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written with mode 0600 from the start, and chmod'ed in case the file already existed.
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** The saved login, when there is one that has not expired. */
export function loadCredentials(now = new Date()): SavedCredentials | undefined {
  const file = credentialsPath();
  if (!existsSync(file)) return undefined;
  let c: Partial<SavedCredentials>;
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedCredentials>;
  } catch {
    throw new UsageError(`${file} is not a credentials file palisade wrote; delete it and log in again`);
  }
  if (!c.server || !c.token || !c.expiresAt) return undefined;
  if (c.expiresAt <= now.toISOString()) return undefined;
  return { server: c.server, token: c.token, expiresAt: c.expiresAt, user: c.user ?? '' };
}

export function removeCredentials(): boolean {
  const file = credentialsPath();
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}
