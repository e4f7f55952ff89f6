// Test fixture for the suites that run once on embedded SQLite and once on a real PostgreSQL:
// registers the hooks that start PostgreSQL before the file's tests and remove it and every
// temporary directory after them.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../src/index.js';
import { type PostgresFixture, startPostgres } from './postgres-fixture.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface StoreFixture {
  /** A new, migrated store of that kind in a fresh data directory. */
  open(kind: StoreKind): Promise<Store>;
  /** A fresh temporary directory, removed after the file's tests. */
  tempDir(): string;
  /** A fresh, empty database on the PostgreSQL cluster. */
  databaseUrl(): Promise<string>;
}

/** Call at the top of a test file; `prefix` names its temporary directories. */
export function useStoreFixture(prefix: string): StoreFixture {
  let pgFixture: PostgresFixture | undefined;
  const tmpDirs: string[] = [];

  beforeAll(async () => {
    pgFixture = await startPostgres();
  }, 120_000);

  afterAll(async () => {
    await pgFixture?.stop();
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  });

  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    tmpDirs.push(dir);
    return dir;
  };
  const databaseUrl = (): Promise<string> => {
    if (!pgFixture) throw new Error('postgres fixture did not start');
    return pgFixture.newDatabaseUrl();
  };
  return {
    tempDir,
    databaseUrl,
    async open(kind) {
      const dataDir = tempDir();
      if (kind === 'sqlite') return openStore({ dataDir });
      return openStore({ dataDir, db: await databaseUrl() });
    },
  };
}
