// The outbox across a crash: a server in a child process with a webhook output whose receiver is
// down takes alerts, is killed with SIGKILL, and restarts once the receiver is up: every
// acknowledged alert arrives, once. On SQLite and on a real PostgreSQL.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@palisade/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test-support/free-port.js';
import { type PostgresFixture, startPostgres } from '../../../store/test/postgres-fixture.js';
import { bundleServerChild, exited, killChildren, startServerChild } from '../../test/fixtures/child-server.js';
import { HttpReceiver, waitUntil } from './__fixtures__/receivers.js';

const TOKEN = `pal_outbox_${'o'.repeat(43)}`;
const ALERTS = 300;
let bundle: string;
let pg: PostgresFixture | undefined;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  bundle = await bundleServerChild(
    path.join(import.meta.dirname, '__fixtures__/server-child-outputs.ts'),
    'server-child-outputs',
  );
  pg = await startPostgres();
}, 180_000);

afterAll(async () => {
  killChildren(children);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  rmSync(bundle, { force: true });
  await pg?.stop();
});

function startChild(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return startServerChild(bundle, args, children);
}

function batch(from: number, n: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    lines.push(JSON.stringify({ id: `plain-${i}`, ts: '2026-11-27T08:00:00Z', type: 'open', host: 'h' }));
    lines.push(
      JSON.stringify({
        id: `alert-${i}`,
        ts: new Date(1_796_000_000_000 + i).toISOString(),
        type: 'execve',
        host: 'web-1',
        rule: 'Terminal shell in container',
        priority: 'Warning',
        output: `shell ${i}`,
      }),
    );
  }
  return lines.join('\n');
}

describe.each(['sqlite', 'postgres'] as const)('outbox across SIGKILL (%s)', (kind) => {
  it('delivers every acknowledged alert once the receiver is up, after a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-outbox-crash-'));
    dirs.push(dir);
    const db = kind === 'postgres' ? await pg?.newDatabaseUrl() : '';
    if (db === undefined) throw new Error('postgres fixture did not start');
    const port = await freePort();
    const outputs = path.join(dir, 'outputs.yaml');
    writeFileSync(
      outputs,
      `outputs:
  - name: soc
    type: webhook
    url: http://127.0.0.1:${port}/hook
    timeoutMs: 2000
    retry: { attempts: 100, initialDelayMs: 100, maxDelayMs: 200 }
`,
    );
    const args = [path.join(dir, 'data'), TOKEN, outputs, db];

    const first = await startChild(args);
    for (let from = 0; from < ALERTS; from += 100) {
      const res = await fetch(`${first.url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
        body: batch(from, 100),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 200, duplicates: 0 });
    }
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');

    // What the dead server left: every alert still waiting, none dead-lettered.
    const store = await openStore({ dataDir: path.join(dir, 'data'), db: db || undefined });
    try {
      expect((await store.outbox.list('soc')).length).toBe(ALERTS);
      expect(await store.deadLetters.count()).toBe(0);
    } finally {
      await store.close();
    }

    const receiver = new HttpReceiver();
    await receiver.start(port);
    const second = await startChild(args);
    try {
      await waitUntil(() => receiver.requests.length >= ALERTS, 'every alert delivered', 60_000);
      // A moment for anything that would arrive twice.
      await new Promise((r) => setTimeout(r, 500));
      const uuids = receiver.requests.map((r) => (JSON.parse(r.body) as { uuid: string }).uuid);
      expect(uuids.length).toBe(ALERTS);
      expect(new Set(uuids).size).toBe(ALERTS);
      // In the order they were stored.
      expect(uuids).toEqual(Array.from({ length: ALERTS }, (_, i) => `alert-${i}`));
      expect(receiver.requests[0]?.headers['x-palisade-alert-id']).toMatch(/^root:alert-0$/);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
      await receiver.stop();
    }
    expect(second.child.exitCode).toBe(0);
    const after = await openStore({ dataDir: path.join(dir, 'data'), db: db || undefined });
    try {
      expect(await after.outbox.list()).toEqual([]);
      expect(await after.deadLetters.count()).toBe(0);
    } finally {
      await after.close();
    }
  }, 120_000);
});
