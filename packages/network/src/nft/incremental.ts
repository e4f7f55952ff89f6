// Adds one endpoint to a compiled table without recompiling: set elements for every selector it
// now satisfies, its anti-spoofing pair and its dispatch entries, as one small `nft -f` batch.

import { endpointLabels, entityMatcher, type Holder } from '../evaluate/evaluate.js';
import { parseCidr } from '../model/cidr.js';
import type { Endpoint, PolicyModel } from '../model/types.js';
import { compileSelector } from '../selector/selector.js';
import { Compiler, type SetSource } from './compile.js';
import type { Family, NftRuleset } from './ir.js';

export interface ElementAdd {
  readonly target: 'set' | 'map';
  readonly name: string;
  readonly elements: readonly string[];
}

export interface EndpointAdd {
  readonly adds: readonly ElementAdd[];
  /** The table as it is after the adds (what a full compile of `model` behaves like). */
  readonly ruleset: NftRuleset;
  readonly model: PolicyModel;
}

/**
 * The element additions that make `previous` enforce `previous model + endpoint`, or undefined
 * when that needs new chains or rules (a policy starts or stops matching something new): then
 * recompile and replace. The previous ruleset's bookkeeping (and its dispatch maps) move to the
 * returned one: use the returned ruleset from then on.
 */
export function addEndpointIncrementally(previous: NftRuleset, endpoint: Endpoint): EndpointAdd | undefined {
  const c = previous.compiler;
  // Staged shadows depend on the staged view too: recompile rather than track both.
  if (!(c instanceof Compiler) || !endpoint.interfaceName || c.hasShadows) return undefined;
  const iface = endpoint.interfaceName;
  const old = c.model;
  if (old.endpoints.some((e) => e.interfaceName === iface || e.ips.some((ip) => endpoint.ips.includes(ip))))
    return undefined;
  const model: PolicyModel = { ...old, endpoints: old.endpoints.concat([endpoint]) };
  const holder: Holder = {
    kind: endpoint.kind,
    labels: endpointLabels(endpoint),
    ...(endpoint.namespace ? { namespace: endpoint.namespace } : {}),
    endpoint,
  };
  // An egress gateway's source set has no provenance to grow by: a pod it selects needs a recompile.
  if (old.egressGateways?.some((g) => compileSelector(g.selector)(holder.labels, holder.namespace === undefined)))
    return undefined;
  const ips: Record<Family, string[]> = { 4: [], 6: [] };
  for (const ip of endpoint.ips) ips[parseCidr(ip)!.version].push(ip);

  const wants = (src: SetSource): string[] => {
    // No address of that family (IPv6 sides of an IPv4 pod, most often): no selector to run.
    if (ips[src.family].length === 0) return ips[src.family];
    switch (src.kind) {
      case 'scoped':
        return entityMatcher(model, src.policy, src.er)(holder) ? ips[src.family] : [];
      case 'not':
        return compileSelector(src.selector)(holder.labels, holder.namespace === undefined) ? ips[src.family] : [];
      case 'named':
        return endpoint.ports
          .filter((np) => src.names.includes(np.name) && np.protocol === src.protocol)
          .flatMap((np) => ips[src.family].map((ip) => `${ip} . ${np.port}`));
    }
  };
  // A rule left out because it matched nothing would now match: that needs a recompile.
  // (Only the families the endpoint has an address in: an IPv4 pod skips every IPv6 side.)
  for (const family of [4, 6] as const)
    if (ips[family].length > 0 && c.emptySources[family].some((s) => wants(s).length > 0)) return undefined;
  const adds: ElementAdd[] = [];
  for (const [name, sources] of c.provenance) {
    const first = wants(sources[0]!);
    // A shared set can only grow if every rule side it serves agrees on the new endpoint. Selector
    // sides answer with the same array (the endpoint's addresses or none): compare by reference
    // first, and sort only what differs by reference (named ports build their own lists).
    let key: string | undefined;
    const agrees = (other: readonly string[]) => {
      if (other === first || (other.length === 0 && first.length === 0)) return true;
      key ??= [...first].sort().join();
      return [...other].sort().join() === key;
    };
    if (!sources.every((s) => agrees(wants(s)))) return undefined;
    if (first.length > 0) adds.push({ target: 'set', name, elements: first });
  }
  // Which policies select the endpoint depends on policies and namespaces only: the old model's
  // prepared indexes answer that without re-preparing 10,000 endpoints.
  // (The compiled model, not the latest: its prepared indexes stay warm from one pod to the next.)
  const egress = c.existingEndpointChain(c.compiledModel, endpoint, 'Egress');
  const ingress = c.existingEndpointChain(c.compiledModel, endpoint, 'Ingress');
  if (!egress || !ingress) return undefined;
  const wep = endpoint.kind === 'WorkloadEndpoint';
  if (wep) {
    for (const family of [4, 6] as const)
      if (ips[family].length > 0)
        adds.push({
          target: 'set',
          name: family === 4 ? 'wep_src4' : 'wep_src6',
          elements: ips[family].map((ip) => `"${iface}" . ${ip}`),
        });
  }
  // Dispatch last: the endpoint's traffic reaches policy only once its sets are complete.
  adds.push({ target: 'map', name: wep ? 'wep_egress' : 'hep_egress', elements: [`"${iface}" : jump ${egress}`] });
  adds.push({ target: 'map', name: wep ? 'wep_ingress' : 'hep_ingress', elements: [`"${iface}" : jump ${ingress}`] });

  const setAdds = new Map(adds.filter((a) => a.target === 'set').map((a) => [a.name, a.elements]));
  const ruleset: NftRuleset = {
    ...previous,
    sets: previous.sets.map((s) =>
      setAdds.has(s.name) ? { ...s, elements: s.elements.concat(setAdds.get(s.name)!) } : s,
    ),
    maps: previous.maps.map((m) => {
      if (m.name === (wep ? 'wep_egress' : 'hep_egress')) return { ...m, entries: grow(m.entries, iface, egress) };
      if (m.name === (wep ? 'wep_ingress' : 'hep_ingress')) return { ...m, entries: grow(m.entries, iface, ingress) };
      return m;
    }),
  };
  c.model = model;
  return { adds, ruleset, model };
}

/**
 * The previous ruleset is consumed (its bookkeeping moves to the new one): the dispatch maps
 * compileRuleset built grow in place rather than being copied, 10,000 entries for every new pod.
 */
function grow(entries: ReadonlyMap<string, string>, key: string, value: string): ReadonlyMap<string, string> {
  return entries instanceof Map ? entries.set(key, value) : new Map(entries).set(key, value);
}

/** One `nft -f` batch (a single transaction) for the additions. */
export function renderElementAdds(table: string, adds: readonly ElementAdd[]): string {
  return `${adds.map((a) => `add element inet ${table} ${a.name} { ${a.elements.join(', ')} }`).join('\n')}\n`;
}
