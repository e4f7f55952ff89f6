// The egress gateways of a model in decision order, each with its routing mark, routing table and
// rule priority: the one numbering the nftables chains and the `ip rule`/`ip route` part share.

import { InputError } from '@palisade/core';
import { parseCidr } from '../model/cidr.js';
import type { EgressGatewayPolicy, PolicyModel } from '../model/types.js';

/** The mark bits the egress gateway owns (policy chains use 0x100–0x400). */
export const EGRESS_MARK_MASK = 0x00ff0000;
/** `ip rule` priorities from here on belong to Palisade's egress gateways (one per gateway). */
export const EGRESS_RULE_PRIORITY_BASE = 20_000;
/** Default routing tables: EGRESS_TABLE_BASE + position. */
export const EGRESS_TABLE_BASE = 20_000;
export const MAX_EGRESS_GATEWAYS = 255;

export interface EgressGateway {
  readonly policy: EgressGatewayPolicy;
  readonly family: 4 | 6;
  /** Value of the mark field (within EGRESS_MARK_MASK) for traffic this gateway takes. */
  readonly mark: number;
  readonly table: number;
  readonly priority: number;
}

function byOrderThenName(a: EgressGatewayPolicy, b: EgressGatewayPolicy): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY;
  const ob = b.order ?? Number.POSITIVE_INFINITY;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Lower order first, then by name (as Calico orders policies); the first match decides. */
export function planEgressGateways(model: PolicyModel): EgressGateway[] {
  const policies = [...(model.egressGateways ?? [])].sort(byOrderThenName);
  if (policies.length > MAX_EGRESS_GATEWAYS)
    throw new InputError(`at most ${MAX_EGRESS_GATEWAYS} EgressGatewayPolicy documents, got ${policies.length}`);
  return policies.map((policy, i) => ({
    policy,
    family: parseCidr(policy.gateway.sourceAddress)!.version,
    mark: (i + 1) << 16,
    table: policy.gateway.table ?? EGRESS_TABLE_BASE + i + 1,
    priority: EGRESS_RULE_PRIORITY_BASE + i + 1,
  }));
}
