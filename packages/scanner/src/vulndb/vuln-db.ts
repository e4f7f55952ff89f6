// The OSV advisory store: one SQLite file (WAL) holding each OSV record once, plus an
// index from (ecosystem key, package key) to records. Import and update write through WriteSession.
//
// The index rows carry the record's affected entries for that package, so matching parses only
// those; the rest of the record (text, references, severity) is parsed only for actual matches.
// Stored as plain JSON text: inflating costs more per record (a zlib context each) than parsing.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import Database from 'better-sqlite3';
import { ecosystemBase, ecosystemKey, packageKey } from './osv-keys.js';
import type { OsvAffected, OsvRecord } from './osv-record.js';

/** Bumped whenever the tables change shape; a writable open of an older file rebuilds it. */
export const VULNDB_SCHEMA_VERSION = 1;

export interface DbStatus {
  schemaVersion: number;
  /** Live (not withdrawn) records per OSV ecosystem, without release suffix: { Go: 4291, … }. */
  ecosystems: Record<string, number>;
  total: number;
  /** When the last import or update finished (RFC 3339). */
  updatedAt?: string;
  /** Where the data came from: the mirror URL or the imported path. */
  source?: string;
}

export type PutResult = 'added' | 'updated' | 'unchanged';

/**
 * A record indexed under one package: its id and the affected entries naming that package
 * (without `package`). The entries are parsed on first use, so callers that filter by id skip the work.
 */
export class AdvisoryCandidate {
  private parsed: OsvAffected[] | undefined;
  constructor(
    /** Store key for VulnDb.record(). */
    readonly ref: number,
    readonly id: string,
    private readonly entries: string,
  ) {}

  get affected(): readonly OsvAffected[] {
    this.parsed ??= JSON.parse(this.entries) as OsvAffected[];
    return this.parsed;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisory (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  withdrawn INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS advisory_by_ecosystem ON advisory (ecosystem, withdrawn);
CREATE TABLE IF NOT EXISTS affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  id TEXT NOT NULL,
  entries TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected (advisory);
`;

/** Parsed records and lookups kept per open database, so a scan parses each once. */
const CACHE_LIMIT = 20_000;

export class VulnDb {
  private readonly records = new Map<number, OsvRecord>();
  private readonly lookups = new Map<string, AdvisoryCandidate[]>();
  private readonly stmt: {
    lookup: Database.Statement<[string, string], [number, string, string]>;
    body: Database.Statement<[number], { body: string }>;
    meta: Database.Statement<[string], { value: string }>;
  };

  private constructor(
    private readonly sql: Database.Database,
    readonly file: string,
    readonly readonly: boolean,
  ) {
    this.stmt = {
      // raw(): rows as arrays, which spares an object per row in the hottest query.
      lookup: sql
        .prepare<[string, string], [number, string, string]>(
          'SELECT advisory, id, entries FROM affected WHERE ecosystem = ? AND name = ?',
        )
        .raw(true),
      body: sql.prepare('SELECT body FROM advisory WHERE rowid = ?'),
      meta: sql.prepare('SELECT value FROM meta WHERE key = ?'),
    };
  }

  /** Opens (creating when writable) the database file. Read-only opens fail when the file is missing. */
  static open(file: string, opts: { readonly?: boolean } = {}): VulnDb {
    const readonly = opts.readonly ?? false;
    if (!readonly) mkdirSync(path.dirname(file), { recursive: true });
    let sql: Database.Database;
    try {
      sql = new Database(file, { readonly, fileMustExist: readonly });
    } catch (err) {
      if (readonly && !existsSync(file)) throw new NotFoundError(`${file}: no vulnerability database here`);
      throw new InputError(`${file}: cannot open the vulnerability database (${errorMessage(err)})`);
    }
    try {
      if (readonly) {
        const version = readSchemaVersion(sql);
        if (version === undefined) throw new InputError(`${file}: not a Palisade vulnerability database`);
        if (version !== VULNDB_SCHEMA_VERSION) {
          throw new InputError(
            `${file}: vulnerability database schema ${version}, this version of Palisade reads ${VULNDB_SCHEMA_VERSION}: run "palisade db update"`,
          );
        }
      } else {
        sql.pragma('journal_mode = WAL');
        sql.pragma('synchronous = NORMAL');
        const version = readSchemaVersion(sql);
        if (version !== undefined && version > VULNDB_SCHEMA_VERSION) {
          throw new InputError(
            `${file}: vulnerability database schema ${version} is newer than this version of Palisade (${VULNDB_SCHEMA_VERSION})`,
          );
        }
        if (version !== undefined && version !== VULNDB_SCHEMA_VERSION) {
          // An older layout cannot be migrated in place cheaply; the data is re-downloadable.
          sql.exec('DROP TABLE IF EXISTS affected; DROP TABLE IF EXISTS advisory; DROP TABLE IF EXISTS meta;');
        }
        sql.exec(SCHEMA);
        sql
          .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
          .run('schema_version', String(VULNDB_SCHEMA_VERSION));
      }
      return new VulnDb(sql, file, readonly);
    } catch (err) {
      sql.close();
      if (err instanceof InputError) throw err;
      throw new InputError(`${file}: cannot open the vulnerability database (${errorMessage(err)})`);
    }
  }

  close(): void {
    this.records.clear();
    this.lookups.clear();
    if (this.sql.open) this.sql.close();
  }

  status(): DbStatus {
    const rows = this.sql
      .prepare<[], { ecosystem: string; n: number }>(
        'SELECT ecosystem, COUNT(*) AS n FROM advisory WHERE withdrawn = 0 GROUP BY ecosystem ORDER BY ecosystem',
      )
      .all();
    const ecosystems: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      ecosystems[r.ecosystem] = r.n;
      total += r.n;
    }
    const status: DbStatus = { schemaVersion: VULNDB_SCHEMA_VERSION, ecosystems, total };
    const updatedAt = this.getMeta('updated_at');
    const source = this.getMeta('source');
    if (updatedAt) status.updatedAt = updatedAt;
    if (source) status.source = source;
    return status;
  }

  getMeta(key: string): string | undefined {
    return this.stmt.meta.get(key)?.value;
  }

  /**
   * The live records indexed under an ecosystem key ("Debian:12", "Go") and package key (see
   * osv-keys.ts), each with only its affected entries for that package. Cached per open database.
   */
  candidates(ecosystem: string, name: string): readonly AdvisoryCandidate[] {
    const key = `${ecosystem}\u0000${name}`;
    let found = this.lookups.get(key);
    if (!found) {
      found = this.stmt.lookup
        .all(ecosystem, name)
        .map(([ref, id, entries]) => new AdvisoryCandidate(ref, id, entries));
      if (this.lookups.size >= CACHE_LIMIT) this.lookups.clear();
      this.lookups.set(key, found);
    }
    return found;
  }

  /** Every (ecosystem key, package key) the index holds, for tools and benchmarks. */
  packageNames(): { ecosystem: string; name: string }[] {
    return this.sql
      .prepare<[], { ecosystem: string; name: string }>(
        'SELECT DISTINCT ecosystem, name FROM affected ORDER BY ecosystem, name',
      )
      .all();
  }

  /** A stored record without its `affected` list (candidates() has the entries that matter). */
  record(ref: number): OsvRecord | undefined {
    let record = this.records.get(ref);
    if (!record) {
      const row = this.stmt.body.get(ref);
      if (!row) return undefined;
      record = JSON.parse(row.body) as OsvRecord;
      if (this.records.size >= CACHE_LIMIT) this.records.clear();
      this.records.set(ref, record);
    }
    return record;
  }

  /** The records indexed under a package, each with the affected entries for that package. */
  advisories(ecosystem: string, name: string): OsvRecord[] {
    const out: OsvRecord[] = [];
    for (const c of this.candidates(ecosystem, name)) {
      const record = this.record(c.ref);
      if (record) out.push({ ...record, affected: [...c.affected] });
    }
    return out;
  }

  /** Starts one write transaction; everything put through it lands at commit() or not at all. */
  beginWrite(): WriteSession {
    if (this.readonly) throw new InputError(`${this.file}: opened read-only`);
    this.records.clear();
    this.lookups.clear();
    return new WriteSession(this.sql);
  }
}

function readSchemaVersion(sql: Database.Database): number | undefined {
  const hasMeta = sql.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return undefined;
  const row = sql.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('schema_version');
  return row ? Number(row.value) : undefined;
}

/**
 * A write transaction spanning awaits (records stream in from zips and HTTP): BEGIN IMMEDIATE takes
 * the write lock up front, readers keep reading the previous state through WAL until commit.
 */
export class WriteSession {
  private done = false;
  private readonly stmt;

  constructor(private readonly sql: Database.Database) {
    this.stmt = {
      find: sql.prepare<[string], { rowid: number; modified: string }>(
        'SELECT rowid, modified FROM advisory WHERE id = ?',
      ),
      insert: sql.prepare<[string, string, string, number, string]>(
        'INSERT INTO advisory (id, modified, ecosystem, withdrawn, body) VALUES (?, ?, ?, ?, ?)',
      ),
      update: sql.prepare<[string, string, number, string, number]>(
        'UPDATE advisory SET modified = ?, ecosystem = ?, withdrawn = ?, body = ? WHERE rowid = ?',
      ),
      unindex: sql.prepare<[number]>('DELETE FROM affected WHERE advisory = ?'),
      index: sql.prepare<[string, string, number, string, string]>(
        'INSERT INTO affected (ecosystem, name, advisory, id, entries) VALUES (?, ?, ?, ?, ?)',
      ),
      setMeta: sql.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
    sql.exec('BEGIN IMMEDIATE');
  }

  /**
   * Stores a record unless the stored copy is as new (by `modified`). Withdrawn records are kept
   * (so a later import of an older copy cannot resurrect them) but leave the index.
   * `fallbackEcosystem` names the record's ecosystem when it affects no package (the zip it came from).
   */
  put(record: OsvRecord, fallbackEcosystem = ''): PutResult {
    const existing = this.stmt.find.get(record.id);
    const modified = Date.parse(record.modified);
    if (existing && Date.parse(existing.modified) >= modified) return 'unchanged';
    const withdrawn = record.withdrawn !== undefined ? 1 : 0;
    const firstPackage = record.affected?.find((a) => a.package)?.package;
    const ecosystem = firstPackage ? ecosystemBase(firstPackage.ecosystem) : fallbackEcosystem;
    const { affected, ...rest } = record;
    const body = JSON.stringify(rest);
    let rowid: number;
    if (existing) {
      rowid = existing.rowid;
      this.stmt.update.run(record.modified, ecosystem, withdrawn, body, rowid);
      this.stmt.unindex.run(rowid);
    } else {
      rowid = Number(this.stmt.insert.run(record.id, record.modified, ecosystem, withdrawn, body).lastInsertRowid);
    }
    if (!withdrawn) {
      const byPackage = new Map<string, { ecosystem: string; name: string; entries: OsvAffected[] }>();
      for (const a of affected ?? []) {
        if (!a.package) continue;
        const ecosystem = ecosystemKey(a.package.ecosystem);
        const name = packageKey(a.package.ecosystem, a.package.name);
        const key = `${ecosystem}\u0000${name}`;
        // The row's key already names the package; leaving it out makes the hot parse smaller.
        const { package: _, ...entry } = a;
        const group = byPackage.get(key);
        if (group) group.entries.push(entry);
        else byPackage.set(key, { ecosystem, name, entries: [entry] });
      }
      for (const g of byPackage.values()) {
        this.stmt.index.run(g.ecosystem, g.name, rowid, record.id, JSON.stringify(g.entries));
      }
    }
    return existing ? 'updated' : 'added';
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    this.sql.exec('COMMIT');
  }

  rollback(): void {
    if (this.done) return;
    this.done = true;
    if (this.sql.inTransaction) this.sql.exec('ROLLBACK');
  }
}
