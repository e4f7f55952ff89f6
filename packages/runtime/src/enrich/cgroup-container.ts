// Maps a task's cgroup to the container that owns it: parses /proc/<pid>/cgroup (v1, v2 and the
// hybrid layout) and recognises the scope names podman, docker, containerd/CRI and CRI-O create,
// and containerd's cgroupfs paths (/k8s.io/<id>, /default/<id>).

/** One line of /proc/<pid>/cgroup: `hierarchy-id:controllers:path` (v2 is `0::path`). */
export interface CgroupEntry {
  hierarchy: number;
  controllers: string;
  path: string;
}

export interface CgroupContainerRef {
  id: string;
  /** Falco's container.type: podman, docker, containerd, cri-o, or "unknown" for a bare id. */
  runtime: string;
}

export function parseProcCgroup(text: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const hierarchy = Number(line.slice(0, a));
    if (!Number.isInteger(hierarchy)) continue;
    out.push({ hierarchy, controllers: line.slice(a + 1, b), path: line.slice(b + 1) });
  }
  return out;
}

// Scope prefixes: the id follows, optionally ending in ".scope" (systemd driver) or not (cgroupfs).
const SCOPE_PREFIXES: readonly [string, string][] = [
  ['libpod-conmon-', ''], // conmon's own cgroup is not the container's
  ['libpod-', 'podman'],
  ['docker-', 'docker'],
  ['cri-containerd-', 'containerd'],
  ['containerd-', 'containerd'], // ctr run --runc-systemd-cgroup --cgroup system.slice:containerd:ID
  ['crio-conmon-', ''],
  ['crio-', 'cri-o'],
];
const HEX64 = /^[0-9a-f]{64}$/;
/** containerd's identifier rule (ids of `ctr run`, nerdctl, CRI). */
const CONTAINERD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/;
/** containerd namespaces whose cgroupfs paths are `/<namespace>/<id>` (ctr's default cgroup). */
const CONTAINERD_NAMESPACES = new Set(['k8s.io', 'default']);

/** The container id named by a cgroup path, looking from the leaf upwards; undefined on the host. */
export function containerFromCgroupPath(cgroupPath: string): CgroupContainerRef | undefined {
  const parts = cgroupPath.split('/');
  // `ctr run` (cgroupfs driver) puts a container at /<namespace>/<id>, whatever the id looks like.
  if (parts.length === 3 && parts[0] === '' && CONTAINERD_NAMESPACES.has(parts[1]!) && CONTAINERD_ID.test(parts[2]!)) {
    return { id: parts[2]!, runtime: 'containerd' };
  }
  for (let i = parts.length - 1; i >= 0; i--) {
    let seg = parts[i]!;
    if (seg.endsWith('.scope')) seg = seg.slice(0, -'.scope'.length);
    for (const [prefix, runtime] of SCOPE_PREFIXES) {
      if (!seg.startsWith(prefix)) continue;
      const id = seg.slice(prefix.length);
      if (runtime === '' || !HEX64.test(id)) break;
      return { id, runtime };
    }
    if (HEX64.test(seg)) {
      // cgroupfs drivers: /docker/<id>, /kubepods/…/pod<uid>/<id>, /libpod_parent/<id>, /k8s.io/<id>.
      const parent = parts[i - 1] ?? '';
      const runtime =
        parent === 'docker'
          ? 'docker'
          : parent.startsWith('libpod')
            ? 'podman'
            : CONTAINERD_NAMESPACES.has(parent)
              ? 'containerd'
              : 'unknown';
      return { id: seg, runtime };
    }
  }
  return undefined;
}

/**
 * The cgroup path that identifies a task's container. On the v2 unified hierarchy that is the
 * `0::` line; in a hybrid layout where v2 holds only "/", any v1 controller path names it.
 */
export function containerFromProcCgroup(entries: readonly CgroupEntry[]): CgroupContainerRef | undefined {
  const v2 = entries.find((e) => e.hierarchy === 0);
  if (v2) {
    const ref = containerFromCgroupPath(v2.path);
    if (ref) return ref;
  }
  for (const e of entries) {
    if (e.hierarchy === 0) continue;
    const ref = containerFromCgroupPath(e.path);
    if (ref) return ref;
  }
  return undefined;
}
