// Resolves a cgroup v2 id (the inode of the cgroup directory, as bpf_get_current_cgroup_id()
// reports it) to its path, by indexing the unified hierarchy; rebuilt lazily when an id is unknown.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Mount point of the cgroup2 hierarchy (`/sys/fs/cgroup` or, in a hybrid layout, `/sys/fs/cgroup/unified`). */
export function findCgroup2Mount(mountinfoText: string): string | undefined {
  for (const line of mountinfoText.split('\n')) {
    // mountinfo: id parent major:minor root mountpoint options … - fstype source superopts
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    return unescapeMount(line.slice(0, sep).split(' ')[4] ?? '');
  }
  return undefined;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

export interface CgroupIdIndexOptions {
  /** Root of the cgroup2 hierarchy; default: read from /proc/self/mountinfo. */
  root?: string;
  /** How deep to walk; container scopes sit 2-5 levels down (kubepods.slice/…/cri-containerd-x.scope). */
  maxDepth?: number;
  /** Minimum time between two rebuilds triggered by unknown ids, so a flood of them stays cheap. */
  minRebuildMs?: number;
}

export class CgroupIdIndex {
  readonly root: string | undefined;
  private readonly maxDepth: number;
  private readonly minRebuildMs: number;
  private byId = new Map<number, string>();
  private lastBuild = Number.NEGATIVE_INFINITY;

  constructor(opts: CgroupIdIndexOptions = {}) {
    this.root = opts.root ?? safeMount();
    this.maxDepth = opts.maxDepth ?? 6;
    this.minRebuildMs = opts.minRebuildMs ?? 1000;
  }

  /** The cgroup path (relative to the hierarchy root, starting with "/") of a cgroup id. */
  pathOf(cgroupId: number): string | undefined {
    const hit = this.byId.get(cgroupId);
    if (hit !== undefined || this.root === undefined) return hit;
    if (Date.now() - this.lastBuild < this.minRebuildMs) return undefined;
    this.rebuild();
    return this.byId.get(cgroupId);
  }

  rebuild(): void {
    this.lastBuild = Date.now();
    const next = new Map<number, string>();
    if (this.root !== undefined) this.walk(this.root, '/', 0, next);
    this.byId = next;
  }

  private walk(dir: string, rel: string, depth: number, into: Map<number, string>): void {
    try {
      into.set(statSync(dir).ino, rel);
    } catch {
      return; // a cgroup removed while walking
    }
    if (depth >= this.maxDepth) return;
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      return;
    }
    for (const n of names) this.walk(path.join(dir, n), rel === '/' ? `/${n}` : `${rel}/${n}`, depth + 1, into);
  }
}

function safeMount(): string | undefined {
  try {
    return findCgroup2Mount(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}
