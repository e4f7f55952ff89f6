// Test harness: a bootstrapped app on SQLite or PostgreSQL with two sibling tenants (A, B) and a
// token of every role in each, so tests can act as anyone.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, ROLES, type Role, type Store } from '@palisade/store';
import type { PostgresFixture } from '../../store/test/postgres-fixture.js';
import { type BuildAppOptions, buildApp, type PalisadeApp } from '../src/app.js';
import { bootstrapStore } from '../src/start-server.js';

export interface Harness {
  app: PalisadeApp;
  store: Store;
  rootToken: string;
  tenantA: string;
  tenantB: string;
  /** tokens[tenant][role] */
  tokens: Record<'A' | 'B', Record<Role, string>>;
  close(): Promise<void>;
}

export async function createHarness(
  kind: 'sqlite' | 'postgres',
  pg: PostgresFixture | undefined,
  appOpts: Partial<BuildAppOptions> = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-server-'));
  const db = kind === 'postgres' ? await pg?.newDatabaseUrl() : undefined;
  if (kind === 'postgres' && !db) throw new Error('postgres fixture did not start');
  const store = await openStore({ dataDir, db });
  const rootToken = await bootstrapStore(store);
  if (!rootToken) throw new Error('bootstrap did not issue a token');
  const a = await store.tenants.create({ parentId: 'root', name: 'tenant A', kind: 'account' });
  const b = await store.tenants.create({ parentId: 'root', name: 'tenant B', kind: 'account' });
  const tokens = { A: {}, B: {} } as Harness['tokens'];
  for (const [key, tenantId] of [
    ['A', a.id],
    ['B', b.id],
  ] as const) {
    for (const role of ROLES) {
      tokens[key][role] = (await store.tokens.issue({ tenantId, name: `${key}-${role}`, role })).token;
    }
  }
  const app = await buildApp({ store, logLevel: 'silent', rateLimit: false, ...appOpts });
  await app.ready();
  return {
    app,
    store,
    rootToken,
    tenantA: a.id,
    tenantB: b.id,
    tokens,
    async close() {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * Posts `events` as NDJSON with tenant A's agent token, throws unless the server answers 200, and
 * waits until the outputs have handled what the batch raised.
 */
export async function ingestEvents(harness: Harness, events: object[]): Promise<void> {
  const r = await harness.app.inject({
    method: 'POST',
    url: '/api/v1/events',
    headers: { ...bearer(harness.tokens.A.agent), 'content-type': 'application/x-ndjson' },
    payload: events.map((e) => JSON.stringify(e)).join('\n'),
  });
  if (r.statusCode !== 200) throw new Error(`POST /events answered ${r.statusCode}: ${r.body}`);
  await harness.app.palisade.outputs?.idle();
}
