// Kubernetes networking.k8s.io/v1 NetworkPolicy expressed as a Calico policy, the way Calico does:
// default tier, order 1000, one rule per peer (peers OR), podSelector+namespaceSelector AND in a peer.

import type { EntityRule, Policy, PortMatch, Rule } from './types.js';

export interface K8sLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
interface K8sPeer {
  podSelector?: K8sLabelSelector;
  namespaceSelector?: K8sLabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface K8sPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}
export interface K8sNetworkPolicySpec {
  podSelector: K8sLabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: { from?: K8sPeer[]; ports?: K8sPort[] }[];
  egress?: { to?: K8sPeer[]; ports?: K8sPort[] }[];
}

const quote = (v: string) => (v.includes("'") ? `"${v}"` : `'${v}'`);

/** A Kubernetes label selector as Calico selector text; the empty selector selects everything. */
export function labelSelectorToCalico(sel: K8sLabelSelector): string {
  const terms: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) terms.push(`${k} == ${quote(v)}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = `{${(e.values ?? []).map(quote).join(', ')}}`;
    if (e.operator === 'In') terms.push(`${e.key} in ${values}`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} not in ${values}`);
    else if (e.operator === 'Exists') terms.push(`has(${e.key})`);
    else terms.push(`!has(${e.key})`);
  }
  return terms.length === 0 ? 'all()' : terms.join(' && ');
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

function peerToEntity(peer: K8sPeer | undefined): EntityRule {
  if (!peer) return {};
  if (peer.ipBlock)
    return { nets: [peer.ipBlock.cidr], ...(peer.ipBlock.except?.length ? { notNets: peer.ipBlock.except } : {}) };
  const out: { selector?: string; namespaceSelector?: string; workloadsOnly: true } = { workloadsOnly: true };
  out.selector = peer.podSelector ? labelSelectorToCalico(peer.podSelector) : 'all()';
  if (peer.namespaceSelector) out.namespaceSelector = labelSelectorToCalico(peer.namespaceSelector);
  return out;
}

/** Ports grouped by protocol (a Calico rule has one protocol); missing ports → one group with none. */
function portGroups(ports: K8sPort[] | undefined): { protocol?: number; ports?: PortMatch[] }[] {
  if (!ports || ports.length === 0) return [{}];
  const byProto = new Map<number, PortMatch[] | undefined>();
  for (const p of ports) {
    const proto = PROTO[p.protocol ?? 'TCP']!;
    if (p.port === undefined) {
      byProto.set(proto, undefined); // protocol-only entry: every port of that protocol
      continue;
    }
    if (byProto.has(proto) && byProto.get(proto) === undefined) continue;
    const list = byProto.get(proto) ?? [];
    if (typeof p.port === 'string') list.push({ name: p.port });
    else list.push({ from: p.port, to: p.endPort ?? p.port });
    byProto.set(proto, list);
  }
  return [...byProto].map(([protocol, list]) => (list ? { protocol, ports: list } : { protocol }));
}

export function convertK8sNetworkPolicy(
  name: string,
  namespace: string,
  spec: K8sNetworkPolicySpec,
  source?: string,
): Policy {
  const types = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  const build = (peers: K8sPeer[] | undefined, ports: K8sPort[] | undefined, dir: 'in' | 'out'): Rule[] => {
    // A missing or empty peer list means "any peer"; each peer is its own rule so peers OR together.
    const entities = peers && peers.length > 0 ? peers.map(peerToEntity) : [peerToEntity(undefined)];
    const rules: Rule[] = [];
    for (const entity of entities) {
      for (const g of portGroups(ports)) {
        const dest: EntityRule = g.ports ? { ports: g.ports } : {};
        rules.push({
          action: 'Allow',
          ...(g.protocol !== undefined ? { protocol: g.protocol } : {}),
          source: dir === 'in' ? entity : {},
          destination: dir === 'in' ? dest : { ...entity, ...dest },
        });
      }
    }
    return rules;
  };
  return {
    kind: 'KubernetesNetworkPolicy',
    staged: false,
    name: `knp.default.${name}`,
    namespace,
    tier: 'default',
    order: 1000,
    selector: labelSelectorToCalico(spec.podSelector),
    types,
    ingress: types.includes('Ingress') ? (spec.ingress ?? []).flatMap((r) => build(r.from, r.ports, 'in')) : [],
    egress: types.includes('Egress') ? (spec.egress ?? []).flatMap((r) => build(r.to, r.ports, 'out')) : [],
    ...(source ? { source } : {}),
  };
}
