// The host itself as HostEndpoints: one per chosen interface with its addresses and the labels the
// agent is configured with. Container veths, bridges and loopback are not the host's own.

import type { Endpoint } from '../model/types.js';
import { type NetLink, reachableAddresses } from './ip-links.js';

export interface HostEndpointOptions {
  /** The host's name; endpoints are named `NAME-IFACE`. */
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Exactly these interfaces; default: every interface with a global address that is not a veth or bridge. */
  readonly interfaces?: readonly string[];
}

/** Link kinds that carry other workloads' traffic rather than the host's. */
const NOT_HOST_KINDS = new Set(['veth', 'bridge', 'ifb', 'dummy']);

export const HOST_LABEL = 'palisade.dev/host';

export function hostEndpoints(links: readonly NetLink[], opts: HostEndpointOptions): Endpoint[] {
  const chosen = opts.interfaces
    ? links.filter((l) => opts.interfaces!.includes(l.name))
    : links.filter(
        (l) =>
          l.name !== 'lo' &&
          !NOT_HOST_KINDS.has(l.kind ?? '') &&
          l.master === undefined &&
          reachableAddresses(l).length > 0,
      );
  return chosen.map((l) => ({
    kind: 'HostEndpoint',
    name: `${opts.hostname}-${l.name}`,
    labels: { ...opts.labels, [HOST_LABEL]: opts.hostname },
    ips: reachableAddresses(l),
    interfaceName: l.name,
    ports: [],
    profiles: [],
  }));
}
