// The outbox across a crash: a server in a child process with a webhook output whose receiver is
// down takes alerts, is killed with SIGKILL, and restarts once the receiver is up: every
// acknowledged alert arrives, once. On SQLite and on a real PostgreSQL.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '@palisade/store';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import { type PostgresFixture, startPostgres } from '../../../store/test/postgres-fixture.js';
import { HttpReceiver, waitUntil } from './__fixtures__/receivers.js';

const TOKEN = `pal_outbox_${'o'.repeat(43)}`;
const ALERTS = 300;
let bundle: string;
let pg: PostgresFixture | undefined;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  // Our workspace sources bundled for plain node; npm dependencies resolve from node_modules.
  const outDir = path.join(repoRoot, 'node_modules/.cache/palisade-server-test');
  mkdirSync(outDir, { recursive: true });
  bundle = path.join(outDir, `server-child-outputs-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(import.meta.dirname, '__fixtures__/server-child-outputs.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'external-npm',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@palisade/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  pg = await startPostgres();
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  rmSync(bundle, { force: true });
  await pg?.stop();
});

/** A loopback port nothing listens on (yet): the receiver comes up there later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function startChild(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`server child exited (${code}) before listening: ${stderr}`)));
  });
  return { child, url };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
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
