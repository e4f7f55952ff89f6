// The agent's process table: pid → what the process is and who its parent is, kept current from
// exec/fork/exit events and filled from /proc for processes that predate the agent.

import type { RuntimeAncestor, RuntimeEvent } from '@palisade/core';
import { type CgroupContainerRef, containerFromProcCgroup } from './cgroup-container.js';
import { readProc, readProcCgroup } from './proc-reader.js';

export interface ProcessNode {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath?: string;
  args: string[];
  startTs?: number;
  cgroupId?: number;
  /** Container from /proc/<pid>/cgroup; null when the process is known to run on the host. */
  container?: CgroupContainerRef | null;
}

export interface ProcessTreeOptions {
  procRoot?: string;
  /** Upper bound of entries kept; the oldest are dropped first, so a fork bomb cannot exhaust memory. */
  maxEntries?: number;
  /** Read /proc for pids no event described yet (default true). */
  readProc?: boolean;
}

const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);
const EXECS = new Set(['execve', 'execveat']);
const EXITS = new Set(['procexit', 'exit', 'exit_group']);
/** Falco's `proc.aname[N]` looks up to this many levels. */
export const ANCESTOR_DEPTH = 5;
const ANCESTOR_CACHE_LOOKUPS = 4096;

export class ProcessTree {
  private readonly nodes = new Map<number, ProcessNode>();
  private readonly procRoot: string;
  private readonly maxEntries: number;
  private readonly useProc: boolean;
  /** ppid → ancestors(ppid), valid until the next change to `nodes`. */
  private readonly ancestorCache = new Map<number, RuntimeAncestor[]>();
  private ancestorLookups = 0;

  constructor(opts: ProcessTreeOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.maxEntries = opts.maxEntries ?? 65_536;
    this.useProc = opts.readProc ?? true;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Updates the table from one event: exec replaces the image, fork adds a child, exit removes. */
  observe(ev: RuntimeEvent): void {
    const p = ev.proc;
    if (EXITS.has(ev.type)) {
      if (this.nodes.delete(p.pid)) this.forgetAncestors();
      return;
    }
    if (FORKS.has(ev.type)) {
      // On the parent's side of clone the result is the child pid; the sensor may also report the child.
      const child = ev.res !== undefined && ev.res > 0 && ev.res !== p.pid ? ev.res : undefined;
      if (child !== undefined) {
        const parent = this.nodes.get(p.pid);
        this.put({ ...this.fromEvent(ev), ...(parent ?? {}), pid: child, ppid: p.pid });
      } else if (!this.nodes.has(p.pid)) this.put(this.fromEvent(ev));
      return;
    }
    const known = this.nodes.get(p.pid);
    if (known && !EXECS.has(ev.type)) return;
    const node = this.fromEvent(ev);
    // exec keeps the cgroup, so what /proc told us about the container still holds.
    if (known?.container !== undefined && node.container === undefined) node.container = known.container;
    this.put(node);
  }

  get(pid: number): ProcessNode | undefined {
    const hit = this.nodes.get(pid);
    if (hit || !this.useProc || pid <= 0) return hit;
    const snap = readProc(pid, this.procRoot);
    if (!snap) return undefined;
    const node: ProcessNode = {
      pid,
      ppid: snap.ppid,
      comm: snap.comm,
      exe: snap.exe,
      args: snap.args,
      container: containerFromProcCgroup(snap.cgroups) ?? null,
    };
    if (snap.exepath !== undefined) node.exepath = snap.exepath;
    if (snap.startTs !== undefined) node.startTs = snap.startTs;
    this.put(node);
    return node;
  }

  /** The container of a pid, from /proc/<pid>/cgroup (cached per process). */
  containerOf(pid: number): CgroupContainerRef | undefined {
    const node = this.get(pid);
    if (!node) return undefined;
    if (node.container === undefined) {
      const cgroups = this.useProc ? readProcCgroup(pid, this.procRoot) : undefined;
      node.container = cgroups ? (containerFromProcCgroup(cgroups) ?? null) : null;
    }
    return node.container ?? undefined;
  }

  /**
   * Parent first, up to `depth` levels; stops at pid 1, a loop or an unknown pid. The list is cached
   * per parent until the table changes, so the events of a busy process share one (do not mutate it).
   */
  ancestors(ppid: number, depth = ANCESTOR_DEPTH): RuntimeAncestor[] {
    if (depth !== ANCESTOR_DEPTH) return this.walkAncestors(ppid, depth);
    // Also start over every so many lookups: a pid unknown now (whose /proc read failed) may be
    // filled in from /proc later, and this bounds the cache.
    if (++this.ancestorLookups >= ANCESTOR_CACHE_LOOKUPS) this.forgetAncestors();
    let hit = this.ancestorCache.get(ppid);
    if (hit === undefined) {
      hit = this.walkAncestors(ppid, depth);
      this.ancestorCache.set(ppid, hit);
    }
    return hit;
  }

  private forgetAncestors(): void {
    this.ancestorLookups = 0;
    if (this.ancestorCache.size > 0) this.ancestorCache.clear();
  }

  private walkAncestors(ppid: number, depth: number): RuntimeAncestor[] {
    const out: RuntimeAncestor[] = [];
    const seen = new Set<number>();
    let pid = ppid;
    while (out.length < depth && pid > 0 && !seen.has(pid)) {
      seen.add(pid);
      const n = this.get(pid);
      if (!n) break;
      const a: RuntimeAncestor = { pid: n.pid, comm: n.comm, exe: n.exe, args: n.args };
      if (n.exepath !== undefined) a.exepath = n.exepath;
      if (n.startTs !== undefined) a.startTs = n.startTs;
      out.push(a);
      pid = n.ppid;
    }
    return out;
  }

  private fromEvent(ev: RuntimeEvent): ProcessNode {
    const p = ev.proc;
    const n: ProcessNode = { pid: p.pid, ppid: p.ppid, comm: p.comm, exe: p.exe, args: p.args };
    if (p.exepath !== undefined) n.exepath = p.exepath;
    if (p.startTs !== undefined) n.startTs = p.startTs;
    if (p.cgroupId !== undefined) n.cgroupId = p.cgroupId;
    if (ev.container) n.container = { id: ev.container.id, runtime: ev.container.runtime };
    return n;
  }

  private put(n: ProcessNode): void {
    this.forgetAncestors();
    this.nodes.delete(n.pid); // re-insert so Map order is least-recently-updated first
    this.nodes.set(n.pid, n);
    if (this.nodes.size > this.maxEntries) {
      const oldest = this.nodes.keys().next().value;
      if (oldest !== undefined) this.nodes.delete(oldest);
    }
  }
}
