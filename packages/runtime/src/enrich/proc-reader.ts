// Reads what the agent needs about a live process from /proc/<pid> (stat, status, cmdline, exe,
// cwd, cgroup), for processes that started before the sensor saw their exec.

import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { type CgroupEntry, parseProcCgroup } from './cgroup-container.js';

export interface ProcSnapshot {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath?: string;
  args: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  pgid?: number;
  sid?: number;
  tty?: number;
  /** ns since the Unix epoch. */
  startTs?: number;
  cgroups: CgroupEntry[];
}

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  tty: number;
  /** Clock ticks after boot. */
  startTicks: number;
}

/** /proc/<pid>/stat: comm is in parentheses and may itself hold spaces or ")", so split at the last ")". */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state); starttime is field 22 → rest[19].
  const num = (i: number) => Number(rest[i]);
  const st: ProcStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(1),
    pgid: num(2),
    sid: num(3),
    tty: num(4),
    startTicks: num(19),
  };
  return Number.isInteger(st.pid) && Number.isInteger(st.ppid) ? st : undefined;
}

/** First number of the `Uid:`/`Gid:` lines of /proc/<pid>/status (the real id, as Falco's user.uid). */
export function parseStatusIds(text: string): { uid?: number; gid?: number } {
  const out: { uid?: number; gid?: number } = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('Uid:')) out.uid = Number(line.slice(4).trim().split(/\s+/)[0]);
    else if (line.startsWith('Gid:')) out.gid = Number(line.slice(4).trim().split(/\s+/)[0]);
  }
  return out;
}

// USER_HZ is 100 on every Linux architecture Node runs on; /proc exposes times in it.
const CLOCK_TICKS = 100;
let bootTimeNs: number | undefined;

function bootTime(procRoot: string): number {
  if (bootTimeNs === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync(path.join(procRoot, 'stat'), 'utf8'));
    bootTimeNs = m ? Number(m[1]) * 1e9 : 0;
  }
  return bootTimeNs;
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function tryLink(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

/** A snapshot of /proc/<pid>, or undefined when the process is gone (or never existed). */
export function readProc(pid: number, procRoot = '/proc'): ProcSnapshot | undefined {
  const dir = path.join(procRoot, String(pid));
  const statText = tryRead(path.join(dir, 'stat'));
  const stat = statText === undefined ? undefined : parseProcStat(statText);
  if (!stat) return undefined;
  const cmdline = tryRead(path.join(dir, 'cmdline')) ?? '';
  const argv = cmdline.split('\0');
  if (argv.at(-1) === '') argv.pop();
  const ids = parseStatusIds(tryRead(path.join(dir, 'status')) ?? '');
  const exepath = tryLink(path.join(dir, 'exe'));
  const snap: ProcSnapshot = {
    pid,
    ppid: stat.ppid,
    comm: stat.comm,
    // Kernel threads have no argv; Falco shows their comm as exe.
    exe: argv[0] ?? stat.comm,
    args: argv.slice(1),
    pgid: stat.pgid,
    sid: stat.sid,
    tty: stat.tty,
    startTs: bootTime(procRoot) + Math.round((stat.startTicks / CLOCK_TICKS) * 1e9),
    cgroups: parseProcCgroup(tryRead(path.join(dir, 'cgroup')) ?? ''),
    ...ids,
  };
  if (exepath !== undefined) snap.exepath = exepath.replace(/ \(deleted\)$/, '');
  const cwd = tryLink(path.join(dir, 'cwd'));
  if (cwd !== undefined) snap.cwd = cwd;
  return snap;
}

/** Only /proc/<pid>/cgroup: what container lookups need, without the other five reads. */
export function readProcCgroup(pid: number, procRoot = '/proc'): CgroupEntry[] | undefined {
  const text = tryRead(path.join(procRoot, String(pid), 'cgroup'));
  return text === undefined ? undefined : parseProcCgroup(text);
}
