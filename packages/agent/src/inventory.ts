// What runs on this host, for the server's inventory: host identity (hostname, OS from os-release,
// kernel, boot id), the containers of every engine present — podman, containerd (every namespace,
// Kubernetes pods included) and docker (its API socket) — and the images they run, once each.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import {
  ContainerdEngine,
  type ContainerMetadata,
  DEFAULT_CONTAINERD_SOCKET,
  DEFAULT_DOCKER_SOCKET,
  k8sFromContainer,
} from '@palisade/runtime';

export interface HostInventory {
  hostname: string;
  os: { id?: string; versionId?: string; prettyName?: string };
  kernel: string;
  arch: string;
  bootId?: string;
  machineId?: string;
}

export interface ContainerInventory {
  id: string;
  name: string;
  image: string;
  imageId?: string;
  /** The image's manifest digest, where the engine records it (containerd). */
  imageDigest?: string;
  state?: string;
  startedAt?: number;
  labels: Record<string, string>;
  /** The engine that runs it: podman, containerd or docker. */
  runtime: string;
  /** containerd's namespace (k8s.io for Kubernetes pods). */
  namespace?: string;
  /** The Kubernetes pod it belongs to, from CRI labels and annotations. */
  k8s?: { namespace: string; pod: string };
}

/** An image some container runs, listed once however many containers and engines run it. */
export interface ImageInventory {
  /** The first name it was seen under. */
  name: string;
  /** Every name (tag) it is run under. */
  names: string[];
  id?: string;
  digest?: string;
  runtimes: string[];
  /** How many of the listed containers run it. */
  containers: number;
}

export interface InventoryRecord {
  host: HostInventory;
  containers: ContainerInventory[];
  images: ImageInventory[];
  /** Why a source could not be read (e.g. podman missing); the rest is still reported. */
  errors: string[];
}

export type InventoryEngine = 'podman' | 'containerd' | 'docker';

export interface InventorySources {
  /** Engines to ask; default podman always, containerd and docker when their socket is there or named. */
  engines?: readonly InventoryEngine[];
  /** containerd's socket; default /run/containerd/containerd.sock. */
  containerdSocket?: string;
  /** Docker's API socket; default /var/run/docker.sock. */
  dockerSocket?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

/** os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** The pod of a podman or docker container from the labels the kubelet (dockershim) sets. */
function k8sFromLabels(labels: Record<string, string>): ContainerInventory['k8s'] {
  const pod = labels['io.kubernetes.pod.name'];
  if (!pod) return undefined;
  return { namespace: labels['io.kubernetes.pod.namespace'] || 'default', pod };
}

/** Fields podman's `ps` JSON and Docker's `GET /containers/json` share (Id, Names, Image, Labels …). */
function fromPsEntry(raw: unknown, runtime: 'podman' | 'docker'): ContainerInventory | undefined {
  const c = obj(raw);
  const id = str(c.Id);
  if (!id) return undefined;
  // Docker's API names start with "/" (the link namespace); podman's do not.
  const names = Array.isArray(c.Names) ? c.Names.filter((n): n is string => typeof n === 'string') : [];
  const labels = strMap(c.Labels);
  const entry: ContainerInventory = {
    id,
    name: names[0]?.replace(/^\//, '') || id.slice(0, 12),
    image: str(c.Image) ?? '',
    imageId: str(c.ImageID),
    state: str(c.State),
    startedAt: typeof c.StartedAt === 'number' ? c.StartedAt : undefined,
    labels,
    runtime,
  };
  const k8s = k8sFromLabels(labels);
  if (k8s) entry.k8s = k8s;
  return entry;
}

function parseJsonList(text: string, what: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${what} printed something that is not JSON`);
  }
  return Array.isArray(doc) ? doc : [];
}

/** `podman ps --format json` → containers; entries without an id are skipped. */
export function parsePodmanPs(json: string): ContainerInventory[] {
  return parseJsonList(json, 'podman ps').flatMap((raw) => fromPsEntry(raw, 'podman') ?? []);
}

/** Docker's `GET /containers/json` body → containers. */
export function parseDockerContainerList(json: string): ContainerInventory[] {
  return parseJsonList(json, 'the docker API').flatMap((raw) => fromPsEntry(raw, 'docker') ?? []);
}

/** `ctr tasks ls` table (TASK PID STATUS) → task id → status in lower case ("running", "stopped" …). */
export function parseCtrTaskStates(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (id && /^\d+$/.test(pid ?? '') && status) out.set(id, status.toLowerCase());
  }
  return out;
}

/** A containerd container as the runtime's engine reads it; `state` from its task (none: "created"). */
export function containerdInventory(meta: ContainerMetadata, state: string | undefined): ContainerInventory {
  const entry: ContainerInventory = {
    id: meta.id,
    name: meta.name,
    image: meta.image,
    state: state ?? 'created',
    labels: meta.labels,
    runtime: 'containerd',
  };
  if (meta.imageDigest) entry.imageDigest = meta.imageDigest;
  if (meta.namespace) entry.namespace = meta.namespace;
  const k8s = k8sFromContainer(meta);
  if (k8s) entry.k8s = { namespace: k8s.namespace, pod: k8s.pod };
  return entry;
}

/** The images the containers run, one entry per image id (or digest, or name when neither is known). */
export function dedupeImages(containers: readonly ContainerInventory[]): ImageInventory[] {
  const byKey = new Map<string, ImageInventory>();
  for (const c of containers) {
    if (!c.image && !c.imageId && !c.imageDigest) continue;
    const key = c.imageId ? `id:${c.imageId}` : c.imageDigest ? `digest:${c.imageDigest}` : `name:${c.image}`;
    let img = byKey.get(key);
    if (!img) {
      img = { name: c.image, names: [], runtimes: [], containers: 0 };
      if (c.imageId) img.id = c.imageId;
      if (c.imageDigest) img.digest = c.imageDigest;
      byKey.set(key, img);
    }
    img.containers++;
    if (c.image && !img.names.includes(c.image)) img.names.push(c.image);
    if (!img.runtimes.includes(c.runtime)) img.runtimes.push(c.runtime);
    img.name ||= c.image;
  }
  return [...byKey.values()];
}

async function readTrimmed(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 15_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      // ctr and podman say what went wrong on stderr; the exec error alone says only "failed".
      reject(new Error(String(stderr).trim().split('\n')[0] || err.message));
    });
  });
}

async function podmanContainers(): Promise<ContainerInventory[]> {
  return parsePodmanPs(await run('podman', ['ps', '--format', 'json']));
}

async function containerdContainers(address: string): Promise<ContainerInventory[]> {
  if (!existsSync(address)) throw new Error(`no socket at ${address}`);
  const ctr = (args: string[]): Promise<string> =>
    run('ctr', ['--address', address, '--connect-timeout', '2s', ...args]);
  // Asked here (not through the engine, which answers "nothing" on failure) so a dead daemon is reported.
  const namespaces = (await ctr(['namespaces', 'ls', '-q'])).split('\n').filter((l) => l.trim() !== '');
  const out: ContainerInventory[] = [];
  for (const ns of namespaces.map((n) => n.trim())) {
    const states = parseCtrTaskStates(await ctr(['--namespace', ns, 'tasks', 'ls']));
    const engine = new ContainerdEngine({ address, namespaces: [ns] });
    for (const meta of await engine.list()) out.push(containerdInventory(meta, states.get(meta.id)));
  }
  return out;
}

function dockerGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(Buffer.concat(chunks).toString('utf8'));
        else reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
  });
}

async function dockerContainers(socketPath: string): Promise<ContainerInventory[]> {
  return parseDockerContainerList(await dockerGet(socketPath, '/containers/json'));
}

/** The engines to ask when the caller names none: podman always (it reports its own absence). */
function defaultEngines(src: InventorySources): InventoryEngine[] {
  const engines: InventoryEngine[] = ['podman'];
  if (src.containerdSocket !== undefined || existsSync(DEFAULT_CONTAINERD_SOCKET)) engines.push('containerd');
  if (src.dockerSocket !== undefined || existsSync(DEFAULT_DOCKER_SOCKET)) engines.push('docker');
  return engines;
}

export async function collectInventory(
  hostname = os.hostname(),
  sources: InventorySources = {},
): Promise<InventoryRecord> {
  const osRelease = parseOsRelease(
    (await readTrimmed('/etc/os-release')) ?? (await readTrimmed('/usr/lib/os-release')) ?? '',
  );
  const host: HostInventory = {
    hostname,
    os: { id: osRelease.ID, versionId: osRelease.VERSION_ID, prettyName: osRelease.PRETTY_NAME },
    kernel: os.release(),
    arch: os.arch(),
    bootId: await readTrimmed('/proc/sys/kernel/random/boot_id'),
    machineId: await readTrimmed('/etc/machine-id'),
  };
  const engines = sources.engines ?? defaultEngines(sources);
  const readers: Record<InventoryEngine, () => Promise<ContainerInventory[]>> = {
    podman: podmanContainers,
    containerd: () => containerdContainers(sources.containerdSocket ?? DEFAULT_CONTAINERD_SOCKET),
    docker: () => dockerContainers(sources.dockerSocket ?? DEFAULT_DOCKER_SOCKET),
  };
  // Every engine at once; one that fails is reported and the others still count.
  const results = await Promise.allSettled(engines.map((e) => readers[e]()));
  const errors: string[] = [];
  const containers: ContainerInventory[] = [];
  const seen = new Set<string>();
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      errors.push(`${engines[i]}: ${String((r.reason as Error)?.message ?? r.reason).split('\n')[0]}`);
      return;
    }
    for (const c of r.value) {
      // podman's Docker-compatible socket lists podman's containers again: the first engine wins.
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      containers.push(c);
    }
  });
  return { host, containers, images: dedupeImages(containers), errors };
}
