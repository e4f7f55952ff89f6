// Learns per-workload behaviour from RuntimeEvents for a window, then raises "Behaviour outside
// baseline" alerts for executables, written paths and network peers the profile does not hold.

import type { Alert, RulePriority, RuntimeEvent } from '@palisade/core';
import { formatClock, formatIsoTime } from '../rules/fields.js';
import { type BaselineMode, type BehaviourProfile, emptyProfile } from './behaviour-profile.js';

export const BASELINE_RULE = 'Behaviour outside baseline';

export interface BaselineOptions {
  /** How long a new workload learns, from its first event (event time, so replays are deterministic). */
  learnWindowSeconds?: number;
  priority?: RulePriority;
  /** Workload key: default the container image, `host` for host processes. */
  workloadKey?: (ev: RuntimeEvent) => string;
  /** Written paths fold to their directory cut to this many components ("/var/cache/nginx/"). */
  foldDepth?: number;
  /** Alert once per new item and workload (default) or on every event. */
  alertOnce?: boolean;
  /** Workloads with no profile start learning (default) or are judged against an empty profile. */
  learnNewWorkloads?: boolean;
}

export type BaselineKind = 'process' | 'file_write' | 'network';

/** What one event contributes to a profile; undefined when the event carries no behaviour we track. */
export interface Observation {
  kind: BaselineKind;
  /** The item as stored in the profile. */
  item: string;
  /** For processes: exe and parent, kept apart for matching with "*" parents. */
  exe?: string;
  parent?: string;
}

const EXECS = new Set(['execve', 'execveat']);
const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);
const CONNECTS = new Set(['connect', 'sendto', 'sendmsg']);
const SERVES = new Set(['accept', 'accept4', 'listen', 'bind']);
const EINPROGRESS = -115;

export function defaultWorkloadKey(ev: RuntimeEvent): string {
  const c = ev.container;
  if (!c) return 'host';
  if (ev.k8s) return `k8s:${ev.k8s.namespace}/${c.image || c.name}`;
  return c.image || c.name || c.id;
}

/** Directory of a written path, cut to `depth` components: /var/cache/nginx/a/b → /var/cache/nginx/. */
export function foldPath(p: string, depth: number): string {
  const parts = p.split('/').filter(Boolean);
  const dirParts = parts.slice(0, -1);
  if (dirParts.length === 0) return p; // a file in / stays exact
  return `/${dirParts.slice(0, depth).join('/')}/`;
}

function hostPort(host: string, port: number, proto: string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}/${proto}`;
}

export function observationOf(ev: RuntimeEvent, foldDepth: number): Observation | undefined {
  const res = ev.res ?? 0;
  if (EXECS.has(ev.type)) {
    if (res < 0) return undefined;
    const exe = ev.proc.exepath ?? ev.proc.exe;
    const a = ev.ancestors?.[0] ?? ev.parent;
    const parent = a ? (a.exepath ?? a.exe ?? a.comm) : '';
    return { kind: 'process', item: `${exe}\0${parent}`, exe, parent };
  }
  if (OPENS.has(ev.type) && ev.fd && res >= 0) {
    const f = ev.fd.openFlags ?? 0;
    const writes = ev.type === 'creat' || (f & 3) === 1 || (f & 3) === 2;
    if (!writes || (ev.fd.type !== 'file' && ev.fd.type !== 'directory')) return undefined;
    return { kind: 'file_write', item: foldPath(ev.fd.name, foldDepth) };
  }
  const n = ev.net;
  if (!n) return undefined;
  const proto = n.proto || 'tcp';
  if (CONNECTS.has(ev.type) && (res >= 0 || res === EINPROGRESS) && n.role !== 'server') {
    return { kind: 'network', item: hostPort(n.dname || n.daddr, n.dport, proto) };
  }
  if (SERVES.has(ev.type) && res >= 0) return { kind: 'network', item: `listen:${n.dport}/${proto}` };
  return undefined;
}

/** Compiled, fast form of a profile: Sets for exact items, short lists for wildcards and prefixes. */
class ProfileIndex {
  readonly processes = new Set<string>();
  readonly anyParent = new Set<string>();
  readonly writePrefixes: string[] = [];
  readonly writeExact = new Set<string>();
  readonly peers = new Set<string>();
  readonly peerPatterns: RegExp[] = [];
  readonly alerted = new Set<string>();

  constructor(readonly profile: BehaviourProfile) {
    for (const p of profile.processes) this.addProcess(p.exe, p.parent);
    for (const w of profile.fileWrites) this.addWrite(w);
    for (const n of profile.network) this.addPeer(n);
  }

  addProcess(exe: string, parent: string): void {
    if (parent === '*') this.anyParent.add(exe);
    else this.processes.add(`${exe}\0${parent}`);
  }

  addWrite(w: string): void {
    if (w.endsWith('/')) {
      if (!this.writePrefixes.includes(w)) this.writePrefixes.push(w);
    } else this.writeExact.add(w);
  }

  addPeer(n: string): void {
    if (n.includes('*')) {
      const rx = new RegExp(`^${n.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      this.peerPatterns.push(rx);
    } else this.peers.add(n);
  }

  holds(o: Observation, writtenPath: string | undefined): boolean {
    switch (o.kind) {
      case 'process':
        return this.anyParent.has(o.exe!) || this.processes.has(o.item);
      case 'file_write': {
        const p = writtenPath ?? o.item;
        return this.writeExact.has(p) || this.writePrefixes.some((w) => p.startsWith(w));
      }
      case 'network':
        return this.peers.has(o.item) || this.peerPatterns.some((rx) => rx.test(o.item));
    }
  }

  learn(o: Observation): void {
    switch (o.kind) {
      case 'process':
        if (!this.processes.has(o.item)) {
          this.processes.add(o.item);
          this.profile.processes.push({ exe: o.exe!, parent: o.parent! });
        }
        return;
      case 'file_write':
        if (!this.writePrefixes.includes(o.item) && !this.writeExact.has(o.item)) {
          this.addWrite(o.item);
          this.profile.fileWrites.push(o.item);
        }
        return;
      case 'network':
        if (!this.peers.has(o.item)) {
          this.peers.add(o.item);
          this.profile.network.push(o.item);
        }
        return;
    }
  }
}

const KIND_TEXT: Record<BaselineKind, string> = {
  process: 'new process',
  file_write: 'write outside learned paths',
  network: 'new network peer',
};

export class BaselineDetector {
  private readonly profiles = new Map<string, ProfileIndex>();
  private readonly learnWindowNs: number;
  private readonly priority: RulePriority;
  private readonly keyOf: (ev: RuntimeEvent) => string;
  private readonly foldDepth: number;
  private readonly alertOnce: boolean;
  private readonly learnNew: boolean;

  constructor(opts: BaselineOptions = {}) {
    this.learnWindowNs = (opts.learnWindowSeconds ?? 3600) * 1e9;
    this.priority = opts.priority ?? 'Warning';
    this.keyOf = opts.workloadKey ?? defaultWorkloadKey;
    this.foldDepth = opts.foldDepth ?? 3;
    this.alertOnce = opts.alertOnce ?? true;
    this.learnNew = opts.learnNewWorkloads ?? true;
  }

  /** Learns from the event, or judges it against the profile; returns the alerts it raises. */
  observe(ev: RuntimeEvent): Alert[] {
    const o = observationOf(ev, this.foldDepth);
    if (!o) return [];
    const workload = this.keyOf(ev);
    let idx = this.profiles.get(workload);
    if (!idx) {
      idx = new ProfileIndex(emptyProfile(workload, this.learnNew ? 'learn' : 'detect'));
      this.profiles.set(workload, idx);
    }
    const p = idx.profile;
    if (p.mode === 'learn') {
      p.learningSince ??= ev.ts;
      if (ev.ts - p.learningSince < this.learnWindowNs) {
        idx.learn(o);
        return [];
      }
      p.mode = 'detect';
    }
    const written = o.kind === 'file_write' ? ev.fd?.name : undefined;
    if (idx.holds(o, written)) return [];
    if (this.alertOnce) {
      const key = o.kind === 'file_write' ? `${o.kind}\0${written}` : `${o.kind}\0${o.item}`;
      if (idx.alerted.has(key)) return [];
      if (idx.alerted.size < 10_000) idx.alerted.add(key);
    }
    return [this.alert(ev, workload, o)];
  }

  /** Switches one workload (or all) between learning and detection. */
  setMode(mode: BaselineMode, workload?: string): void {
    for (const [k, idx] of this.profiles) {
      if (workload !== undefined && k !== workload) continue;
      idx.profile.mode = mode;
      if (mode === 'learn') delete idx.profile.learningSince;
    }
  }

  /** Replaces (or adds) profiles, e.g. from an edited YAML file; their learned state is taken as is. */
  loadProfiles(profiles: Iterable<BehaviourProfile>): void {
    for (const p of profiles) {
      const copy: BehaviourProfile = {
        ...p,
        processes: p.processes.map((x) => ({ ...x })),
        fileWrites: [...p.fileWrites],
        network: [...p.network],
      };
      this.profiles.set(p.workload, new ProfileIndex(copy));
    }
  }

  /** Current profiles (copies), sorted by workload; feed to `saveProfiles` for YAML. */
  profilesSnapshot(): BehaviourProfile[] {
    return [...this.profiles.values()]
      .map((i) => structuredClone(i.profile))
      .sort((a, b) => (a.workload < b.workload ? -1 : a.workload > b.workload ? 1 : 0));
  }

  private alert(ev: RuntimeEvent, workload: string, o: Observation): Alert {
    const what =
      o.kind === 'process'
        ? `exe=${o.exe} parent=${o.parent || '<NA>'}`
        : o.kind === 'file_write'
          ? `file=${ev.fd?.name ?? o.item}`
          : `peer=${o.item}`;
    const fields: Alert['output_fields'] = {
      'baseline.kind': o.kind,
      'baseline.workload': workload,
      'baseline.item': o.kind === 'file_write' ? (ev.fd?.name ?? o.item) : o.kind === 'process' ? o.exe! : o.item,
      'evt.type': ev.type,
      'proc.name': ev.proc.comm,
      'proc.exepath': ev.proc.exepath ?? ev.proc.exe,
      'proc.pid': ev.proc.pid,
      'proc.cmdline': [ev.proc.comm, ...ev.proc.args].join(' '),
      'container.id': ev.container?.id ?? 'host',
      'container.image': ev.container?.image ?? null,
    };
    return {
      time: formatIsoTime(ev.ts),
      rule: BASELINE_RULE,
      priority: this.priority,
      output: `${formatClock(ev.ts)}: ${this.priority} ${BASELINE_RULE}: ${KIND_TEXT[o.kind]} ${what} workload=${workload} process=${ev.proc.comm} pid=${ev.proc.pid} container_id=${ev.container?.id ?? 'host'}`,
      output_fields: fields,
      tags: ['baseline', 'drift', o.kind],
      hostname: ev.host,
      source: 'syscall',
    };
  }
}
