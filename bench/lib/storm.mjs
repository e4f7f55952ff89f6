// The C load generator shared by the runtime benches, built once per run, and small helpers to
// run it and to read a process's resident memory.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchDir } from './measure.mjs';

/** Compiles lib/storm.c into DIR and writes the small file the open storm reads. */
export function buildStorm(dir) {
  mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'palisade-storm');
  execFileSync('cc', ['-O2', '-o', bin, path.join(benchDir, 'lib', 'storm.c')]);
  const small = path.join(dir, 'small-file');
  writeFileSync(small, 'x');
  return { storm: bin, small };
}

/** Runs the generator; resolves with its pid and the seconds it reports. */
export function runStorm(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${bin} ${args.join(' ')} exited ${code}`));
      else resolve({ pid: child.pid, seconds: Number(out.trim()) });
    });
  });
}

/** Resident memory of a process in MB, 0 when it is gone. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
