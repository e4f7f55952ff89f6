import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '@palisade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../test/http-receiver.js';
import { waitFor } from '../../test/support.js';
import { DiskQueue } from '../disk-queue.js';
import type { AlertRecord } from './alert-output.js';
import { serverOutput } from './server-output.js';

function record(n: number): AlertRecord {
  const alert: Alert = {
    time: '2026-11-27T03:40:00.000000000Z',
    rule: 'Terminal shell in container',
    priority: 'Notice',
    output: `shell ${n}`,
    output_fields: { 'proc.pid': n },
    tags: ['shell'],
    hostname: 'node-1',
    source: 'syscall',
  };
  return { id: `alert-${n}`, alert };
}
const records = (from: number, to: number): AlertRecord[] =>
  Array.from({ length: to - from }, (_, i) => record(from + i));

let tmp: string;
let rx: HttpReceiver;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-queue-'));
  rx = new HttpReceiver();
});
afterEach(async () => {
  await rx.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('DiskQueue', () => {
  it('keeps records in order across reopen, ignores a repeated id, deletes only what was acknowledged', () => {
    const q = new DiskQueue(tmp);
    expect(
      q.enqueue([
        { id: 'a', body: '1' },
        { id: 'b', body: '2' },
        { id: 'a', body: 'again' },
      ]),
    ).toBe(2);
    q.enqueue([{ id: 'c', body: '3' }]);
    const head = q.head(2);
    expect(head.map((r) => r.body)).toEqual(['1', '2']);
    q.ack(head[1]!.seq);
    q.close();
    const again = new DiskQueue(tmp);
    expect(again.depth()).toBe(1);
    expect(again.head(10).map((r) => r.id)).toEqual(['c']);
    again.close();
  });

  it('names the directory it cannot use', () => {
    const file = path.join(tmp, 'file');
    fs.writeFileSync(file, '');
    expect(() => new DiskQueue(path.join(file, 'q'))).toThrow(/cannot open the agent queue in .*file\/q/);
  });
});

describe('server output (disk-backed queue)', () => {
  it('sends NDJSON batches with the token; each line carries id, ts and type', async () => {
    const url = await rx.start();
    const out = serverOutput({ url, token: 'tok-1', queueDir: tmp, agentId: 'ag-1', batchSize: 2 });
    out.write(records(0, 3));
    out.enqueueRecord({ id: 'inv-1', ts: '2026-11-27T03:40:00Z', type: 'inventory', inventory: { x: 1 } });
    expect(await out.drained(20_000)).toBe(true);
    await out.close();
    expect(rx.requests.map((r) => r.url)).toEqual(Array(2).fill('/api/v1/events?agentId=ag-1'));
    expect(rx.requests[0]!.headers.authorization).toBe('Bearer tok-1');
    expect(rx.requests[0]!.headers['content-type']).toBe('application/x-ndjson');
    const lines = rx.lines();
    expect(lines.map((l) => l.id)).toEqual(['alert-0', 'alert-1', 'alert-2', 'inv-1']);
    expect(lines[0]).toMatchObject({
      type: 'alert',
      ts: record(0).alert.time,
      host: 'node-1',
      rule: 'Terminal shell in container',
    });
  });

  it('loses nothing while the server is down and sends nothing twice across an agent restart', async () => {
    const url = await rx.start();
    rx.mode = 503;
    // First agent run: the server fails every request, then the agent stops with alerts queued.
    const first = serverOutput({
      url,
      token: 't',
      queueDir: tmp,
      backoffMs: 20,
      maxBackoffMs: 50,
      closeTimeoutMs: 100,
    });
    first.write(records(0, 50));
    await waitFor(() => (first.stats?.().serverFailures ?? 0) >= 2, 'failed attempts');
    first.write(records(50, 100));
    expect(first.stats?.().queueDepth).toBe(100);
    await first.close();
    rx.mode = 'drop';
    // Second run, connection resets: still queued.
    const second = serverOutput({
      url,
      token: 't',
      queueDir: tmp,
      backoffMs: 20,
      maxBackoffMs: 50,
      closeTimeoutMs: 100,
    });
    await waitFor(() => (second.stats?.().serverFailures ?? 0) >= 1, 'a reset connection');
    second.write(records(95, 120)); // five alerts seen again (the same event re-read): no duplicates
    await second.close();
    // Third run, server back: everything arrives exactly once, in order.
    rx.mode = 200;
    const third = serverOutput({ url, token: 't', queueDir: tmp, batchSize: 30 });
    expect(await third.drained(20_000)).toBe(true);
    await third.close();
    const ids = rx.lines().map((l) => l.id);
    expect(ids).toEqual(records(0, 120).map((r) => r.id));
    expect(new DiskQueue(tmp).depth()).toBe(0);
  });

  it('drops a batch the server refuses as malformed (400) instead of blocking the queue', async () => {
    const url = await rx.start();
    rx.mode = 400;
    const logs: string[] = [];
    const out = serverOutput({ url, token: 't', queueDir: tmp, log: (_l, m) => logs.push(m) });
    out.write(records(0, 2));
    expect(await out.drained(20_000)).toBe(true);
    await out.close();
    expect(out.stats?.()).toMatchObject({ serverRejected: 2, queueDepth: 0 });
    expect(logs.some((m) => m.includes('refused 2 record(s) (HTTP 400)'))).toBe(true);
  });
});
