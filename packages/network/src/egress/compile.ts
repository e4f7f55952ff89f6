// Egress gateway chains in the palisade table: mark traffic from the selected endpoints to the
// destinations (the mark picks a routing table, see routes.ts) and SNAT it to the stable address.

import { endpointLabels } from '../evaluate/evaluate.js';
import { parseCidr } from '../model/cidr.js';
import type { PolicyModel } from '../model/types.js';
import type { SetRegistry } from '../nft/compile.js';
import type { Match, NftChain, NftRule } from '../nft/ir.js';
import { compileSelector } from '../selector/selector.js';
import { EGRESS_MARK_MASK, type EgressGateway, planEgressGateways } from './plan.js';

/** Before routing (mangle priority), so the mark chooses the route of forwarded packets. */
const MANGLE_PRIORITY = -150;
const SRCNAT_PRIORITY = 100;

function markRules(model: PolicyModel, gw: EgressGateway, sets: SetRegistry): NftRule[] {
  const { policy, family } = gw;
  const select = compileSelector(policy.selector);
  const sources: string[] = [];
  for (const e of model.endpoints)
    if (select(endpointLabels(e), e.namespace === undefined))
      for (const ip of e.ips) if (parseCidr(ip)!.version === family) sources.push(ip);
  if (sources.length === 0) return [];
  const nets = [...(policy.destination.nets ?? [])];
  const domains = [...(policy.destination.domains ?? [])];
  if (policy.destination.selector !== undefined) {
    const pick = compileSelector(policy.destination.selector);
    for (const s of model.networkSets)
      if (pick(s.labels, s.namespace === undefined)) {
        nets.push(...s.nets);
        domains.push(...(s.allowedEgressDomains ?? []));
      }
  }
  const cidrs = nets.map((n) => parseCidr(n)!).filter((c) => c.version === family);
  const src: Match = { m: 'addr', side: 'saddr', family, set: sets.addrTexts(family, sources, false), negate: false };
  const destinations: Match[] = [];
  if (cidrs.length > 0)
    destinations.push({ m: 'addr', side: 'daddr', family, set: sets.addr(family, cidrs), negate: false });
  // The DNS proxy fills this set from the answers, as for domain policy rules.
  if (domains.length > 0)
    destinations.push({ m: 'addr', side: 'daddr', family, set: sets.domain(family, domains), negate: false });
  return destinations.map((dst) => ({
    matches: [src, dst],
    statements: [{ s: 'setMarkField', mask: EGRESS_MARK_MASK, value: gw.mark }],
    // The first gateway that matches decides: later ones must not overwrite its mark.
    verdict: { v: 'accept' },
    comment: `EgressGatewayPolicy/${policy.name}`,
  }));
}

/**
 * The base chains for the model's egress gateways (none without gateways): `egress-mark` before
 * routing for forwarded traffic, `egress-mark-local` (a route chain) for the host's own, and
 * `egress-snat` after routing.
 */
export function egressGatewayChains(model: PolicyModel, sets: SetRegistry): NftChain[] {
  const gateways = planEgressGateways(model);
  if (gateways.length === 0) return [];
  const marks = gateways.flatMap((gw) => markRules(model, gw, sets));
  // SNAT only what really leaves through the gateway: should the routing part be missing, marked
  // traffic takes the normal path with its own source address rather than a foreign one.
  const snat: NftRule[] = gateways.map((gw) => ({
    matches: [
      { m: 'nfproto', family: gw.family },
      { m: 'markField', mask: EGRESS_MARK_MASK, value: gw.mark },
      ...(gw.policy.gateway.nextHop
        ? [{ m: 'rtNexthop', family: gw.family, address: gw.policy.gateway.nextHop } as const]
        : []),
      ...(gw.policy.gateway.interface ? [{ m: 'oifname', name: gw.policy.gateway.interface } as const] : []),
    ],
    statements: [{ s: 'snat', family: gw.family, address: gw.policy.gateway.sourceAddress }],
    comment: `EgressGatewayPolicy/${gw.policy.name}`,
  }));
  return [
    { name: 'egress-mark', hook: { hook: 'prerouting', priority: MANGLE_PRIORITY, policy: 'accept' }, rules: marks },
    {
      name: 'egress-mark-local',
      hook: { type: 'route', hook: 'output', priority: MANGLE_PRIORITY, policy: 'accept' },
      rules: marks,
    },
    {
      name: 'egress-snat',
      hook: { type: 'nat', hook: 'postrouting', priority: SRCNAT_PRIORITY, policy: 'accept' },
      rules: snat,
    },
  ];
}
