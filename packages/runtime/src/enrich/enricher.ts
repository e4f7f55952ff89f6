// Fills what the sensor cannot see from the kernel into each RuntimeEvent: ancestors, user and
// group names, and the container (name, image, labels) and Kubernetes pod the process runs in.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeContainer, RuntimeEvent, RuntimeK8s } from '@palisade/core';
import { type CgroupContainerRef, containerFromCgroupPath } from './cgroup-container.js';
import { CgroupIdIndex } from './cgroup-id-index.js';
import type { ContainerEngine, ContainerMetadata } from './container-engines.js';
import { CRI_KEYS, isSystemLabel } from './containerd-engine.js';
import { ProcessTree } from './process-tree.js';
import { UserDirectory } from './user-directory.js';

export interface EnricherOptions {
  tree?: ProcessTree;
  users?: UserDirectory;
  cgroups?: CgroupIdIndex;
  /** Asked in order for a container's metadata; the first answer wins. Default: none. */
  engines?: ContainerEngine[];
  /** How long a failed lookup is remembered before asking the engines again. */
  negativeTtlMs?: number;
}

interface MetaEntry {
  meta?: ContainerMetadata;
  pending?: Promise<ContainerMetadata | undefined>;
  failedAt?: number;
}

const EXECS = new Set(['execve', 'execveat']);
/** Engine event statuses after which cached metadata may be wrong (podman's and containerd's words). */
const FORGET_ON = new Set(['remove', 'rename', 'died', 'delete', 'update', 'exit', 'resync']);
/** Distinct cgroups remembered before the cache starts over (a host has hundreds, not thousands). */
const REF_CACHE_MAX = 4096;

/**
 * Drift for sensors that cannot tell: an executable present in the container's overlay upper
 * directory was written or changed after the container started (copy-up), so it is not the image's.
 */
export function exeLayer(upperDir: string, exepath: string): { exeUpperLayer?: boolean; exeLowerLayer?: boolean } {
  if (!exepath.startsWith('/')) return {};
  const upper = existsSync(path.join(upperDir, exepath));
  return { exeUpperLayer: upper, exeLowerLayer: !upper };
}

/**
 * Kubernetes pod of a container, from the labels the kubelet sets (`io.kubernetes.pod.*`), the
 * annotations containerd's CRI plugin adds (`io.kubernetes.cri.sandbox-*`) and podman kube play's.
 * Pod labels: the sandbox's when the engine found them, else the container's own non-system labels.
 */
export function k8sFromContainer(meta: ContainerMetadata): RuntimeK8s | undefined {
  const tags = { ...meta.annotations, ...meta.labels };
  const pod = tags[CRI_KEYS.podName] || tags[CRI_KEYS.sandboxName];
  if (!pod) return undefined;
  let labels: Record<string, string> | undefined = meta.podLabels;
  if (labels === undefined) {
    labels = {};
    for (const [k, v] of Object.entries(meta.labels)) if (!isSystemLabel(k)) labels[k] = v;
  }
  const namespace = tags[CRI_KEYS.podNamespace] || tags[CRI_KEYS.sandboxNamespace] || 'default';
  const k8s: RuntimeK8s = { namespace, pod, labels };
  const uid = tags[CRI_KEYS.podUid] || tags[CRI_KEYS.sandboxUid];
  if (uid) k8s.podUid = uid;
  // A sandbox container is its own sandbox; an app container names its sandbox.
  const sandboxId = tags[CRI_KEYS.sandboxId] || (tags[CRI_KEYS.containerType] === 'sandbox' ? meta.id : undefined);
  if (sandboxId) k8s.sandboxId = sandboxId;
  return k8s;
}

export function runtimeContainerFrom(ref: CgroupContainerRef, meta: ContainerMetadata | undefined): RuntimeContainer {
  const c: RuntimeContainer = {
    id: ref.id.slice(0, 12),
    name: meta?.name ?? '',
    image: meta?.image ?? '',
    // A bare cgroupfs id (/kubepods/…/<id>) says nothing of the runtime; the engine that knew it does.
    runtime: ref.runtime === 'unknown' && meta?.runtime ? meta.runtime : ref.runtime,
  };
  if (!meta) return c;
  c.labels = meta.labels;
  if (meta.imageId) c.imageId = meta.imageId; // containerd's record has no image id
  c.privileged = meta.privileged;
  if (meta.startTs !== undefined) c.startTs = meta.startTs;
  if (meta.imageDigest !== undefined) c.imageDigest = meta.imageDigest;
  if (meta.mounts !== undefined) c.mounts = meta.mounts;
  return c;
}

export class Enricher {
  readonly tree: ProcessTree;
  readonly users: UserDirectory;
  readonly cgroups: CgroupIdIndex;
  private readonly engines: ContainerEngine[];
  private readonly negativeTtlMs: number;
  private readonly meta = new Map<string, MetaEntry>();
  /** The pod of each cached container, worked out once (shared by its events: readers must not mutate it). */
  private readonly k8sByMeta = new WeakMap<ContainerMetadata, RuntimeK8s | null>();
  /** Stoppers of the engine subscriptions `followEngines` started. */
  private followers: (() => void)[] = [];
  /** cgroup id → its container, or null for a cgroup outside any container. */
  private readonly refByCgroup = new Map<number, CgroupContainerRef | null>();

  constructor(opts: EnricherOptions = {}) {
    this.tree = opts.tree ?? new ProcessTree();
    this.users = opts.users ?? new UserDirectory();
    this.cgroups = opts.cgroups ?? new CgroupIdIndex();
    this.engines = opts.engines ?? [];
    this.negativeTtlMs = opts.negativeTtlMs ?? 30_000;
  }

  /**
   * Synchronous: uses what is cached and starts a lookup for an unseen container, so the first
   * events of a new container carry its id and runtime and later ones its name, image and labels.
   */
  enrich(ev: RuntimeEvent): RuntimeEvent {
    // Object.assign then plain stores: measured several times faster in V8 than `{ ...x }` followed
    // by adding properties.
    return this.fill(Object.assign({}, ev), true);
  }

  /**
   * As `enrich`, but fills the event itself in instead of a copy: for callers that own the event
   * (the agent's sensor path, where each event is freshly decoded), saving two copies per event.
   */
  enrichInPlace(ev: RuntimeEvent): RuntimeEvent {
    return this.fill(ev, false);
  }

  /** Adds what is missing to `out`; `copyProc` keeps the caller's `proc` object untouched. */
  private fill(out: RuntimeEvent, copyProc: boolean): RuntimeEvent {
    this.tree.observe(out);
    const p = out.proc;
    if (p.userName === undefined || p.groupName === undefined) {
      const proc = copyProc ? Object.assign({}, p) : p;
      const u = this.users.user(p.uid);
      if (u) {
        if (proc.userName === undefined) proc.userName = u.name;
        if (proc.homedir === undefined) proc.homedir = u.home;
        if (proc.shell === undefined) proc.shell = u.shell;
      }
      const g = this.users.groupName(p.gid);
      if (g !== undefined && proc.groupName === undefined) proc.groupName = g;
      out.proc = proc;
    }
    if (out.ancestors === undefined) {
      // Shared with other events of the same parent (cached by the tree): readers must not mutate it.
      const anc = this.tree.ancestors(p.ppid);
      if (anc.length > 0) {
        out.ancestors = anc;
        out.parent ??= anc[0];
      }
    }
    if (out.container === undefined || out.container.name === '') {
      const ref = this.containerRef(out);
      if (ref) {
        const meta = this.cachedMeta(ref.id, ref.runtime);
        const type = out.type;
        out.container = runtimeContainerFrom(ref, meta);
        if (meta && out.k8s === undefined) {
          const k8s = this.k8sOf(meta);
          if (k8s) out.k8s = k8s;
        }
        if (meta?.upperDir && EXECS.has(type) && out.proc.exeUpperLayer === undefined) {
          const layer = exeLayer(meta.upperDir, out.proc.exepath ?? out.proc.exe);
          out.proc = copyProc ? Object.assign({}, out.proc, layer) : Object.assign(out.proc, layer);
        }
      }
    }
    return out;
  }

  /** As `enrich`, but waits for the container engine when the container is not cached yet. */
  async enrichAsync(ev: RuntimeEvent): Promise<RuntimeEvent> {
    const ref = ev.container === undefined || ev.container.name === '' ? this.containerRef(ev) : undefined;
    if (ref) await this.lookup(ref.id, ref.runtime);
    return this.enrich(ev);
  }

  /**
   * Metadata of a container id (full or 12-char), asking the engines at most once at a time;
   * `runtime` (from the cgroup path) picks the engine to ask first.
   */
  async lookup(id: string, runtime?: string): Promise<ContainerMetadata | undefined> {
    this.cachedMeta(id, runtime);
    const e = this.meta.get(id);
    return e?.meta ?? (await e?.pending);
  }

  /**
   * Fills the cache with every container the engines can list, so the first event of a container
   * that started before the agent already carries its name, image and pod. Returns how many.
   */
  async warmUp(): Promise<number> {
    let n = 0;
    for (const engine of this.engines) {
      if (!engine.list) continue;
      for (const meta of await engine.list().catch(() => [])) {
        if (this.meta.get(meta.id)?.meta) continue; // the first engine's answer wins, as in lookups
        this.meta.set(meta.id, { meta });
        n++;
      }
    }
    return n;
  }

  /** Drops cached metadata (call on engine events: rename, remove); '' drops everything. */
  forget(id: string): void {
    for (const k of this.meta.keys()) if (k.startsWith(id) || id.startsWith(k)) this.meta.delete(k);
  }

  /**
   * Follows every engine that can report events (podman events, ctr events) and forgets a
   * container's metadata when it is removed, renamed, updated or exits, so a re-created container
   * under the same id is looked up afresh. Returns a stopper that ends every subscription.
   */
  followEngines(): () => void {
    const stops = this.engines.flatMap((engine) =>
      engine.watch
        ? [
            engine.watch((id, status) => {
              if (FORGET_ON.has(status)) this.forget(id);
            }),
          ]
        : [],
    );
    this.followers.push(...stops);
    return () => {
      for (const stop of stops) stop();
      this.followers = this.followers.filter((s) => !stops.includes(s));
    };
  }

  /** Ends every engine subscription `followEngines` started (their `podman events` / `ctr events`). */
  close(): void {
    for (const stop of this.followers) stop();
    this.followers = [];
  }

  /** Container of the event's process: its cgroup id (v2) when the sensor sent one, else /proc. */
  private containerRef(ev: RuntimeEvent): CgroupContainerRef | undefined {
    if (ev.container) return { id: ev.container.id, runtime: ev.container.runtime };
    const cg = ev.proc.cgroupId;
    if (cg !== undefined && cg > 0) {
      // A cgroup id names one directory for its whole life (kernfs ids are not reused), so what
      // its path says about the container is computed once per id, not once per event.
      const known = this.refByCgroup.get(cg);
      if (known !== undefined) return known ?? this.tree.containerOf(ev.proc.pid);
      const path = this.cgroups.pathOf(cg);
      if (path !== undefined) {
        const ref = containerFromCgroupPath(path);
        if (this.refByCgroup.size >= REF_CACHE_MAX) this.refByCgroup.clear();
        this.refByCgroup.set(cg, ref ?? null);
        if (ref) return ref;
      }
    }
    return this.tree.containerOf(ev.proc.pid);
  }

  private k8sOf(meta: ContainerMetadata): RuntimeK8s | undefined {
    let k8s = this.k8sByMeta.get(meta);
    if (k8s === undefined) {
      k8s = k8sFromContainer(meta) ?? null;
      this.k8sByMeta.set(meta, k8s);
    }
    return k8s ?? undefined;
  }

  private cachedMeta(id: string, runtime?: string): ContainerMetadata | undefined {
    let e = this.meta.get(id);
    if (e?.meta) return e.meta;
    if (e?.pending) return undefined;
    if (e?.failedAt !== undefined && Date.now() - e.failedAt < this.negativeTtlMs) return undefined;
    if (this.engines.length === 0) return undefined;
    e = {};
    this.meta.set(id, e);
    const entry = e;
    entry.pending = this.askEngines(id, runtime).then((m) => {
      delete entry.pending;
      if (m) entry.meta = m;
      else entry.failedAt = Date.now();
      return m;
    });
    return undefined;
  }

  private async askEngines(id: string, runtime?: string): Promise<ContainerMetadata | undefined> {
    // The engine the cgroup path names first: a containerd container costs no podman lookup.
    const engines = runtime
      ? [...this.engines.filter((e) => e.name === runtime), ...this.engines.filter((e) => e.name !== runtime)]
      : this.engines;
    for (const engine of engines) {
      const m = await engine.inspect(id);
      if (m) return m;
    }
    return undefined;
  }
}
