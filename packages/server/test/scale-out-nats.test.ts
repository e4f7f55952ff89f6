// Two server replicas in their own processes on one PostgreSQL database and one real nats-server
// (--bus nats://…): an agent long-polling replica A for its policies gets the change made through
// replica B. With the in-process bus replica A would never hear of it and answer 304 at the deadline.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerFixture, startNatsServer } from '../../../test-support/nats.js';
import { type PostgresFixture, startPostgres } from '../../store/test/postgres-fixture.js';
import { bundleServerChild, killChildren, startServerChild } from './fixtures/child-server.js';

const ADMIN = `pal_h3scale_${'s'.repeat(43)}`;
let bundle: string;
let pg: PostgresFixture | undefined;
let nats: NatsServerFixture | undefined;
const dataDirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  bundle = await bundleServerChild(path.join(import.meta.dirname, 'fixtures/replica-child.ts'), 'h3-replica-child');
  [pg, nats] = await Promise.all([startPostgres(), startNatsServer()]);
});

afterAll(async () => {
  killChildren(children);
  await nats?.stop();
  await pg?.stop();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  if (bundle) rmSync(bundle, { force: true });
});

async function startReplica(opts: Record<string, unknown>): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'h3-replica-'));
  dataDirs.push(dataDir);
  const { url } = await startServerChild(bundle, [JSON.stringify({ dataDir, ...opts })], children);
  return url;
}

async function call(url: string, token: string, method: string, route: string, body?: unknown, headers = {}) {
  const res = await fetch(`${url}/api/v1${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), json: () => JSON.parse(text), text };
}

describe('scale-out: two server replicas on PostgreSQL + NATS JetStream', () => {
  it("wakes an agent's long poll on replica A with a policy created through replica B", {
    timeout: 120_000,
  }, async () => {
    const db = await (pg as PostgresFixture).newDatabaseUrl();
    const bus = (nats as NatsServerFixture).url;
    // A first: it migrates the database and bootstraps the admin token; B finds both done.
    const a = await startReplica({ db, bus, bootstrapToken: ADMIN });
    const b = await startReplica({ db, bus });
    const c = await startReplica({ db });

    const issued = await call(b, ADMIN, 'POST', '/tokens', { name: 'h3-agent', role: 'agent' });
    expect(issued.status, issued.text).toBe(201);
    const agentToken = (issued.json() as { token: string }).token;
    const registered = await call(a, agentToken, 'POST', '/agents', {
      name: 'h3-agent-1',
      workload: { kind: 'host', name: 'h3-host', labels: { app: 'api' } },
    });
    expect(registered.status, registered.text).toBe(200);
    const agentId = (registered.json() as { id: string }).id;

    const first = await call(a, agentToken, 'GET', `/agents/${agentId}/policies`);
    expect(first.status, first.text).toBe(200);
    const revision = first.etag as string;
    expect(revision).toMatch(/^"[^"]+"$/); // an HTTP entity tag: the quoted bundle revision

    // The agent parks on A for up to 60 s: only a wake-up carried by NATS can answer it with 200.
    // A control replica C on the same database with the in-process bus gets the same long poll; it
    // never hears of B's change, so it answers 304 when its shorter wait runs out.
    const ifNoneMatch = { 'if-none-match': revision };
    const pollA = call(a, agentToken, 'GET', `/agents/${agentId}/policies?wait=60`, undefined, ifNoneMatch);
    const pollC = call(c, agentToken, 'GET', `/agents/${agentId}/policies?wait=4`, undefined, ifNoneMatch);
    // Let both polls park before the change; had they not, they would read the new bundle, and C's
    // 304 below would not hold.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const created = await call(b, ADMIN, 'POST', '/policies', {
      kind: 'NetworkPolicy',
      name: 'h3-allow-api',
      document: '{"kind":"NetworkPolicy","spec":{"selector":"app == \'api\'"}}',
      workloadSelector: "app == 'api'",
    });
    expect(created.status, created.text).toBe(201);

    const answer = await pollA;
    expect(answer.status, answer.text).toBe(200);
    expect(answer.etag).not.toBe(revision);
    const bundle = answer.json() as { policies: { name: string }[] };
    expect(bundle.policies.map((p) => p.name)).toEqual(['h3-allow-api']);
    expect((await pollC).status).toBe(304);
  });
});
