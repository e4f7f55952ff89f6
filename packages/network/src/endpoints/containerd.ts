// containerd's running tasks through `ctr`, in every containerd namespace. For Kubernetes (CRI),
// the pod sandbox owns the network namespace, so it becomes the endpoint, named after the pod;
// the pod's app containers share it and are skipped.

import type { Endpoint } from '../model/types.js';
import type { InspectedContainer } from './container-inspect.js';
import { endpointsForContainers, type HostView } from './workload-endpoint.js';

/** `ctr tasks ls` table → running task id → pid. */
export function parseCtrTasks(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    const n = Number(pid);
    if (id && Number.isInteger(n) && n > 0 && status === 'RUNNING') out.set(id, n);
  }
  return out;
}

/** `ctr containers info ID` JSON → the parts endpoint discovery uses. */
export function parseCtrContainerInfo(json: string, pid: number): InspectedContainer | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const c = doc as { ID?: unknown; Image?: unknown; Labels?: unknown };
  if (typeof c.ID !== 'string' || c.ID === '') return undefined;
  const labels: Record<string, string> = {};
  if (typeof c.Labels === 'object' && c.Labels !== null)
    for (const [k, v] of Object.entries(c.Labels)) if (typeof v === 'string') labels[k] = v;
  return {
    id: c.ID,
    name: labels['io.kubernetes.pod.name'] ?? labels['nerdctl/name'] ?? c.ID,
    image: typeof c.Image === 'string' ? c.Image : '',
    running: true,
    pid,
    labels,
    ips: [],
  };
}

/** `address`: containerd's socket when it is not the default one (`ctr --address`). */
export async function discoverContainerd(host: HostView, address?: string): Promise<Endpoint[]> {
  const at = address ? ['--address', address] : [];
  const run = (cmd: string, args: readonly string[]) => host.run(cmd, [...at, ...args]);
  const namespaces = (await run('ctr', ['namespaces', 'ls', '-q'])).split('\n').filter((s) => s.trim() !== '');
  const out: Endpoint[] = [];
  for (const ns of namespaces.map((s) => s.trim())) {
    const tasks = parseCtrTasks(await run('ctr', ['-n', ns, 'tasks', 'ls']));
    const containers: InspectedContainer[] = [];
    for (const [id, pid] of tasks) {
      let c: InspectedContainer | undefined;
      try {
        c = parseCtrContainerInfo(await run('ctr', ['-n', ns, 'containers', 'info', id]), pid);
      } catch {
        continue; // gone
      }
      // CRI app containers share their sandbox's network namespace.
      if (!c || c.labels['io.cri-containerd.kind'] === 'container') continue;
      containers.push(c);
    }
    out.push(...(await endpointsForContainers(containers, 'containerd', host)));
  }
  return out;
}
