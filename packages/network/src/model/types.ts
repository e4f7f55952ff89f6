// Typed policy model shared by the loader, the evaluator and the nftables compiler: Calico's
// objects after validation and normalisation (protocols as numbers, ports as ranges or names).

import type { Labels } from '../selector/selector.js';

export type Action = 'Allow' | 'Deny' | 'Log' | 'Pass';
export type Direction = 'Ingress' | 'Egress';

/** A port match: a range (single ports have from === to) or a named port resolved per endpoint. */
export type PortMatch = { readonly from: number; readonly to: number } | { readonly name: string };

export interface IcmpMatch {
  readonly type?: number;
  readonly code?: number;
}

export interface EntityRule {
  readonly nets?: readonly string[];
  readonly notNets?: readonly string[];
  readonly selector?: string;
  readonly notSelector?: string;
  readonly namespaceSelector?: string;
  readonly serviceAccounts?: { readonly names?: readonly string[]; readonly selector?: string };
  readonly ports?: readonly PortMatch[];
  readonly notPorts?: readonly PortMatch[];
  readonly domains?: readonly string[];
  /** Set by the Kubernetes conversion: selectors match pods only, never network sets or hosts. */
  readonly workloadsOnly?: boolean;
}

export interface Rule {
  readonly action: Action;
  readonly protocol?: number;
  readonly notProtocol?: number;
  readonly ipVersion?: 4 | 6;
  readonly icmp?: IcmpMatch;
  readonly notICMP?: IcmpMatch;
  readonly source: EntityRule;
  readonly destination: EntityRule;
  readonly name?: string;
}

export interface Policy {
  /** Kind as written (Calico kinds, or `KubernetesNetworkPolicy` for networking.k8s.io). */
  readonly kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' | 'KubernetesNetworkPolicy';
  readonly staged: boolean;
  /** For staged policies: `Delete` stages the removal of the enforced policy with this name. */
  readonly stagedAction?: 'Set' | 'Delete';
  readonly name: string;
  readonly namespace?: string;
  readonly tier: string;
  readonly order?: number;
  readonly selector: string;
  readonly namespaceSelector?: string;
  readonly serviceAccountSelector?: string;
  readonly types: readonly Direction[];
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
  /** Where the document came from, for traces and errors. */
  readonly source?: string;
}

export interface Tier {
  readonly name: string;
  readonly order?: number;
  readonly defaultAction: 'Deny' | 'Pass';
}

export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: number;
}

export interface Endpoint {
  readonly kind: 'WorkloadEndpoint' | 'HostEndpoint';
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Labels;
  readonly ips: readonly string[];
  readonly interfaceName?: string;
  readonly ports: readonly NamedPort[];
  readonly serviceAccount?: string;
  readonly profiles: readonly string[];
}

export interface NetworkSet {
  readonly kind: 'NetworkSet' | 'GlobalNetworkSet';
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Labels;
  readonly nets: readonly string[];
  readonly allowedEgressDomains?: readonly string[];
}

/**
 * Palisade's `EgressGatewayPolicy` (palisade.dev/v1): traffic from the selected endpoints to the
 * destinations leaves through a gateway (policy routing) with a stable source address (SNAT).
 */
export interface EgressGatewayPolicy {
  readonly name: string;
  /** Lower first; the first policy that matches a packet decides its gateway. */
  readonly order?: number;
  /** Source endpoints (Calico selector over workload and host endpoints). */
  readonly selector: string;
  readonly destination: {
    readonly nets?: readonly string[];
    /** Names the DNS proxy resolves (exact or `*.` wildcard), as in `destination.domains`. */
    readonly domains?: readonly string[];
    /** Network sets (and global ones) by labels: their nets and `allowedEgressDomains`. */
    readonly selector?: string;
  };
  readonly gateway: {
    /** Next hop address of the gateway; with `interface`, the route names both. */
    readonly nextHop?: string;
    readonly interface?: string;
    /** The stable source address the traffic leaves with. */
    readonly sourceAddress: string;
    /** Routing table number (default: chosen from the policy's position). */
    readonly table?: number;
  };
  readonly source?: string;
}

export interface PolicyModel {
  readonly tiers: readonly Tier[];
  /** Enforced and staged policies alike; `staged` tells them apart. */
  readonly policies: readonly Policy[];
  readonly networkSets: readonly NetworkSet[];
  readonly endpoints: readonly Endpoint[];
  /** Namespace name → labels (from Kubernetes `Namespace` documents); unknown namespaces have none. */
  readonly namespaces: ReadonlyMap<string, Labels>;
  /** Egress gateway policies; absent in models built by hand. */
  readonly egressGateways?: readonly EgressGatewayPolicy[];
}

export const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['TCP', 6],
  ['UDP', 17],
  ['ICMP', 1],
  ['ICMPV6', 58],
  ['SCTP', 132],
  ['UDPLITE', 136],
]);

export function protocolName(n: number): string {
  for (const [name, num] of PROTOCOL_NUMBERS) if (num === n) return name === 'ICMPV6' ? 'ICMPv6' : name;
  return String(n);
}
