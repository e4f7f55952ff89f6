// Opens the store: an embedded SQLite file (default) or PostgreSQL (`postgres://…`), runs the one
// migration set, and hands out the typed repositories. The only place that knows the dialect.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '@palisade/core';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import { createAgentRepository } from './repositories/agents.js';
import { createAuditRepository } from './repositories/audit.js';
import { createDeadLetterRepository } from './repositories/dead-letters.js';
import { createEventRepository } from './repositories/events.js';
import { createFindingRepository } from './repositories/findings.js';
import { createImageRepository } from './repositories/images.js';
import { createOutboxRepository } from './repositories/outbox.js';
import { createPolicyRepository } from './repositories/policies.js';
import { createPostureRepository } from './repositories/posture.js';
import { createTenantRepository } from './repositories/tenants.js';
import { createTokenRepository } from './repositories/tokens.js';
import { createUserRepository } from './repositories/users.js';
import { createWorkloadRepository } from './repositories/workloads.js';
import type { Database } from './schema.js';

export interface OpenStoreOptions {
  /** Directory for the embedded SQLite file (created if missing). */
  dataDir: string;
  /** `postgres://…` / `postgresql://…` for PostgreSQL, `sqlite:PATH` or a path for SQLite. */
  db?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  readonly dialect: StoreDialect;
  /** Where the data lives, without credentials: the SQLite path or the PostgreSQL host/db. */
  readonly location: string;
  readonly db: Kysely<Database>;
  readonly tenants: ReturnType<typeof createTenantRepository>;
  readonly tokens: ReturnType<typeof createTokenRepository>;
  readonly workloads: ReturnType<typeof createWorkloadRepository>;
  readonly findings: ReturnType<typeof createFindingRepository>;
  readonly events: ReturnType<typeof createEventRepository>;
  readonly agents: ReturnType<typeof createAgentRepository>;
  readonly audit: ReturnType<typeof createAuditRepository>;
  /** Alerts the server's outputs could not deliver. */
  readonly deadLetters: ReturnType<typeof createDeadLetterRepository>;
  /** Alerts waiting for delivery to the outputs (durable across restarts). */
  readonly outbox: ReturnType<typeof createOutboxRepository>;
  /** Versioned policy documents fetched by agents. */
  readonly policies: ReturnType<typeof createPolicyRepository>;
  /** People who log in, and their sessions. */
  readonly users: ReturnType<typeof createUserRepository>;
  /** Posture trends (daily snapshots) and workload risk ranking. */
  readonly posture: ReturnType<typeof createPostureRepository>;
  /** Images by digest: the workloads running them and their vulnerabilities. */
  readonly images: ReturnType<typeof createImageRepository>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function isPostgresUrl(db: string | undefined): boolean {
  return db !== undefined && /^postgres(ql)?:\/\//.test(db);
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}

function openSqlite(file: string): SqliteDatabase.Database {
  let handle: SqliteDatabase.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    handle = new SqliteDatabase(file);
  } catch (err) {
    throw new UsageError(`cannot open SQLite store ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // WAL: readers never block the writer. synchronous=NORMAL in WAL mode survives a killed
  // process (only an OS crash can lose the last commits). busy_timeout covers a second process.
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  return handle;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  let location: string;
  if (opts.db && isPostgresUrl(opts.db)) {
    dialect = 'postgres';
    location = redactUrl(opts.db);
    const pool = new pg.Pool({ connectionString: opts.db, max: opts.poolSize ?? 10 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    dialect = 'sqlite';
    const raw = opts.db?.startsWith('sqlite:') ? opts.db.slice('sqlite:'.length) : opts.db;
    location = path.resolve(raw || path.join(opts.dataDir, 'palisade.db'));
    const handle = openSqlite(location);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  }

  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw new UsageError(`store ${location}: ${err instanceof Error ? err.message : String(err)}`);
  }

  return {
    dialect,
    location,
    db,
    tenants: createTenantRepository(db),
    tokens: createTokenRepository(db),
    workloads: createWorkloadRepository(db),
    findings: createFindingRepository(db),
    events: createEventRepository(db, dialect),
    agents: createAgentRepository(db),
    audit: createAuditRepository(db),
    deadLetters: createDeadLetterRepository(db),
    outbox: createOutboxRepository(db, dialect),
    policies: createPolicyRepository(db),
    users: createUserRepository(db),
    posture: createPostureRepository(db),
    images: createImageRepository(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
