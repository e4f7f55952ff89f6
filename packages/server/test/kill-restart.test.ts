// A server in a child process is killed with SIGKILL in the middle of event ingestion and restarted
// on the same SQLite file: every acknowledged event is there, and a full resend duplicates nothing.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@palisade/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServerChild, exited, killChildren, startServerChild } from './fixtures/child-server.js';

const TOKEN = `pal_killtest_${'k'.repeat(43)}`;
let bundle: string;
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  bundle = await bundleServerChild(path.join(import.meta.dirname, 'fixtures/server-child.ts'), 'server-child');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-kill-'));
});

afterAll(() => {
  killChildren(children);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
});

function startChild(): Promise<{ child: ChildProcess; url: string }> {
  return startServerChild(bundle, [dataDir, TOKEN], children);
}

function batch(n: number, size: number): string {
  return Array.from({ length: size }, (_, i) =>
    JSON.stringify({
      id: `b${n}-e${i}`,
      ts: new Date(1_700_000_000_000 + n * size + i).toISOString(),
      type: 'exec',
      host: 'h',
    }),
  ).join('\n');
}

describe('kill -9 mid-ingest and restart (sqlite)', () => {
  it('loses no acknowledged event and duplicates none', async () => {
    const BATCHES = 400;
    const SIZE = 250;
    const acked = new Set<number>();
    const first = await startChild();
    const send = async (url: string, n: number) => {
      const res = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
        body: batch(n, SIZE),
      });
      if (res.status !== 200) throw new Error(`batch ${n}: HTTP ${res.status}`);
      await res.json();
      return n;
    };

    // Four senders in flight; the server is killed once 30 batches are acknowledged.
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (next < BATCHES && !killed) {
        const n = next++;
        try {
          acked.add(await send(first.url, n));
        } catch {
          return; // the connection died with the server: not acknowledged
        }
        if (acked.size >= 30 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    await exited(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(30);
    expect(acked.size).toBeLessThan(BATCHES);

    // Restart on the same file: everything acknowledged must be there.
    const second = await startChild();
    const store = await openStore({ dataDir });
    try {
      const rows = await store.db.selectFrom('events').select('id').execute();
      const stored = new Set(rows.map((r) => r.id));
      for (const n of acked) {
        for (let i = 0; i < SIZE; i++) expect(stored.has(`b${n}-e${i}`), `b${n}-e${i}`).toBe(true);
      }
      // Batches are all-or-nothing: no half-stored batch.
      expect(rows.length % SIZE).toBe(0);

      // A sender that cannot know what the dead server committed resends everything.
      let dupes = 0;
      for (let n = 0; n < 60; n++) {
        const res = await fetch(`${second.url}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
          body: batch(n, SIZE),
        });
        expect(res.status).toBe(200);
        dupes += ((await res.json()) as { duplicates: number }).duplicates;
      }
      const count = await store.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const storedBefore = rows.filter((r) => Number(r.id.slice(1, r.id.indexOf('-'))) < 60).length;
      expect(dupes).toBe(storedBefore);
      expect(Number(count.n)).toBe(rows.length - storedBefore + 60 * SIZE);
    } finally {
      await store.close();
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
    expect(second.child.exitCode).toBe(0);
  });
});
