// Podman's running containers as workload endpoints: `podman ps` for the ids, one `podman
// inspect` for their labels, pids and addresses, and each one's veth found through its pid.

import type { Endpoint } from '../model/types.js';
import { type InspectedContainer, parseContainerInspect } from './container-inspect.js';
import type { CommandRunner } from './run-command.js';
import { endpointsForContainers, type HostView } from './workload-endpoint.js';

async function inspectAll(ids: readonly string[], run: CommandRunner): Promise<InspectedContainer[]> {
  try {
    return parseContainerInspect(await run('podman', ['inspect', '--type', 'container', ...ids]));
  } catch {
    // One container exited between ps and inspect and failed the batch: take the others one by one.
    const out: InspectedContainer[] = [];
    for (const id of ids) {
      try {
        out.push(...parseContainerInspect(await run('podman', ['inspect', '--type', 'container', id])));
      } catch {
        // gone
      }
    }
    return out;
  }
}

export async function discoverPodman(host: HostView): Promise<Endpoint[]> {
  const { run } = host;
  const ids = (await run('podman', ['ps', '-q', '--no-trunc']))
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^[0-9a-f]{12,64}$/.test(s));
  if (ids.length === 0) return [];
  return endpointsForContainers(await inspectAll(ids, run), 'podman', host);
}
