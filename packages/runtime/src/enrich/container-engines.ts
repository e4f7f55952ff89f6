// Container metadata from the engines: podman's CLI (`podman inspect`) and any Docker-compatible
// API socket (docker, or podman's service). Both turn inspect JSON into one ContainerMetadata.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import {
  followPodmanEventsFile,
  PODMAN_EVENTS_FILE,
  podmanEventsFileUsable,
  type RuntimeContainerMount,
} from '@palisade/core';

export interface ContainerMetadata {
  id: string;
  name: string;
  /** Image reference as run, e.g. "localhost/app:1". */
  image: string;
  imageId: string;
  labels: Record<string, string>;
  /** OCI annotations (podman, CRI): where Kubernetes pod metadata lives. */
  annotations: Record<string, string>;
  privileged: boolean;
  /** ns since the Unix epoch, when the engine says. */
  startTs?: number;
  pid?: number;
  status?: string;
  /** Overlay upper directory on the host: files written (or changed) since the container started. */
  upperDir?: string;
  /** Falco's container.type when the engine knows better than the cgroup path (e.g. "containerd"). */
  runtime?: string;
  /** The engine's namespace the container lives in (containerd: k8s.io, default, …). */
  namespace?: string;
  /** Manifest digest of the image, "sha256:…". */
  imageDigest?: string;
  /** Bind mounts into the container. */
  mounts?: RuntimeContainerMount[];
  /** The pod's own labels when the engine keeps them apart from the container's (CRI sandboxes). */
  podLabels?: Record<string, string>;
}

/** One seam per engine; `inspect` resolves undefined when the engine does not know the id. */
export interface ContainerEngine {
  readonly name: string;
  inspect(id: string): Promise<ContainerMetadata | undefined>;
  /** Calls `onChange(id, status)` on the engine's container events; returns a stopper. */
  watch?(onChange: (id: string, status: string) => void): () => void;
  /** Every container the engine knows, to warm a cache before the first event arrives. */
  list?(): Promise<ContainerMetadata[]>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}
function isoToNs(s: string): number | undefined {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms > 0 ? ms * 1e6 : undefined;
}

/** Inspect JSON (podman's native or Docker's shape) → metadata. */
export function containerMetadataFromInspect(raw: unknown): ContainerMetadata | undefined {
  const j = obj(raw);
  const id = str(j.Id) || str(j.ID);
  if (id === '') return undefined;
  const config = obj(j.Config);
  const state = obj(j.State);
  const host = obj(j.HostConfig);
  const meta: ContainerMetadata = {
    id,
    name: str(j.Name).replace(/^\//, ''),
    // podman: ImageName is the reference, Image the id; docker: Config.Image the reference.
    image: str(j.ImageName) || str(config.Image) || str(j.Image),
    imageId: str(j.Image).replace(/^sha256:/, ''),
    labels: strMap(config.Labels),
    annotations: strMap(config.Annotations),
    privileged: host.Privileged === true,
  };
  const started = isoToNs(str(state.StartedAt));
  if (started !== undefined) meta.startTs = started;
  if (typeof state.Pid === 'number' && state.Pid > 0) meta.pid = state.Pid;
  if (str(state.Status)) meta.status = str(state.Status);
  const upper = str(obj(obj(j.GraphDriver).Data).UpperDir);
  if (upper) meta.upperDir = upper;
  return meta;
}

export interface PodmanCliOptions {
  binary?: string;
  timeoutMs?: number;
  /**
   * podman's events log, read instead of running `podman events` when it exists (default
   * PODMAN_EVENTS_FILE); null always runs `podman events` (journald event loggers).
   */
  eventsFile?: string | null;
}

/** podman's CLI: one `podman inspect` per unknown container (the enricher caches the answer). */
export class PodmanCliEngine implements ContainerEngine {
  readonly name = 'podman';
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly eventsFile: string | null;

  constructor(opts: PodmanCliOptions = {}) {
    this.binary = opts.binary ?? 'podman';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.eventsFile = opts.eventsFile === undefined ? PODMAN_EVENTS_FILE : opts.eventsFile;
  }

  inspect(id: string): Promise<ContainerMetadata | undefined> {
    return new Promise((resolve) => {
      execFile(
        this.binary,
        ['container', 'inspect', '--format', 'json', id],
        { timeout: this.timeoutMs, maxBuffer: 8 << 20 },
        (err, stdout) => {
          if (err) return resolve(undefined); // unknown id, or podman absent
          try {
            const list = JSON.parse(stdout) as unknown;
            resolve(Array.isArray(list) ? containerMetadataFromInspect(list[0]) : undefined);
          } catch {
            resolve(undefined);
          }
        },
      );
    });
  }

  /** Every container podman knows (running or not), inspected in one call when possible. */
  async list(): Promise<ContainerMetadata[]> {
    const ids = await new Promise<string[]>((resolve) => {
      execFile(this.binary, ['ps', '-a', '-q', '--no-trunc'], { timeout: this.timeoutMs }, (err, stdout) =>
        resolve(err ? [] : stdout.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l))),
      );
    });
    if (ids.length === 0) return [];
    const all = await new Promise<ContainerMetadata[] | undefined>((resolve) => {
      execFile(
        this.binary,
        ['container', 'inspect', '--format', 'json', ...ids],
        { timeout: this.timeoutMs, maxBuffer: 64 << 20 },
        (err, stdout) => {
          if (err) return resolve(undefined);
          try {
            const arr = JSON.parse(stdout) as unknown;
            resolve(Array.isArray(arr) ? arr.map(containerMetadataFromInspect).filter((m) => m !== undefined) : []);
          } catch {
            resolve(undefined);
          }
        },
      );
    });
    if (all) return all;
    // One of them went away between ps and inspect, which fails the whole call: ask one by one.
    const each = await Promise.all(ids.map((id) => this.inspect(id)));
    return each.filter((m) => m !== undefined);
  }

  /**
   * Follows podman's events log file (or `podman events` where podman logs events to journald) and
   * calls `onChange(id)` for every container event, so cached
   * metadata can be dropped when a container is renamed, removed or re-created. Returns a stopper.
   */
  watch(onChange: (id: string, status: string) => void, since?: Date): () => void {
    if (this.eventsFile !== null && podmanEventsFileUsable(this.eventsFile)) {
      return followPodmanEventsFile(this.eventsFile, (e) => onChange(e.id, e.status), since);
    }
    const args = ['events', '--format', 'json', '--filter', 'type=container'];
    // --since replays what happened between the caller's snapshot and this subscription.
    if (since) args.push('--since', since.toISOString());
    const child: ChildProcess = spawn(this.binary, args, {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.on('error', () => {}); // podman absent: nothing to watch
    if (child.stdout) {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        try {
          const e = obj(JSON.parse(line));
          const id = str(e.ID) || str(e.id);
          if (id) onChange(id, str(e.Status) || str(e.status));
        } catch {
          // a partial line from a dying podman: ignore
        }
      });
    }
    return () => {
      child.kill();
    };
  }
}

/** Docker Engine API over a unix socket: docker's /var/run/docker.sock or podman's /run/podman/podman.sock. */
export class DockerApiEngine implements ContainerEngine {
  constructor(
    readonly socketPath: string,
    readonly name = 'docker',
    private readonly timeoutMs = 5000,
  ) {}

  inspect(id: string): Promise<ContainerMetadata | undefined> {
    return new Promise((resolve) => {
      const req = http.get(
        { socketPath: this.socketPath, path: `/containers/${encodeURIComponent(id)}/json`, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return resolve(undefined);
            try {
              resolve(containerMetadataFromInspect(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
            } catch {
              resolve(undefined);
            }
          });
          res.on('error', () => resolve(undefined));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
    });
  }
}
