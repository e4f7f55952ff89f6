// Test fixture: a real PostgreSQL for the suites that run against both stores. Uses
// PALISADE_TEST_PG_URL when set, else starts a throwaway cluster through scripts/postgres.sh.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../../test-support/free-port.js';
import { repoRoot } from '../../../test-support/paths.js';

const run = promisify(execFile);
const script = path.join(repoRoot, 'scripts/postgres.sh');

export interface PostgresFixture {
  /** A fresh, empty database on the cluster, created for the caller. */
  newDatabaseUrl(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresFixture> {
  let baseUrl = process.env.PALISADE_TEST_PG_URL;
  let stop = async () => {};
  if (!baseUrl) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-pg-'));
    const env = { ...process.env, PALISADE_PG_DIR: dir, PALISADE_PG_PORT: String(await freePort()) };
    const { stdout } = await run('bash', [script, 'start'], { env, timeout: 120_000 });
    baseUrl = stdout.trim();
    stop = async () => {
      await run('bash', [script, 'stop'], { env, timeout: 60_000 });
    };
  }
  const admin = baseUrl;
  return {
    async newDatabaseUrl() {
      const name = `palisade_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      const u = new URL(admin);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop,
  };
}
