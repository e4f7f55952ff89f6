#!/usr/bin/env node
// bench/bus: the event bus, in-process and over NATS JetStream (a throwaway nats-server with -js on
// a free loopback port): (1) acknowledged publishes per second from one replica, sequential and 64
// in flight, and (2) fan-out: the time from publish to delivery on every one of 3 replicas (p50/p99).
// Prints figures.
//   node bench/bus.mjs            (after `npm run build`; needs the Debian package nats-server)
//   BENCH_MESSAGES=2000 node bench/bus.mjs

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MemoryEventBus, NatsEventBus } from '@palisade/bus';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const FANOUT_MESSAGES = Math.min(MESSAGES, 2_000);
const REPLICAS = 3;
const IN_FLIGHT = 64;

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startNats() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'h3-bench-nats-'));
  const port = await freePort();
  const child = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
  });
  await new Promise((resolve, reject) => {
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
      if (log.includes('Server is ready')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${log}`)));
  });
  child.stderr.resume();
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const perSecond = (n, ms) => Math.round((n / ms) * 1000).toLocaleString('en-US');
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function publishRate(bus) {
  let t = performance.now();
  for (let i = 0; i < MESSAGES; i++) await bus.publish('bench.rate', { i });
  const sequential = perSecond(MESSAGES, performance.now() - t);
  t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) await bus.publish('bench.rate', { i: next++ });
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { sequential, parallel: perSecond(MESSAGES, performance.now() - t) };
}

/** Publishes one message at a time and waits until every replica has it; returns latencies (ms). */
async function fanOut(publisher, replicas) {
  const latencies = [];
  let pending;
  let sentAt = 0;
  let arrived = 0;
  for (const r of replicas) {
    r.subscribe('bench.fanout', () => {
      if (++arrived === replicas.length) {
        latencies.push(performance.now() - sentAt);
        pending();
      }
    });
  }
  await Promise.all(replicas.map((r) => r.ready()));
  for (let i = 0; i < FANOUT_MESSAGES; i++) {
    arrived = 0;
    const done = new Promise((resolve) => {
      pending = resolve;
    });
    sentAt = performance.now();
    await publisher.publish('bench.fanout', { i });
    await done;
  }
  return latencies.sort((a, b) => a - b);
}

function report(name, rate, latencies) {
  console.log(
    `${name.padEnd(16)} publish ${rate.sequential.padStart(9)}/s sequential, ${rate.parallel.padStart(9)}/s with ${IN_FLIGHT} in flight; ` +
      `fan-out to ${latencies.replicas} subscribers p50 ${pct(latencies.sorted, 50).toFixed(3)} ms, p99 ${pct(latencies.sorted, 99).toFixed(3)} ms`,
  );
}

console.log(`bench/bus: ${MESSAGES} publishes, ${FANOUT_MESSAGES} fan-out round trips`);

const memory = new MemoryEventBus();
const memRate = await publishRate(memory);
report('memory', memRate, { replicas: REPLICAS, sorted: await fanOut(memory, [memory, memory, memory]) });
await memory.close();

const nats = await startNats();
try {
  const connect = () => NatsEventBus.connect({ url: nats.url, stream: 'BENCH', subjectPrefix: 'bench' });
  const publisher = await connect();
  const natsRate = await publishRate(publisher);
  const replicas = await Promise.all(Array.from({ length: REPLICAS }, connect));
  report('NATS JetStream', natsRate, { replicas: REPLICAS, sorted: await fanOut(publisher, replicas) });
  for (const b of [publisher, ...replicas]) await b.close();
} finally {
  await nats.stop();
}
