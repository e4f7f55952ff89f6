#!/usr/bin/env node
// bench/server: (1) ingest of 1,000,000 runtime events over HTTP in NDJSON batches, (2) 1,000
// simulated agents heartbeating every 10 s while an analyst lists findings (p99 latency), and (3)
// how fast the outputs' outbox drains to a webhook on loopback. Runs on the embedded SQLite store
// and on a throwaway PostgreSQL (scripts/postgres.sh). Prints figures.
//   node bench/server.mjs            (after `npm run build`; PostgreSQL part needs root + postgresql)
//   BENCH_STORES=postgres BENCH_EVENTS=200000 node bench/server.mjs   (one store, fewer events)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AlertDispatcher, PalisadeClient, parseOutputsConfig, startServer } from '@palisade/server';
import { openStore } from '@palisade/store';
import { Registry } from 'prom-client';
import { fmt, repoRoot } from './lib/measure.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 5_000;
const SENDERS = 2;
const AGENTS = 1_000;
const HEARTBEAT_SECONDS = Number(process.env.BENCH_HEARTBEAT_SECONDS ?? 20);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const OUTBOX_ALERTS = Number(process.env.BENCH_OUTBOX_ALERTS ?? 10_000);

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

/** CPU seconds (user + system, exited children included) of a PostgreSQL cluster's processes. */
function clusterCpuSeconds(pgDataDir) {
  const postmaster = readFileSync(path.join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (pid !== postmaster && f[1] !== postmaster) continue;
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

// The machine is shared: CPU per event is the steadier figure when throughput swings with load.
async function ingest(url, token, pgDataDir) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const pg0 = pgDataDir ? clusterCpuSeconds(pgDataDir) : 0;
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
  const rate = EVENTS / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  return {
    rate,
    // This process runs the server and the senders (building NDJSON batches) alike.
    nodeMsPer1k: (cpu.user + cpu.system) / EVENTS,
    pgMsPer1k: pgDataDir ? ((clusterCpuSeconds(pgDataDir) - pg0) * 1e6) / EVENTS : undefined,
  };
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

async function benchStore(label, db, target, pgDataDir) {
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
    const { rate, nodeMsPer1k, pgMsPer1k } = await ingest(server.url, server.bootstrapToken, pgDataDir);
    const lat = await heartbeatsWhileListing(server.url, server.bootstrapToken);
    console.log(`\n## ${label}`);
    console.log(
      `ingest ${EVENTS.toLocaleString()} events: ${fmt(rate, 0)} events/s (target >= ${target.toLocaleString()}/s)`,
    );
    console.log(
      `CPU per 1,000 events: node (server + senders) ${fmt(nodeMsPer1k, 1)} ms${pgMsPer1k === undefined ? '' : `, postgres ${fmt(pgMsPer1k, 1)} ms`}`,
    );
    console.log(
      `findings list during ${AGENTS} agents heartbeating: p50 ${fmt(lat.p50, 1)} ms, p99 ${fmt(lat.p99, 1)} ms over ${lat.n} requests (target p99 < 50 ms)`,
    );
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Stores OUTBOX_ALERTS alerts with a webhook output configured (their deliveries go to the outbox
 * in the ingest's transaction) and times until a loopback receiver has taken every one.
 */
async function benchOutbox(label, db) {
  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-outbox-'));
  const store = await openStore({ dataDir, db });
  if ((await store.tenants.count()) === 0) await store.tenants.createRoot('root');
  const outputs = parseOutputsConfig(`outputs: [{ name: bench, type: webhook, url: "${url}" }]`, 'bench', {});
  const dispatcher = new AlertDispatcher({ outputs, outbox: store.outbox, registry: new Registry(), log: console });
  try {
    const t0 = performance.now();
    for (let start = 0; start < OUTBOX_ALERTS; start += 1000) {
      const alerts = Array.from({ length: Math.min(1000, OUTBOX_ALERTS - start) }, (_, i) => ({
        id: `outbox-${start + i}`,
        ts: new Date(1_796_000_000_000 + start + i).toISOString(),
        type: 'execve',
        rule: 'Terminal shell in container',
        priority: 'Warning',
        output: 'shell spawned',
      }));
      const delivery = dispatcher.newDelivery('root', null);
      await store.events.insertBatch('root', null, alerts, { outbox: delivery.plan });
      delivery.committed();
    }
    await dispatcher.idle();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${label}: outbox to a loopback webhook, ${OUTBOX_ALERTS.toLocaleString()} alerts delivered in ${fmt(seconds, 2)} s: ${fmt(OUTBOX_ALERTS / seconds, 0)} alerts/s (received ${received})`,
    );
  } finally {
    await dispatcher.close();
    await store.close();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A free loopback port for the throwaway cluster, so it never meets another cluster on this host. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

if (STORES.includes('sqlite')) {
  await benchStore('SQLite (embedded)', undefined, 50_000);
  await benchOutbox('SQLite', undefined);
}
if (STORES.includes('postgres')) {
  // A private cluster directory and port: `stop` below deletes only what this run created.
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-pg-'));
  const env = { ...process.env, PALISADE_PG_DIR: pgDir, PALISADE_PG_PORT: String(await freePort()) };
  const script = path.join(repoRoot, 'scripts/postgres.sh');
  let pgUrl;
  try {
    pgUrl = execFileSync('bash', [script, 'start'], { encoding: 'utf8', env }).trim().split('\n').pop();
  } catch (err) {
    console.log(`\n## PostgreSQL\nskipped: could not start a cluster (${err.message.split('\n')[0]})`);
  }
  try {
    if (pgUrl) {
      await benchStore('PostgreSQL', pgUrl, 30_000, path.join(pgDir, 'data'));
      await benchOutbox('PostgreSQL', pgUrl);
    }
  } finally {
    execFileSync('bash', [script, 'stop'], { env });
    rmSync(pgDir, { recursive: true, force: true });
  }
}
