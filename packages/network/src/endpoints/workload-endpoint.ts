// Turns a discovered container into the compiler's WorkloadEndpoint: its labels, the namespace
// label Calico policies select on, and the host side of its veth (where the table dispatches).

import type { Endpoint } from '../model/types.js';
import type { InspectedContainer } from './container-inspect.js';
import { type NetLink, parseIpLinks, parseNetnsIds, reachableAddresses } from './ip-links.js';
import type { CommandRunner } from './run-command.js';

/** Labels that name the namespace a container belongs to, first match wins. */
export const NAMESPACE_LABELS: readonly string[] = [
  'projectcalico.org/namespace',
  'io.kubernetes.pod.namespace',
  'palisade.dev/namespace',
];
/** Labels the agent adds so policies can select by engine or container name. */
export const RUNTIME_LABEL = 'palisade.dev/runtime';
export const CONTAINER_LABEL = 'palisade.dev/container';

export interface ContainerNetwork {
  /** The host-side interface of the container's veth (absent: no veth into this namespace). */
  readonly interfaceName?: string;
  /** Global addresses inside the container's network namespace. */
  readonly ips: readonly string[];
}

/**
 * Looks inside the container's network namespace (through its init pid) for the interface whose
 * peer lives among `hostLinks`, i.e. the veth pair crossing into the host. Interface indexes are
 * per namespace, so a match must point both ways; and when the host side is a named namespace
 * (`hostNetns`), the container must know its peer's namespace by that name.
 */
export async function containerNetwork(
  pid: number,
  hostLinks: readonly NetLink[],
  run: CommandRunner,
  hostNetns?: string,
): Promise<ContainerNetwork> {
  const enter = ['-t', String(pid), '-n'];
  const inside = parseIpLinks(await run('nsenter', [...enter, 'ip', '-j', 'addr', 'show']));
  const ips = inside.filter((l) => l.name !== 'lo').flatMap(reachableAddresses);
  const names = hostNetns ? parseNetnsIds(await run('nsenter', [...enter, 'ip', '-j', 'netns', 'list-id'])) : undefined;
  const byIndex = new Map(hostLinks.map((l) => [l.index, l]));
  // eth0 first: a container with several interfaces is dispatched on its primary one.
  const candidates = [...inside].sort((a, b) => Number(b.name === 'eth0') - Number(a.name === 'eth0'));
  for (const link of candidates) {
    if (link.peerIndex === undefined || link.name === 'lo') continue;
    if (names && (link.peerNetnsId === undefined || names.get(link.peerNetnsId) !== hostNetns)) continue;
    const peer = byIndex.get(link.peerIndex);
    if (peer && peer.peerIndex === link.index && (peer.kind === undefined || peer.kind === 'veth'))
      return { interfaceName: peer.name, ips };
  }
  return { ips };
}

export function namespaceOf(labels: Readonly<Record<string, string>>): string | undefined {
  for (const key of NAMESPACE_LABELS) if (labels[key]) return labels[key];
  return undefined;
}

/** The WorkloadEndpoint for a running container; undefined for host-network containers. */
export function workloadEndpointFor(
  c: InspectedContainer,
  runtime: string,
  network: ContainerNetwork | undefined,
  name = c.name,
): Endpoint | undefined {
  if (c.networkMode === 'host') return undefined;
  const namespace = namespaceOf(c.labels);
  const ips = [...new Set([...c.ips, ...(network?.ips ?? [])])];
  return {
    kind: 'WorkloadEndpoint',
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...c.labels, [RUNTIME_LABEL]: runtime, [CONTAINER_LABEL]: c.name },
    ips,
    ...(network?.interfaceName ? { interfaceName: network.interfaceName } : {}),
    ports: [],
    profiles: [],
  };
}

/** What engines need to know about the namespace the policy is enforced in. */
export interface HostView {
  /** Its interfaces. */
  readonly links: readonly NetLink[];
  /** Its name when it is a named namespace rather than the agent's own. */
  readonly netns?: string;
  readonly run: CommandRunner;
  /** Problems with single containers, reported beside the result. */
  readonly errors: string[];
}

/** Endpoints for running containers; one that vanished while we looked is left out, not an error. */
export async function endpointsForContainers(
  containers: readonly InspectedContainer[],
  runtime: string,
  host: HostView,
): Promise<Endpoint[]> {
  const { run, errors } = host;
  const out: Endpoint[] = [];
  for (const c of containers) {
    if (!c.running || c.networkMode === 'host') continue;
    let network: ContainerNetwork | undefined;
    if (c.pid > 0) {
      try {
        network = await containerNetwork(c.pid, host.links, run, host.netns);
      } catch (err) {
        errors.push(`${runtime} ${c.name}: cannot read its network namespace: ${(err as Error).message}`);
      }
    }
    const e = workloadEndpointFor(c, runtime, network);
    if (e) out.push(e);
  }
  return out;
}
