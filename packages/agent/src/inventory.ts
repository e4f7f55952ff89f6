// What runs on this host, for the server's inventory: host identity (hostname, OS from os-release,
// kernel, boot id) and the running containers as podman lists them.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';

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
  state?: string;
  startedAt?: number;
  labels: Record<string, string>;
  runtime: string;
}

export interface InventoryRecord {
  host: HostInventory;
  containers: ContainerInventory[];
  /** Why a source could not be read (e.g. podman missing); the rest is still reported. */
  errors: string[];
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

/** `podman ps --format json` → containers; entries without an id are skipped. */
export function parsePodmanPs(json: string): ContainerInventory[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error('podman ps printed something that is not JSON');
  }
  if (!Array.isArray(doc)) return [];
  const out: ContainerInventory[] = [];
  for (const raw of doc) {
    if (typeof raw !== 'object' || raw === null) continue;
    const c = raw as Record<string, unknown>;
    if (typeof c.Id !== 'string') continue;
    const names = Array.isArray(c.Names) ? c.Names.filter((n): n is string => typeof n === 'string') : [];
    const labels: Record<string, string> = {};
    if (c.Labels && typeof c.Labels === 'object')
      for (const [k, v] of Object.entries(c.Labels)) if (typeof v === 'string') labels[k] = v;
    out.push({
      id: c.Id,
      name: names[0] ?? c.Id.slice(0, 12),
      image: typeof c.Image === 'string' ? c.Image : '',
      imageId: typeof c.ImageID === 'string' ? c.ImageID : undefined,
      state: typeof c.State === 'string' ? c.State : undefined,
      startedAt: typeof c.StartedAt === 'number' ? c.StartedAt : undefined,
      labels,
      runtime: 'podman',
    });
  }
  return out;
}

async function readTrimmed(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function podmanPs(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('podman', ['ps', '--format', 'json'], { timeout: 15_000, maxBuffer: 64 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

export async function collectInventory(hostname = os.hostname()): Promise<InventoryRecord> {
  const errors: string[] = [];
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
  let containers: ContainerInventory[] = [];
  try {
    containers = parsePodmanPs(await podmanPs());
  } catch (err) {
    errors.push(`podman: ${(err as Error).message.split('\n')[0]}`);
  }
  return { host, containers, errors };
}
