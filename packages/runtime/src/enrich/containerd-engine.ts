// Container metadata from containerd, through its own CLI `ctr` (`ctr containers info` prints the
// container record and its OCI spec as JSON). Covers containers started by Kubernetes through CRI
// (namespace k8s.io: pod name, namespace, uid and pod labels from CRI labels and annotations),
// by nerdctl and by plain `ctr run`, in every containerd namespace.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RuntimeContainerMount } from '@palisade/core';
import type { ContainerEngine, ContainerMetadata } from './container-engines.js';

/** Where containerd listens when nothing else is said (Debian's and upstream's default). */
export const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** The namespace CRI (the kubelet's runtime) keeps its containers in; searched first. */
export const CRI_NAMESPACE = 'k8s.io';

// Kubernetes and CRI keys: labels the kubelet sets on every container, and the annotations
// containerd's CRI plugin adds to the OCI spec.
export const CRI_KEYS = {
  containerName: 'io.kubernetes.container.name',
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerType: 'io.kubernetes.cri.container-type',
  sandboxId: 'io.kubernetes.cri.sandbox-id',
  sandboxName: 'io.kubernetes.cri.sandbox-name',
  sandboxNamespace: 'io.kubernetes.cri.sandbox-namespace',
  sandboxUid: 'io.kubernetes.cri.sandbox-uid',
  criContainerName: 'io.kubernetes.cri.container-name',
  criImageName: 'io.kubernetes.cri.image-name',
} as const;
/** nerdctl keeps the name a user gave in a label. */
const NERDCTL_NAME = 'nerdctl/name';

/** Label prefixes that are runtime bookkeeping, not a pod's own labels. */
const SYSTEM_LABEL_PREFIXES = ['io.kubernetes.', 'io.cri-containerd.', 'io.containerd.', 'nerdctl/'];

export function isSystemLabel(key: string): boolean {
  return SYSTEM_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** Bind mounts of the OCI spec: what the user mounted in (proc, sysfs, tmpfs … are the runtime's own). */
function bindMounts(specMounts: unknown): RuntimeContainerMount[] {
  const out: RuntimeContainerMount[] = [];
  if (!Array.isArray(specMounts)) return out;
  for (const raw of specMounts) {
    const m = obj(raw);
    const options = strList(m.options);
    const isBind = str(m.type) === 'bind' || options.includes('bind') || options.includes('rbind');
    if (!isBind || !str(m.source) || !str(m.destination)) continue;
    const mount: RuntimeContainerMount = {
      source: str(m.source),
      dest: str(m.destination),
      mode: '',
      rdwr: !options.includes('ro'),
    };
    const propagation = options.find((o) => PROPAGATIONS.has(o));
    if (propagation) mount.propagation = propagation;
    out.push(mount);
  }
  return out;
}

/**
 * Privileged as `ctr run --privileged` and CRI build it: every capability (so CAP_SYS_ADMIN) and
 * no masked paths. A spec has no flag for it, so this is the closest faithful reading.
 */
function looksPrivileged(spec: Json): boolean {
  const caps = strList(obj(obj(spec.process).capabilities).bounding);
  const masked = strList(obj(spec.linux).maskedPaths);
  return caps.includes('CAP_SYS_ADMIN') && masked.length === 0;
}

/**
 * `ctr containers info` JSON → metadata. `namespace` is the containerd namespace it was found in.
 * Names: the Kubernetes container name for CRI, nerdctl's name, else the containerd id.
 */
export function containerdMetadataFromInfo(raw: unknown, namespace: string): ContainerMetadata | undefined {
  const j = obj(raw);
  const id = str(j.ID);
  if (id === '') return undefined;
  const labels = strMap(j.Labels);
  const spec = obj(j.Spec);
  const annotations = strMap(spec.annotations);
  const name =
    labels[CRI_KEYS.containerName] ||
    annotations[CRI_KEYS.criContainerName] ||
    labels[NERDCTL_NAME] ||
    (annotations[CRI_KEYS.containerType] === 'sandbox' ? annotations[CRI_KEYS.sandboxName] : undefined) ||
    id;
  const meta: ContainerMetadata = {
    id,
    name,
    // CRI records the reference the pod asked for in an annotation; the container's Image may be a digest.
    image: annotations[CRI_KEYS.criImageName] || str(j.Image),
    imageId: '',
    labels,
    annotations,
    privileged: looksPrivileged(spec),
    runtime: 'containerd',
    namespace,
  };
  const created = Date.parse(str(j.CreatedAt));
  if (Number.isFinite(created) && created > 0) meta.startTs = created * 1e6;
  const mounts = bindMounts(spec.mounts);
  if (mounts.length > 0) meta.mounts = mounts;
  return meta;
}

/** `upperdir=` of the mount command `ctr snapshots mounts` prints for an overlayfs snapshot. */
export function overlayUpperDir(mountCommand: string): string | undefined {
  const m = /(?:^|[\s,])upperdir=([^,\s]+)/.exec(mountCommand);
  return m?.[1];
}

/** The manifest digest of `ref` in `ctr images ls` output (columns: REF TYPE DIGEST SIZE …). */
export function imageDigestFromList(listing: string, ref: string): string | undefined {
  for (const line of listing.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== ref) continue;
    const digest = cols.find((c) => /^sha256:[0-9a-f]{64}$/.test(c));
    if (digest) return digest;
  }
  return undefined;
}

/** Namespaces from `ctr namespaces ls -q`, CRI's first (the one a node's workloads live in). */
export function orderNamespaces(listing: string): string[] {
  const names = [
    ...new Set(
      listing
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(l)),
    ),
  ].sort();
  return names.includes(CRI_NAMESPACE) ? [CRI_NAMESPACE, ...names.filter((n) => n !== CRI_NAMESPACE)] : names;
}

export interface ContainerdEvent {
  namespace: string;
  /** e.g. "/containers/delete", "/tasks/exit". */
  topic: string;
  /** The container the event is about, when it names one. */
  containerId?: string;
  /** For /tasks/exit: the process that exited; equal to containerId for the container's init. */
  processId?: string;
}

/**
 * One line of `ctr events`: `2026-11-27 07:24:49.05 +0000 UTC k8s.io /tasks/exit {"container_id":…}`.
 * The timestamp's width varies, so the topic is the first field that starts with "/".
 */
export function parseContainerdEventLine(line: string): ContainerdEvent | undefined {
  const fields = line.split(' ');
  const t = fields.findIndex((f) => f.startsWith('/'));
  if (t < 1) return undefined;
  const ev: ContainerdEvent = { namespace: fields[t - 1]!, topic: fields[t]! };
  const body = fields.slice(t + 1).join(' ');
  let payload: Json = {};
  try {
    payload = obj(JSON.parse(body));
  } catch {
    // an event without a JSON body, or a line cut short: the topic alone is still useful
  }
  const containerId = str(payload.container_id) || (ev.topic.startsWith('/containers/') ? str(payload.id) : '');
  if (containerId) ev.containerId = containerId;
  if (ev.topic === '/tasks/exit' && str(payload.id)) ev.processId = str(payload.id);
  return ev;
}

/**
 * What an event means for cached metadata: a status for the enricher (see Enricher.followEngines),
 * or undefined when nothing cached changes. An exec'd process exiting is not the container exiting.
 */
export function containerdEventStatus(ev: ContainerdEvent): string | undefined {
  if (!ev.containerId) return undefined;
  if (ev.topic === '/containers/delete') return 'delete';
  if (ev.topic === '/containers/update') return 'update';
  if (ev.topic === '/tasks/exit' && (ev.processId === undefined || ev.processId === ev.containerId)) return 'exit';
  return undefined;
}

export interface ContainerdEngineOptions {
  /** containerd's gRPC socket; default /run/containerd/containerd.sock. */
  address?: string;
  /** The ctr binary; default `ctr` on PATH (Debian package containerd). */
  binary?: string;
  /** Search only these namespaces, in this order; default every namespace, k8s.io first. */
  namespaces?: string[];
  timeoutMs?: number;
}

const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/;

/** Pod labels remembered per sandbox (all containers of a pod share them) before starting over. */
const SANDBOX_CACHE_MAX = 1024;

/** containerd through `ctr`: a few short commands per unknown container (the enricher caches the answer). */
export class ContainerdEngine implements ContainerEngine {
  readonly name = 'containerd';
  readonly address: string;
  private readonly binary: string;
  private readonly namespaces: string[] | undefined;
  private readonly timeoutMs: number;
  private readonly podLabelsBySandbox = new Map<string, Record<string, string>>();

  constructor(opts: ContainerdEngineOptions = {}) {
    this.address = opts.address ?? DEFAULT_CONTAINERD_SOCKET;
    this.binary = opts.binary ?? 'ctr';
    this.namespaces = opts.namespaces;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Global flags: the socket, and a short dial timeout (ctr waits 10 s for a socket nobody serves). */
  private globalArgs(): string[] {
    return ['--address', this.address, '--connect-timeout', '2s'];
  }

  /** Runs ctr against this engine's socket; undefined when it fails (unknown id, no daemon, no ctr). */
  private ctr(namespace: string | undefined, args: string[]): Promise<string | undefined> {
    // No socket, no daemon: answer at once instead of paying a dial per unknown container.
    if (!existsSync(this.address)) return Promise.resolve(undefined);
    const full = [...this.globalArgs(), ...(namespace ? ['--namespace', namespace] : []), ...args];
    return new Promise((resolve) => {
      execFile(this.binary, full, { timeout: this.timeoutMs, maxBuffer: 16 << 20 }, (err, stdout) =>
        resolve(err ? undefined : stdout),
      );
    });
  }

  async listNamespaces(): Promise<string[]> {
    if (this.namespaces) return this.namespaces;
    const out = await this.ctr(undefined, ['namespaces', 'ls', '-q']);
    return out === undefined ? [] : orderNamespaces(out);
  }

  async inspect(id: string): Promise<ContainerMetadata | undefined> {
    // containerd's own id rule; it also keeps an id from reaching ctr as a flag ("-…").
    if (!VALID_ID.test(id)) return undefined;
    for (const ns of await this.listNamespaces()) {
      const meta = await this.inspectIn(ns, await this.resolveId(ns, id));
      if (meta) return meta;
    }
    return undefined;
  }

  private async inspectIn(ns: string, id: string): Promise<ContainerMetadata | undefined> {
    const text = await this.ctr(ns, ['containers', 'info', id]);
    if (text === undefined) return undefined;
    let info: unknown;
    try {
      info = JSON.parse(text);
    } catch {
      return undefined;
    }
    const meta = containerdMetadataFromInfo(info, ns);
    if (meta) await this.addDetails(ns, meta, obj(info));
    return meta;
  }

  /** Every container in every namespace searched: for warming a cache when the agent starts. */
  async list(): Promise<ContainerMetadata[]> {
    const out: ContainerMetadata[] = [];
    for (const ns of await this.listNamespaces()) {
      const ids = ((await this.ctr(ns, ['containers', 'ls', '-q'])) ?? '').split('\n').filter((l) => l !== '');
      for (const id of ids) {
        const meta = await this.inspectIn(ns, id);
        if (meta) out.push(meta);
      }
    }
    return out;
  }

  /** The full id for `id`, which may be a 12-character prefix as alerts show it. */
  private async resolveId(ns: string, id: string): Promise<string> {
    if (id.length >= 64 || !/^[0-9a-f]{12,63}$/.test(id)) return id;
    const out = await this.ctr(ns, ['containers', 'ls', '-q']);
    const ids = (out ?? '').split('\n').filter((l) => l.startsWith(id));
    return ids.length === 1 ? ids[0]! : id;
  }

  /** What needs a second question: overlay upper dir (drift), image digest, the pod's labels. */
  private async addDetails(ns: string, meta: ContainerMetadata, info: Json): Promise<void> {
    const snapshotter = str(info.Snapshotter);
    const key = str(info.SnapshotKey);
    if (snapshotter === 'overlayfs' && key) {
      // `mounts` prints the mount command without mounting anything.
      const cmd = await this.ctr(ns, ['snapshots', '--snapshotter', snapshotter, 'mounts', '/', key]);
      const upper = cmd === undefined ? undefined : overlayUpperDir(cmd);
      if (upper) meta.upperDir = upper;
    }
    const imageRef = str(info.Image);
    if (imageRef) {
      const listing = await this.ctr(ns, ['images', 'ls', `name==${imageRef}`]);
      const digest = listing === undefined ? undefined : imageDigestFromList(listing, imageRef);
      if (digest) meta.imageDigest = digest;
    }
    const sandboxId = meta.annotations[CRI_KEYS.sandboxId];
    if (sandboxId && sandboxId !== meta.id) {
      const podLabels = await this.sandboxLabels(ns, sandboxId);
      if (podLabels) meta.podLabels = podLabels;
    }
  }

  /** A CRI pod's labels live on its sandbox (pause) container, not on the app containers. */
  private async sandboxLabels(ns: string, sandboxId: string): Promise<Record<string, string> | undefined> {
    const known = this.podLabelsBySandbox.get(sandboxId);
    if (known) return known;
    const info = await this.ctr(ns, ['containers', 'info', sandboxId]);
    if (info === undefined) return undefined;
    let labels: Record<string, string>;
    try {
      labels = strMap(obj(JSON.parse(info)).Labels);
    } catch {
      return undefined;
    }
    const pod: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (!isSystemLabel(k)) pod[k] = v;
    if (this.podLabelsBySandbox.size >= SANDBOX_CACHE_MAX) this.podLabelsBySandbox.clear();
    this.podLabelsBySandbox.set(sandboxId, pod);
    return pod;
  }

  /**
   * Follows `ctr events` and calls `onChange(id, status)` when a container is deleted, updated or
   * its init process exits ('delete', 'update', 'exit'), so cached metadata can be dropped. When a
   * live stream ends (containerd restarted) it reconnects and reports `('', 'resync')`: events may
   * have been missed, so everything cached is suspect. While the socket is missing it only waits.
   * Returns a stopper.
   */
  watch(onChange: (id: string, status: string) => void, reconnectMs = 2000): () => void {
    let stopped = false;
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Whether the stream that just ended had been subscribed: it printed a line, or outlived a dial.
    let wasLive = false;
    const retry = (): void => {
      if (stopped) return;
      timer = setTimeout(connect, reconnectMs);
      timer.unref();
    };
    const connect = (): void => {
      if (!existsSync(this.address)) {
        retry();
        return;
      }
      if (wasLive) {
        this.podLabelsBySandbox.clear();
        onChange('', 'resync');
      }
      wasLive = false;
      const started = Date.now();
      const c = spawn(this.binary, [...this.globalArgs(), 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
      child = c;
      let ended = false;
      const onEnd = (): void => {
        if (ended) return;
        ended = true;
        wasLive ||= Date.now() - started > 3000; // longer than the 2 s dial timeout: it was connected
        retry();
      };
      c.on('error', onEnd); // ctr missing
      c.on('exit', onEnd);
      if (c.stdout) {
        createInterface({ input: c.stdout }).on('line', (line) => {
          wasLive = true;
          const ev = parseContainerdEventLine(line);
          const status = ev ? containerdEventStatus(ev) : undefined;
          if (!ev?.containerId || !status) return;
          if (status === 'delete') this.podLabelsBySandbox.delete(ev.containerId);
          onChange(ev.containerId, status);
        });
      }
    };
    connect();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      child?.kill();
    };
  }
}
