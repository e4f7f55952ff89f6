import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VULNDB_SCHEMA_VERSION, VulnDb } from './vuln-db.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-vulndb-schema-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function withSchemaVersion(file: string, version: number): void {
  VulnDb.open(file).close();
  const sql = new Database(file);
  sql.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
  sql.close();
}

describe('VulnDb schema versions', () => {
  it('creates the file and its folder, in WAL mode, with an empty status', () => {
    const file = path.join(dir, 'new', 'db', 'osv.sqlite');
    const db = VulnDb.open(file);
    try {
      expect(db.status()).toEqual({ schemaVersion: VULNDB_SCHEMA_VERSION, ecosystems: {}, total: 0 });
    } finally {
      db.close();
    }
    const sql = new Database(file, { readonly: true });
    expect(sql.pragma('journal_mode', { simple: true })).toBe('wal');
    sql.close();
  });

  it('rebuilds an older database when opened for writing, refuses it for reading', () => {
    const file = path.join(dir, 'old.sqlite');
    withSchemaVersion(file, 0);
    expect(() => VulnDb.open(file, { readonly: true })).toThrow(/schema 0.*run "palisade db update"/);
    const db = VulnDb.open(file);
    expect(db.status().schemaVersion).toBe(VULNDB_SCHEMA_VERSION);
    db.close();
    VulnDb.open(file, { readonly: true }).close();
  });

  it('refuses a database written by a newer Palisade', () => {
    const file = path.join(dir, 'newer.sqlite');
    withSchemaVersion(file, VULNDB_SCHEMA_VERSION + 1);
    expect(() => VulnDb.open(file)).toThrow(/newer than this version of Palisade/);
  });
});
