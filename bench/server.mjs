#!/usr/bin/env node
// bench/server: (1) ingest of 1,000,000 runtime events over HTTP in NDJSON batches, and (2) 1,000
// simulated agents heartbeating every 10 s while an analyst lists findings (p99 latency). Runs on
// the embedded SQLite store and on a throwaway PostgreSQL (scripts/postgres.sh). Prints figures.
//   node bench/server.mjs            (after `npm run build`; PostgreSQL part needs root + postgresql)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { fmt, repoRoot } from './lib/measure.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 5_000;
const SENDERS = 2;
const AGENTS = 1_000;
const HEARTBEAT_SECONDS = Number(process.env.BENCH_HEARTBEAT_SECONDS ?? 20);

function eventBatch(start, n) {
  const lines = [];
  for (let i = start; i < start + n; i++) {
    lines.push(
      JSON.stringify({
        id: `bench-${i}`,
        ts: new Date(1_796_000_000_000 + i).toISOString(),
        type: i % 50 === 0 ? 'alert' : 'execve',
        host: `node-${i % 100}`,
        ...(i % 50 === 0 ? { rule: 'Terminal shell in container', priority: 'Notice', output: 'shell spawned' } : {}),
        proc: { pid: i % 65536, comm: 'bash', exe: '/usr/bin/bash', args: ['-c', 'true'] },
      }),
    );
  }
  return lines.join('\n');
}

async function ingest(url, token) {
  let next = 0;
  const t0 = performance.now();
  async function sender() {
    for (;;) {
      const start = next;
      next += BATCH;
      if (start >= EVENTS) return;
      const res = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body: eventBatch(start, Math.min(BATCH, EVENTS - start)),
      });
      if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
    }
  }
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return EVENTS / ((performance.now() - t0) / 1000);
}

async function heartbeatsWhileListing(url, token) {
  const client = new PalisadeClient(url, token);
  const agents = [];
  for (let i = 0; i < AGENTS; i++)
    agents.push((await client.registerAgent({ name: `agent-${i}`, hostname: `node-${i}` })).id);
  const latencies = [];
  const deadline = performance.now() + HEARTBEAT_SECONDS * 1000;
  // 1,000 agents every 10 s is 100 heartbeats a second, spread evenly.
  const beats = (async () => {
    let i = 0;
    while (performance.now() < deadline) {
      const due = performance.now() + 10;
      await Promise.all([client.heartbeat(agents[i++ % AGENTS]), client.heartbeat(agents[i++ % AGENTS])]);
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  })();
  const analyst = (async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      await client.listFindings({ limit: 50 });
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.all([beats, analyst]);
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    n: latencies.length,
  };
}

async function benchStore(label, db, target) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-server-'));
  const server = await startServer({
    dataDir,
    db,
    port: 0,
    logLevel: 'warn',
    printBootstrapToken: false,
    rateLimit: false,
  });
  try {
    const rate = await ingest(server.url, server.bootstrapToken);
    const lat = await heartbeatsWhileListing(server.url, server.bootstrapToken);
    console.log(`\n## ${label}`);
    console.log(
      `ingest ${EVENTS.toLocaleString()} events: ${fmt(rate, 0)} events/s (target >= ${target.toLocaleString()}/s)`,
    );
    console.log(
      `findings list during ${AGENTS} agents heartbeating: p50 ${fmt(lat.p50, 1)} ms, p99 ${fmt(lat.p99, 1)} ms over ${lat.n} requests (target p99 < 50 ms)`,
    );
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await benchStore('SQLite (embedded)', undefined, 50_000);
let pgUrl;
try {
  pgUrl = execFileSync('bash', [path.join(repoRoot, 'scripts/postgres.sh'), 'start'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
} catch (err) {
  console.log(`\n## PostgreSQL\nskipped: could not start a cluster (${err.message.split('\n')[0]})`);
}
if (pgUrl) {
  try {
    await benchStore('PostgreSQL', pgUrl, 30_000);
  } finally {
    execFileSync('bash', [path.join(repoRoot, 'scripts/postgres.sh'), 'stop']);
  }
}
