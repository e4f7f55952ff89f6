// Shared helpers for bench scripts: run a command and report wall time and peak memory (GNU time),
// and prepare inputs once under bench/.work (never committed).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoRoot = path.dirname(benchDir);
export const workDir = path.join(benchDir, '.work');
export const palisadeBin = path.join(repoRoot, 'packages/cli/dist/palisade.js');
mkdirSync(workDir, { recursive: true });

/** Runs `cmd args` under /usr/bin/time; returns wall seconds, peak RSS in MB, exit status, stdout. */
export function measure(cmd, args, opts = {}) {
  const timeFile = path.join(workDir, `time-${process.pid}.txt`);
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    ...opts,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakKb = existsSync(timeFile) ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : Number.NaN;
  rmSync(timeFile, { force: true });
  return { seconds, peakMb: peakKb / 1024, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.slice(-2000)}`);
  return r.stdout;
}

/** Best of n runs (the first run warms the page cache). */
export function bestOf(n, fn) {
  let best;
  for (let i = 0; i < n; i++) {
    const r = fn();
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best;
}

export function fmt(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
