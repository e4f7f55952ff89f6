#!/usr/bin/env node
// bench/runtime-sensor: the eBPF sensor alone, through the TypeScript decoder. (a) exec storm with
// and without the sensor, (b) openat storm at a fixed rate and flat out, (c) sensor RSS, (d) write
// storm: many small writes to one open file (reported once) and open-write-close of fresh files
// (every write reported), with and without the sensor. Prints figures; asserts nothing.
//   node bench/runtime-sensor.mjs   (as root, after `npx tsc -b packages/sensor`; builds the sensor)
// Env: EXECS (20000), STORM_RATE (250000), STORM_EVENTS (2000000), RUNS (2), WRITES (1000000),
// REOPENS (100000), ONLY=write (just (d)).

import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStorm, rssMb, runStorm } from './lib/storm.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workDir = path.join(repoRoot, 'bench', '.work', 'runtime-sensor');
const EXECS = Number(process.env.EXECS ?? 20000);
const STORM_RATE = Number(process.env.STORM_RATE ?? 250000);
const STORM_EVENTS = Number(process.env.STORM_EVENTS ?? 2000000);
const RUNS = Number(process.env.RUNS ?? 2);
const WRITES = Number(process.env.WRITES ?? 1000000);
const REOPENS = Number(process.env.REOPENS ?? 100000);

// The write generator: in C so that the syscalls, not Node, are what is timed. It prints the CPU
// seconds it used (user + system, where the BPF programs run), which a machine shared with other
// work disturbs far less than wall time.
//   write-storm N FILE 0   N writes of 16 bytes to one descriptor (rewinding every 4096 writes)
//   write-storm N FILE 1   N times: open FILE, write 16 bytes, close
const WRITE_STORM_C = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc < 4) return 64;
  long n = atol(argv[1]);
  int reopen = atoi(argv[3]);
  char data[16] = "0123456789abcde";
  double t0 = now();
  if (reopen) {
    for (long i = 0; i < n; i++) {
      int fd = open(argv[2], O_WRONLY);
      if (fd < 0 || write(fd, data, sizeof data) != sizeof data) return 1;
      close(fd);
    }
  } else {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    for (long i = 0; i < n; i++) {
      if (write(fd, data, sizeof data) != sizeof data) return 1;
      if ((i & 4095) == 4095) lseek(fd, 0, SEEK_SET);
    }
    close(fd);
  }
  printf("%f\\n", now() - t0);
  return 0;
}
`;

function buildWriteStorm() {
  const src = path.join(workDir, 'write-storm.c');
  const bin = path.join(workDir, 'palisade-write-storm');
  writeFileSync(src, WRITE_STORM_C);
  execFileSync('cc', ['-O2', '-o', bin, src]);
  return bin;
}

function buildTools() {
  execFileSync('make', ['-s', '-C', path.join(repoRoot, 'packages/sensor/native')], { stdio: 'inherit' });
  return buildStorm(workDir);
}

async function withSensor(startSensor, fn, stormFile = '') {
  const counts = { exec: 0, open: 0, write: 0, all: 0 };
  let stormPid = -1;
  const sensor = startSensor({
    ignoreComms: ['node'], // the bench's own Node process would otherwise feed back into the stream
    onEvent: (ev) => {
      counts.all++;
      if (ev.type === 'execve' && ev.proc.comm === 'true') counts.exec++;
      else if (ev.type === 'openat' && ev.proc.pid === stormPid && ev.fd?.name === stormFile) counts.open++;
      else if (ev.type === 'write' && ev.proc.pid === stormPid && ev.fd?.name === stormFile) counts.write++;
    },
  });
  await sensor.ready;
  let peakSensorRss = 0;
  const rssTimer = setInterval(() => {
    const pid = sensor.pid();
    if (pid) peakSensorRss = Math.max(peakSensorRss, rssMb(pid));
  }, 200);
  try {
    const before = await sensor.requestStats();
    const result = await fn((pid) => {
      stormPid = pid;
    });
    const after = await sensor.requestStats();
    // Drain: events are delivered in order, so the stats record answering our request comes after
    // every record the kernel had queued before it.
    return {
      ...result,
      counts: { ...counts },
      drops: after.kernelDrops - before.kernelDrops,
      kernelEvents: after.kernelEvents - before.kernelEvents,
      peakSensorRss,
      decoderRss: process.memoryUsage().rss / 1024 / 1024,
    };
  } finally {
    clearInterval(rssTimer);
    await sensor.stop();
  }
}

const pct = (a, b) => `${(((a - b) / b) * 100).toFixed(1)}%`;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the sensor loads BPF programs');
  const { startSensor } = await import(path.join(repoRoot, 'packages/sensor/dist/index.js')).catch(() => {
    throw new Error('build the TypeScript side first: npx tsc -b packages/sensor');
  });
  const { storm, small } = buildTools();
  if (process.env.ONLY !== 'write') await execAndOpenStorms(startSensor, storm, small);
  await writeStorms(startSensor, buildWriteStorm());
}

/** (d): the cost of write tracing for the workload, the one case where most calls are dropped in the kernel. */
async function writeStorms(startSensor, bin) {
  const file = path.join(workDir, 'write-target');
  const best = (xs) => Math.min(...xs);
  for (const [reopen, n, label] of [
    ['0', WRITES, `${fmt(WRITES)} writes of 16 bytes to one open file`],
    ['1', REOPENS, `${fmt(REOPENS)} x (open, write 16 bytes, close)`],
  ]) {
    const args = [String(n), file, reopen];
    const bare = [];
    const sensed = [];
    let info;
    for (let r = 0; r < RUNS; r++) {
      bare.push((await runStorm(bin, args)).seconds);
      info = await withSensor(startSensor, (setPid) => spawnStorm(bin, args, setPid), file);
      sensed.push(info.seconds);
    }
    console.log(`(d) write storm: ${label}, CPU time of the writer (best of ${RUNS})`);
    console.log(`    without sensor  ${best(bare).toFixed(3)} s (${((best(bare) / n) * 1e9).toFixed(0)} ns a write)`);
    console.log(
      `    with sensor     ${best(sensed).toFixed(3)} s (${((best(sensed) / n) * 1e9).toFixed(0)} ns a write)`,
    );
    console.log(
      `    overhead        ${pct(best(sensed), best(bare))} (x${(best(sensed) / best(bare)).toFixed(2)}); write events ${fmt(info.counts.write)}, kernel drops ${fmt(info.drops)}`,
    );
  }
}

async function execAndOpenStorms(startSensor, storm, small) {
  // (a) exec storm
  const best = (xs) => Math.min(...xs);
  const bare = [];
  const sensed = [];
  let execInfo;
  for (let r = 0; r < RUNS; r++) {
    bare.push((await runStorm(storm, ['exec', String(EXECS), '2'])).seconds);
    const w = await withSensor(startSensor, async () => runStorm(storm, ['exec', String(EXECS), '2']));
    sensed.push(w.seconds);
    execInfo = w;
  }
  console.log(`(a) exec storm: ${fmt(EXECS)} processes on 2 workers`);
  console.log(`    without sensor  ${best(bare).toFixed(2)} s  (${fmt(EXECS / best(bare))} exec/s)`);
  console.log(`    with sensor     ${best(sensed).toFixed(2)} s  (${fmt(EXECS / best(sensed))} exec/s)`);
  console.log(`    overhead        ${pct(best(sensed), best(bare))}`);
  console.log(
    `    exec events delivered ${fmt(execInfo.counts.exec)} of ${fmt(EXECS)}, kernel drops ${execInfo.drops}`,
  );

  // (b) openat storm through the decoder, paced and flat out
  for (const rate of [STORM_RATE, 0]) {
    const bareOpen = await runStorm(storm, ['open', String(STORM_EVENTS), small, String(rate)]);
    const r = await withSensor(
      startSensor,
      (setPid) => spawnStorm(storm, ['open', String(STORM_EVENTS), small, String(rate)], setPid),
      small,
    );
    const label = rate ? `${fmt(rate)} opens/s paced` : 'flat out';
    console.log(`(b) openat storm, ${fmt(STORM_EVENTS)} opens, ${label}`);
    console.log(
      `    generator alone ${bareOpen.seconds.toFixed(2)} s (${fmt(STORM_EVENTS / bareOpen.seconds)} opens/s)`,
    );
    console.log(`    with sensor     ${r.seconds.toFixed(2)} s (${fmt(STORM_EVENTS / r.seconds)} opens/s)`);
    console.log(
      `    delivered to TS ${fmt(r.counts.open)} of ${fmt(STORM_EVENTS)} = ${fmt(r.counts.open / r.seconds)} events/s; kernel drops ${fmt(r.drops)}`,
    );
    console.log(
      `    sensor RSS peak ${r.peakSensorRss.toFixed(1)} MB, decoder process RSS ${r.decoderRss.toFixed(1)} MB`,
    );
  }
  console.log(`(c) sensor RSS peak during the exec storm ${execInfo.peakSensorRss.toFixed(1)} MB`);
}

/** Like runStorm, but tells the caller the generator's pid before it starts opening. */
function spawnStorm(bin, args, setPid) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    setPid(child.pid);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${bin} exited ${code}`));
      else resolve({ pid: child.pid, seconds: Number(out.trim()) });
    });
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
