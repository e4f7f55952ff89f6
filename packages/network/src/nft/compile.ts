// Compiles a PolicyModel and its endpoints into one nftables table (as IR): dispatch by interface
// verdict maps, one chain per policy and direction, per-endpoint tier chains, deduplicated sets.

import { egressGatewayChains } from '../egress/compile.js';
import {
  endpointLabels,
  entityIsScoped,
  entityMatcher,
  type Holder,
  namespaceLabels,
  policiesFor,
  stagedView,
} from '../evaluate/evaluate.js';
import { type Cidr, formatCidr, isSingleAddress, parseCidr } from '../model/cidr.js';
import type { Direction, Endpoint, EntityRule, Policy, PolicyModel, Rule, Tier } from '../model/types.js';
import { compileSelector } from '../selector/selector.js';
import {
  type DomainSet,
  type Family,
  MARK_ALLOW,
  MARK_PASS,
  MARK_STAGED_DENY,
  type Match,
  type NftChain,
  type NftMap,
  type NftRule,
  type NftRuleset,
  type NftSet,
  type NftVerdict,
  type Statement,
} from './ir.js';

/**
 * `enforce` drops what policy denies. `audit` logs every would-be deny to NFLOG with the prefix
 * `A <rule id>` and accepts, so a new policy set can run against live traffic before it bites.
 */
export type EnforcementMode = 'enforce' | 'audit';

export const ENFORCEMENT_MODES: readonly EnforcementMode[] = ['enforce', 'audit'];

export interface CompileOptions {
  /** Default `enforce`. Staged policies are always log-only shadows (`S <rule id>`), in either mode. */
  readonly mode?: EnforcementMode;
  /** TCP ports to the host that no policy can close (SSH and the agent's port). */
  readonly failsafeTcpPorts?: readonly number[];
  /** NFLOG group for denies and Log rules. */
  readonly logGroup?: number;
  readonly table?: string;
}

export const DEFAULT_FAILSAFE_TCP_PORTS: readonly number[] = [22, 9443];

/** Named sets of the table, deduplicated by content (the egress gateway adds to it too). */
export class SetRegistry {
  readonly sets: NftSet[] = [];
  private readonly byKey = new Map<string, string>();

  /** Returns the name of a set with exactly these elements, creating it once. */
  addr(family: Family, cidrs: readonly Cidr[]): string {
    const elements = [...new Set(cidrs.map(formatCidr))].sort();
    return this.intern(
      'addr',
      family,
      elements,
      cidrs.some((c) => !isSingleAddress(c)),
    );
  }

  /** The same for canonical address texts already split by family (endpoint and network set owners). */
  addrTexts(family: Family, texts: readonly string[], interval: boolean): string {
    return this.intern('addr', family, [...new Set(texts)].sort(), interval);
  }

  /** Named sets that the compiler fills itself (not deduplicated by content). */
  fixed(name: string, type: NftSet['type'], family: Family, elements: string[]): string {
    this.sets.push({ name, type, family, interval: false, elements });
    return name;
  }

  readonly domainSets: DomainSet[] = [];
  private readonly byDomains = new Map<string, string>();

  /** An empty `flags timeout` set for these domain patterns, shared by every rule naming the same list. */
  domain(family: Family, patterns: readonly string[]): string {
    const domains = [...new Set(patterns.map((d) => d.toLowerCase()))].sort();
    const key = `${family}|${domains.join(',')}`;
    let name = this.byDomains.get(key);
    if (!name) {
      name = `dns${family}_${this.domainSets.length}`;
      this.byDomains.set(key, name);
      this.domainSets.push({ name, family, domains });
      this.sets.push({ name, type: 'addr', family, interval: false, elements: [], timeout: true });
    }
    return name;
  }

  private readonly byArray = new WeakMap<readonly string[], string>();

  addrPort(family: Family, pairs: readonly string[]): string {
    // Named-port pair lists are cached by the compiler, so the same array comes back: skip the sort.
    let name = this.byArray.get(pairs);
    if (!name) {
      name = this.intern('addrPort', family, [...new Set(pairs)].sort(), false);
      this.byArray.set(pairs, name);
    }
    return name;
  }

  private intern(type: NftSet['type'], family: Family, elements: string[], interval: boolean): string {
    const key = `${type}|${family}|${elements.join(',')}`;
    let name = this.byKey.get(key);
    if (!name) {
      name = `${type === 'addr' ? 'a' : 'np'}${family}_${this.sets.length}`;
      this.byKey.set(key, name);
      this.sets.push({ name, type, family, interval, elements });
    }
    return name;
  }
}

function policyLabel(policy: Policy): string {
  return `${policy.kind}/${policy.namespace ? `${policy.namespace}/` : ''}${policy.name}`;
}

function splitFamilies(cidrs: readonly Cidr[]): Record<Family, Cidr[]> {
  return { 4: cidrs.filter((c) => c.version === 4), 6: cidrs.filter((c) => c.version === 6) };
}

/** Addresses as nftables wants them, by family, and whether any of them is a real CIDR. */
interface Addresses {
  readonly 4: string[];
  readonly 6: string[];
  interval4: boolean;
  interval6: boolean;
}

const noAddresses = (): Addresses => ({ 4: [], 6: [], interval4: false, interval6: false });

function addAddress(to: Addresses, c: Cidr): void {
  to[c.version].push(formatCidr(c));
  if (!isSingleAddress(c)) {
    if (c.version === 4) to.interval4 = true;
    else to.interval6 = true;
  }
}

function mergeAddresses(into: Addresses, from: Addresses): void {
  for (const t of from[4]) into[4].push(t);
  for (const t of from[6]) into[6].push(t);
  into.interval4 ||= from.interval4;
  into.interval6 ||= from.interval6;
}

interface Owner {
  holder: Holder;
  addresses: Addresses;
  /** A network set's `allowedEgressDomains`: a destination selecting the set also reaches these names. */
  domains?: readonly string[];
}

const signatures = new WeakMap<Endpoint, string>();

/**
 * Everything a selector can look at in an endpoint: two endpoints with the same signature are
 * selected by exactly the same policies and rule sides (pods of one deployment share it).
 */
export function endpointSignature(e: Endpoint): string {
  let signature = signatures.get(e);
  if (signature === undefined) {
    // Label order as written: pods of one template write them alike (a different order only
    // costs a separate group, never a wrong match).
    signature = `${e.kind}|${e.namespace ?? ''}|${e.serviceAccount ?? ''}|${JSON.stringify(e.labels)}`;
    signatures.set(e, signature);
  }
  return signature;
}

/**
 * Address owners grouped by signature: selectors are then matched once per group, not once per
 * endpoint (10,000 pods of a few hundred deployments are a few hundred matches per rule side).
 */
function modelHolders(model: PolicyModel): Owner[] {
  const seen = new Set<string>();
  const groups = new Map<string, Owner>();
  for (const e of model.endpoints) {
    const signature = endpointSignature(e);
    let group = groups.get(signature);
    if (!group) {
      group = {
        holder: {
          kind: e.kind,
          labels: endpointLabels(e),
          ...(e.namespace ? { namespace: e.namespace } : {}),
          endpoint: e,
        },
        addresses: noAddresses(),
      };
      groups.set(signature, group);
    }
    // The evaluator gives an address to its first endpoint; so do we.
    for (const ip of e.ips) {
      if (seen.has(ip)) continue;
      seen.add(ip);
      // Endpoint addresses are validated bare addresses: an IPv4 one is already canonical text.
      if (ip.includes(':')) addAddress(group.addresses, parseCidr(ip)!);
      else group.addresses[4].push(ip);
    }
  }
  const out = [...groups.values()];
  for (const s of model.networkSets) {
    const addresses = noAddresses();
    for (const n of s.nets) addAddress(addresses, parseCidr(n)!);
    out.push({
      holder: { kind: s.kind, labels: s.labels, ...(s.namespace ? { namespace: s.namespace } : {}) },
      addresses,
      ...(s.allowedEgressDomains?.length ? { domains: s.allowedEgressDomains } : {}),
    });
  }
  return out;
}

type Alternative = Match[];

/** Why a set holds what it holds, so one endpoint can later be added without a recompile. */
export type SetSource =
  | { readonly kind: 'scoped'; readonly policy: Policy; readonly er: EntityRule; readonly family: Family }
  | { readonly kind: 'not'; readonly selector: string; readonly family: Family }
  | {
      readonly kind: 'named';
      readonly names: readonly string[];
      readonly protocol: number | undefined;
      readonly family: Family;
    };

export class Compiler {
  readonly sets = new SetRegistry();
  /** Set name → the rule sides it serves; and sides left out of the table because they were empty. */
  readonly provenance = new Map<string, SetSource[]>();
  readonly emptySources: Record<Family, SetSource[]> = { 4: [], 6: [] };
  readonly chains: NftChain[] = [];
  readonly ruleIds = new Map<number, { policy: string; direction: Direction; rule: number; action: string }>();
  private nextId = 1;
  private readonly holders;
  private readonly holdersByNamespace = new Map<string, Owner[]>();
  private readonly endpointChains = new Map<string, string>();
  private readonly globalHolders: Owner[] = [];
  private readonly policyChains = new Map<string, string>();
  private readonly tierChains = new Map<string, string>();
  private readonly logGroup: number;
  readonly mode: EnforcementMode;
  /** The model as compiled; `model` moves on with incremental adds, this one never changes. */
  readonly compiledModel: PolicyModel;
  /** The model as it would be with the staged policies applied; undefined when there are none. */
  private readonly stagedModel: PolicyModel | undefined;
  private readonly enforcedPolicies: ReadonlySet<Policy>;
  private readonly shadowPolicyChains = new Map<Policy, Map<Direction, string>>();
  private readonly shadowTierChains = new Map<string, string>();
  private readonly shadowEndpointChains = new Map<string, string>();
  private shadowing = false;

  private record(set: string, source: SetSource): string {
    const list = this.provenance.get(set) ?? [];
    list.push(source);
    this.provenance.set(set, list);
    return set;
  }

  constructor(
    public model: PolicyModel,
    options: CompileOptions,
  ) {
    this.holders = modelHolders(model);
    for (const h of this.holders) {
      const ns = h.holder.namespace;
      if (ns === undefined) {
        this.globalHolders.push(h);
        continue;
      }
      const list = this.holdersByNamespace.get(ns) ?? [];
      list.push(h);
      this.holdersByNamespace.set(ns, list);
    }
    this.logGroup = options.logGroup ?? 1;
    this.mode = options.mode ?? 'enforce';
    this.compiledModel = model;
    this.enforcedPolicies = new Set(model.policies.filter((p) => !p.staged));
    this.stagedModel = model.policies.some((p) => p.staged)
      ? { ...model, policies: stagedView(model.policies) }
      : undefined;
  }

  private id(policy: string, direction: Direction, rule: number, action: string): number {
    const id = this.nextId++;
    this.ruleIds.set(id, { policy, direction, rule, action });
    return id;
  }

  private readonly scopedCache = new Map<EntityRule, Addresses>();
  private readonly scopedDomainCache = new Map<EntityRule, string[]>();

  /** Addresses of every endpoint and network set a rule side's selectors pick (computed once). */
  private scopedAddresses(policy: Policy, er: EntityRule): Addresses {
    const cached = this.scopedCache.get(er);
    if (cached) return cached;
    this.scopeOwners(policy, er);
    return this.scopedCache.get(er)!;
  }

  /** `allowedEgressDomains` of the network sets a rule side's selectors pick. */
  private scopedDomains(policy: Policy, er: EntityRule): string[] {
    if (!this.scopedDomainCache.has(er)) this.scopeOwners(policy, er);
    return this.scopedDomainCache.get(er)!;
  }

  private scopeOwners(policy: Policy, er: EntityRule): void {
    // Look only at owners in namespaces that can match, not at every endpoint of the cluster.
    let candidates: Owner[];
    if (er.namespaceSelector !== undefined) {
      const nsSel = compileSelector(er.namespaceSelector);
      candidates = [];
      for (const [ns, list] of this.holdersByNamespace)
        if (nsSel(namespaceLabels(this.model, ns))) candidates = candidates.concat(list);
      if (nsSel({}, true)) candidates = candidates.concat(this.globalHolders);
    } else if (policy.namespace !== undefined) {
      candidates = this.holdersByNamespace.get(policy.namespace) ?? [];
    } else candidates = this.holders;
    const match = entityMatcher(this.model, policy, er);
    const owners = candidates.filter((h) => match(h.holder));
    const addresses = noAddresses();
    for (const h of owners) mergeAddresses(addresses, h.addresses);
    this.scopedCache.set(er, addresses);
    this.scopedDomainCache.set(
      er,
      owners.flatMap((h) => h.domains ?? []),
    );
  }

  /** Address alternatives for one side: each family is a separate alternative (OR). */
  private sideMatches(
    policy: Policy,
    er: EntityRule,
    side: 'saddr' | 'daddr',
    family: Family,
  ): Alternative[] | undefined {
    const ms: Match[] = [];
    if (er.nets) {
      const fam = splitFamilies(er.nets.map((n) => parseCidr(n)!))[family];
      if (fam.length === 0) return undefined;
      ms.push({ m: 'addr', side, family, set: this.sets.addr(family, fam), negate: false });
    }
    if (er.notNets) {
      const fam = splitFamilies(er.notNets.map((n) => parseCidr(n)!))[family];
      if (fam.length > 0) ms.push({ m: 'addr', side, family, set: this.sets.addr(family, fam), negate: true });
    }
    if (er.domains) {
      // The DNS proxy fills this set with the answers' addresses (TTL as timeout); empty until then.
      if (side === 'saddr') return undefined; // Calico matches domains on the destination only
      ms.push({ m: 'addr', side, family, set: this.sets.domain(family, er.domains), negate: false });
    }
    // Each alternative is one way the address may match: the selected owners' addresses, or the
    // addresses the DNS proxy found for the allowedEgressDomains of selected network sets.
    let addrAlts: Match[][] = [ms];
    if (entityIsScoped(policy, er)) {
      const addresses = this.scopedAddresses(policy, er);
      const fam = addresses[family];
      const interval = family === 4 ? addresses.interval4 : addresses.interval6;
      const source: SetSource = { kind: 'scoped', policy, er, family };
      const domains = side === 'daddr' ? this.scopedDomains(policy, er) : [];
      addrAlts = [];
      if (fam.length > 0)
        addrAlts.push([
          ...ms,
          {
            m: 'addr',
            side,
            family,
            set: this.record(this.sets.addrTexts(family, fam, interval), source),
            negate: false,
          },
        ]);
      else this.emptySources[source.family].push(source);
      if (domains.length > 0)
        addrAlts.push([...ms, { m: 'addr', side, family, set: this.sets.domain(family, domains), negate: false }]);
      if (addrAlts.length === 0) return undefined; // selects nothing of this family: the rule cannot match
    }
    const notMatches: Match[] = [];
    if (er.notSelector !== undefined) {
      // notSelector looks at every owner of the address, in any namespace.
      const notSelector = compileSelector(er.notSelector);
      const addresses = noAddresses();
      for (const h of this.holders)
        if (notSelector(h.holder.labels, h.holder.namespace === undefined)) mergeAddresses(addresses, h.addresses);
      const fam = addresses[family];
      const interval = family === 4 ? addresses.interval4 : addresses.interval6;
      const source: SetSource = { kind: 'not', selector: er.notSelector, family };
      if (fam.length > 0)
        notMatches.push({
          m: 'addr',
          side,
          family,
          set: this.record(this.sets.addrTexts(family, fam, interval), source),
          negate: true,
        });
      else this.emptySources[source.family].push(source);
    }
    const port = side === 'saddr' ? 'sport' : 'dport';
    const negated: Match[] = [];
    if (er.notPorts) {
      const ranges = er.notPorts.flatMap((p) => ('name' in p ? [] : [[p.from, p.to] as const]));
      if (ranges.length > 0) negated.push({ m: 'port', side: port, ranges, negate: true });
      const named = this.namedPortPairs(er.notPorts, family);
      const source = this.namedSource(er.notPorts, family);
      if (named.length > 0)
        negated.push({
          m: 'addrPort',
          side,
          family,
          set: this.record(this.sets.addrPort(family, named), source!),
          negate: true,
        });
      else if (source) this.emptySources[source.family].push(source);
    }
    if (!er.ports) return addrAlts.map((ms) => [...ms, ...notMatches, ...negated]);
    // Numeric ports and named ports are two ways to match: two alternatives.
    const alts: Alternative[] = [];
    const ranges = er.ports.flatMap((p) => ('name' in p ? [] : [[p.from, p.to] as const]));
    for (const ms of addrAlts)
      if (ranges.length > 0)
        alts.push([...ms, ...notMatches, ...negated, { m: 'port', side: port, ranges, negate: false }]);
    const named = this.namedPortPairs(er.ports, family);
    const source = this.namedSource(er.ports, family);
    if (named.length > 0) {
      const set = this.record(this.sets.addrPort(family, named), source!);
      for (const ms of addrAlts)
        alts.push([...ms, ...notMatches, ...negated, { m: 'addrPort', side, family, set, negate: false }]);
    } else if (source) this.emptySources[source.family].push(source);
    return alts.length > 0 ? alts : undefined;
  }

  private currentProtocol: number | undefined;

  private namedSource(ports: EntityRule['ports'] & object, family: Family): SetSource | undefined {
    const names = ports.flatMap((p) => ('name' in p ? [p.name] : []));
    return names.length > 0 ? { kind: 'named', names, protocol: this.currentProtocol, family } : undefined;
  }

  private readonly namedPortCache = new Map<string, string[]>();

  /** Named ports become `address . port` pairs of every endpoint that declares the name. */
  private namedPortPairs(ports: EntityRule['ports'] & object, family: Family): string[] {
    const names = new Set(ports.flatMap((p) => ('name' in p ? [p.name] : [])));
    if (names.size === 0) return [];
    const key = `${[...names].sort().join(',')}|${this.currentProtocol}|${family}`;
    const cached = this.namedPortCache.get(key);
    if (cached) return cached;
    const out: string[] = [];
    for (const e of this.model.endpoints) {
      for (const np of e.ports) {
        if (!names.has(np.name) || np.protocol !== this.currentProtocol) continue;
        // Endpoint addresses are validated: a colon means IPv6.
        for (const ip of e.ips) if ((ip.includes(':') ? 6 : 4) === family) out.push(`${ip} . ${np.port}`);
      }
    }
    this.namedPortCache.set(key, out);
    return out;
  }

  private ruleToNft(policy: Policy, label: string, dir: Direction, rule: Rule, index: number): NftRule[] {
    this.currentProtocol = rule.protocol;
    const base: Match[] = [];
    if (rule.protocol !== undefined) base.push({ m: 'l4proto', proto: rule.protocol, negate: false });
    if (rule.notProtocol !== undefined) base.push({ m: 'l4proto', proto: rule.notProtocol, negate: true });
    const families: Family[] = rule.ipVersion
      ? [rule.ipVersion]
      : rule.protocol === 1
        ? [4]
        : rule.protocol === 58
          ? [6]
          : [4, 6];
    // A staged shadow only logs: its Log rules would duplicate the enforced ones' lines.
    if (this.shadowing && rule.action === 'Log') return [];
    const statements = (): { statements: Statement[]; verdict?: NftRule['verdict'] } => {
      const id = this.id(label, dir, index, rule.action);
      switch (rule.action) {
        case 'Allow':
          if (this.shadowing) return { statements: [{ s: 'setMarkBit', bit: MARK_ALLOW }], verdict: { v: 'return' } };
          return {
            statements: [
              { s: 'ctMark', value: id },
              { s: 'setMarkBit', bit: MARK_ALLOW },
            ],
            verdict: { v: 'return' },
          };
        case 'Deny':
          return this.denyAction(id);
        case 'Log':
          return { statements: [{ s: 'log', group: this.logGroup, prefix: `L ${id} ` }] };
        case 'Pass':
          return { statements: [{ s: 'setMarkBit', bit: MARK_PASS }], verdict: { v: 'return' } };
      }
    };
    const action = statements();
    const out: NftRule[] = [];
    for (const family of families) {
      const icmpAlts: Alternative[] = [[]];
      if (rule.icmp) {
        const first = icmpAlts[0]!;
        if (rule.icmp.type !== undefined)
          first.push({ m: 'icmp', family, field: 'type', value: rule.icmp.type, negate: false });
        if (rule.icmp.code !== undefined)
          first.push({ m: 'icmp', family, field: 'code', value: rule.icmp.code, negate: false });
      }
      let alts = icmpAlts;
      if (rule.notICMP) {
        // not (type and code) = (type differs) or (code differs): two alternatives.
        const neg: Alternative[] = [];
        if (rule.notICMP.type !== undefined)
          neg.push([{ m: 'icmp', family, field: 'type', value: rule.notICMP.type, negate: true }]);
        if (rule.notICMP.code !== undefined)
          neg.push([{ m: 'icmp', family, field: 'code', value: rule.notICMP.code, negate: true }]);
        alts = alts.flatMap((a) => (neg.length > 0 ? neg.map((n) => [...a, ...n]) : [a]));
      }
      const src = this.sideMatches(policy, rule.source, 'saddr', family);
      const dst = this.sideMatches(policy, rule.destination, 'daddr', family);
      if (!src || !dst) continue;
      const needsFamily = rule.ipVersion !== undefined || families.length === 1;
      for (const a of alts)
        for (const s of src)
          for (const d of dst) {
            const matches = [...(needsFamily ? [{ m: 'nfproto', family } as Match] : []), ...base, ...a, ...s, ...d];
            // An address match already implies the family; without one, a v4+v6 rule needs one copy only.
            if (family === 6 && !needsFamily && !matches.some((m) => 'family' in m)) continue;
            out.push({ matches, ...action, comment: `${label} ${dir.toLowerCase()} rule ${index} ${rule.action}` });
          }
    }
    return out;
  }

  /**
   * What a deny does: enforce logs `D id` and drops; audit logs `A id` and accepts (the ct mark
   * still names the rule); inside a staged shadow it logs `S id` and only ends the shadow.
   */
  private denyAction(id: number): { statements: Statement[]; verdict: NftVerdict } {
    if (this.shadowing)
      return {
        statements: [
          { s: 'log', group: this.logGroup, prefix: `S ${id} ` },
          { s: 'setMarkBit', bit: MARK_STAGED_DENY },
        ],
        verdict: { v: 'return' },
      };
    const audit = this.mode === 'audit';
    return {
      statements: [
        { s: 'ctMark', value: id },
        { s: 'log', group: this.logGroup, prefix: `${audit ? 'A' : 'D'} ${id} ` },
      ],
      verdict: { v: audit ? 'accept' : 'drop' },
    };
  }

  policyChain(policy: Policy, dir: Direction): string {
    const label = policyLabel(policy);
    const key = `${label}|${dir}`;
    let name = this.policyChains.get(key);
    if (name) return name;
    name = `pol-${dir === 'Ingress' ? 'in' : 'out'}-${this.policyChains.size}`;
    this.policyChains.set(key, name);
    const rules = (dir === 'Ingress' ? policy.ingress : policy.egress).flatMap((r, i) =>
      this.ruleToNft(policy, label, dir, r, i),
    );
    this.chains.push({ name, rules });
    return name;
  }

  /** One chain per distinct (tier, applicable policies): endpoints with the same set share it. */
  tierChain(tier: Tier, policies: Policy[], dir: Direction): string {
    const chainsOfPolicies = policies.map((p) => this.policyChain(p, dir));
    const key = `${tier.name}|${dir}|${chainsOfPolicies.join(',')}`;
    let name = this.tierChains.get(key);
    if (name) return name;
    name = `tier-${this.tierChains.size}`;
    this.tierChains.set(key, name);
    const rules: NftRule[] = [];
    for (const c of chainsOfPolicies) {
      rules.push({ matches: [], statements: [], verdict: { v: 'jump', chain: c } });
      rules.push({ matches: [{ m: 'markBit', bit: MARK_ALLOW }], statements: [], verdict: { v: 'return' } });
      rules.push({ matches: [{ m: 'markBit', bit: MARK_PASS }], statements: [], verdict: { v: 'return' } });
    }
    if (tier.defaultAction === 'Pass') {
      rules.push({
        matches: [],
        statements: [{ s: 'setMarkBit', bit: MARK_PASS }],
        verdict: { v: 'return' },
        comment: `tier ${tier.name} default Pass`,
      });
    } else {
      const id = this.id(`tier/${tier.name}`, dir, -1, 'Deny');
      rules.push({ matches: [], ...this.denyAction(id), comment: `tier ${tier.name} end-of-tier deny` });
    }
    this.chains.push({ name, rules });
    return name;
  }

  /** A staged policy's log-only copy: Allow/Pass end it, Deny logs `S id` and ends it. */
  private shadowPolicyChain(policy: Policy, dir: Direction): string {
    let perDir = this.shadowPolicyChains.get(policy);
    if (!perDir) {
      perDir = new Map();
      this.shadowPolicyChains.set(policy, perDir);
    }
    let name = perDir.get(dir);
    if (name) return name;
    name = `stg-pol-${dir === 'Ingress' ? 'in' : 'out'}-${this.shadowChainCount++}`;
    perDir.set(dir, name);
    // Policies that came from Staged* documents are named so in flow logs; the rest stay as they are.
    const label = this.enforcedPolicies.has(policy) ? policyLabel(policy) : `Staged${policyLabel(policy)}`;
    const rules = (dir === 'Ingress' ? policy.ingress : policy.egress).flatMap((r, i) =>
      this.ruleToNft(policy, label, dir, r, i),
    );
    this.chains.push({ name, rules });
    return name;
  }

  private shadowChainCount = 0;

  private shadowTierChain(tier: Tier, policies: Policy[], dir: Direction): string {
    const chainsOfPolicies = policies.map((p) => this.shadowPolicyChain(p, dir));
    const key = `${tier.name}|${dir}|${chainsOfPolicies.join(',')}`;
    let name = this.shadowTierChains.get(key);
    if (name) return name;
    name = `stg-tier-${this.shadowChainCount++}`;
    this.shadowTierChains.set(key, name);
    const rules: NftRule[] = [];
    for (const c of chainsOfPolicies) {
      rules.push({ matches: [], statements: [], verdict: { v: 'jump', chain: c } });
      for (const bit of [MARK_ALLOW, MARK_PASS, MARK_STAGED_DENY])
        rules.push({ matches: [{ m: 'markBit', bit }], statements: [], verdict: { v: 'return' } });
    }
    if (tier.defaultAction === 'Pass')
      rules.push({ matches: [], statements: [{ s: 'setMarkBit', bit: MARK_PASS }], verdict: { v: 'return' } });
    else {
      const id = this.id(`tier/${tier.name}`, dir, -1, 'Deny');
      rules.push({ matches: [], ...this.denyAction(id), comment: `staged: tier ${tier.name} end-of-tier deny` });
    }
    this.chains.push({ name, rules });
    return name;
  }

  /**
   * The staged view of an endpoint as a log-only chain, or undefined when staged policies do not
   * change which policies select it (then the staged verdict is the enforced one).
   */
  private shadowEndpointChain(e: Endpoint, dir: Direction): string | undefined {
    if (!this.stagedModel) return undefined;
    const enforced = policiesFor(this.model, e, dir);
    const staged = policiesFor(this.stagedModel, e, dir);
    const same =
      enforced.length === staged.length &&
      enforced.every(
        (t, i) =>
          t.tier.name === staged[i]!.tier.name &&
          t.policies.length === staged[i]!.policies.length &&
          t.policies.every((p, j) => p === staged[i]!.policies[j]),
      );
    if (same) return undefined;
    this.shadowing = true;
    try {
      const tiers = staged.map(({ tier, policies }) => this.shadowTierChain(tier, policies, dir));
      const allow = e.kind === 'WorkloadEndpoint' || e.profiles.includes('projectcalico-default-allow');
      const key = `${dir}|${allow}|${tiers.join(',')}`;
      let name = this.shadowEndpointChains.get(key);
      if (name) return name;
      name = `stg-ep-${this.shadowChainCount++}`;
      this.shadowEndpointChains.set(key, name);
      // The other endpoint's shadow may have left its bits: start clean.
      const rules: NftRule[] = [
        { matches: [], statements: [{ s: 'clearMarkBits', mask: MARK_ALLOW | MARK_PASS | MARK_STAGED_DENY }] },
      ];
      for (const chain of tiers) {
        rules.push({ matches: [], statements: [], verdict: { v: 'jump', chain } });
        rules.push({ matches: [{ m: 'markBit', bit: MARK_ALLOW }], statements: [], verdict: { v: 'return' } });
        rules.push({
          matches: [{ m: 'markBit', bit: MARK_STAGED_DENY }],
          statements: [],
          verdict: { v: 'return' },
        });
        rules.push({ matches: [], statements: [{ s: 'clearMarkBits', mask: MARK_PASS }] });
      }
      if (!allow) {
        const id = this.id(`profile/${e.kind}`, dir, -1, 'Deny');
        rules.push({ matches: [], ...this.denyAction(id), comment: 'staged: host endpoint default deny' });
      }
      this.chains.push({ name, rules });
      return name;
    } finally {
      this.shadowing = false;
    }
  }

  /** Whether staged policies compiled into shadows (incremental adds do not handle those). */
  get hasShadows(): boolean {
    return this.stagedModel !== undefined;
  }

  /**
   * Endpoints with the same tiers of policies share one chain per direction; anti-spoofing is one
   * `interface . address` set lookup, so the chain itself does not depend on the endpoint.
   */
  /** The chain an endpoint would use, if the table already has it (for incremental adds). */
  existingEndpointChain(model: PolicyModel, e: Endpoint, dir: Direction): string | undefined {
    const tiers: string[] = [];
    for (const { tier, policies } of policiesFor(model, e, dir)) {
      const chains = policies.map((p) => this.policyChains.get(`${policyLabel(p)}|${dir}`));
      if (chains.some((c) => c === undefined)) return undefined;
      const name = this.tierChains.get(`${tier.name}|${dir}|${chains.join(',')}`);
      if (!name) return undefined;
      tiers.push(name);
    }
    return this.endpointChains.get(this.endpointKey(e, dir, tiers, undefined));
  }

  private endpointKey(e: Endpoint, dir: Direction, tiers: readonly string[], shadow: string | undefined): string {
    const allow = e.kind === 'WorkloadEndpoint' || e.profiles.includes('projectcalico-default-allow');
    const antiSpoof = dir === 'Egress' && e.kind === 'WorkloadEndpoint';
    return `${dir}|${antiSpoof}|${allow}|${tiers.join(',')}|${shadow ?? ''}`;
  }

  private readonly chainBySignature = new Map<string, string>();

  /** Endpoints of one signature and profile share their chains: select policies once for them. */
  endpointChain(e: Endpoint, dir: Direction): string {
    const allowProfile = e.profiles.includes('projectcalico-default-allow');
    const memo = `${dir}|${allowProfile}|${endpointSignature(e)}`;
    let name = this.chainBySignature.get(memo);
    if (!name) {
      name = this.buildEndpointChain(e, dir);
      this.chainBySignature.set(memo, name);
    }
    return name;
  }

  private buildEndpointChain(e: Endpoint, dir: Direction): string {
    const tiers = policiesFor(this.model, e, dir).map(({ tier, policies }) => this.tierChain(tier, policies, dir));
    const allow = e.kind === 'WorkloadEndpoint' || e.profiles.includes('projectcalico-default-allow');
    const antiSpoof = dir === 'Egress' && e.kind === 'WorkloadEndpoint';
    const shadow = this.shadowEndpointChain(e, dir);
    const key = this.endpointKey(e, dir, tiers, shadow);
    let name = this.endpointChains.get(key);
    if (name) return name;
    name = `ep-${dir === 'Ingress' ? 'in' : 'out'}-${this.endpointChains.size}`;
    this.endpointChains.set(key, name);
    const rules: NftRule[] = [];
    if (antiSpoof) {
      // IPv6 neighbour and router discovery use link-local sources; let them through as Calico does.
      for (const type of [133, 135, 136])
        rules.push({
          matches: [
            { m: 'l4proto', proto: 58, negate: false },
            { m: 'icmp', family: 6, field: 'type', value: type, negate: false },
          ],
          statements: [],
          verdict: { v: 'return' },
        });
      for (const family of [4, 6] as const)
        rules.push({
          matches: [{ m: 'ifaceAddr', family, set: family === 4 ? 'wep_src4' : 'wep_src6', negate: true }],
          statements: [],
          verdict: { v: 'drop' },
          comment: 'anti-spoofing',
        });
    }
    // The staged shadow runs first: it logs what staged policies would deny, whatever enforcement does.
    if (shadow) rules.push({ matches: [], statements: [], verdict: { v: 'jump', chain: shadow } });
    rules.push({ matches: [], statements: [{ s: 'clearMarkBits', mask: MARK_ALLOW | MARK_PASS }] });
    for (const chain of tiers) {
      rules.push({ matches: [], statements: [], verdict: { v: 'jump', chain } });
      rules.push({ matches: [{ m: 'markBit', bit: MARK_ALLOW }], statements: [], verdict: { v: 'return' } });
      rules.push({ matches: [], statements: [{ s: 'clearMarkBits', mask: MARK_PASS }] });
    }
    if (allow) rules.push({ matches: [], statements: [], verdict: { v: 'return' }, comment: 'profile allow' });
    else {
      const id = this.id(`profile/${e.kind}`, dir, -1, 'Deny');
      rules.push({ matches: [], ...this.denyAction(id), comment: 'host endpoint default deny' });
    }
    this.chains.push({ name, rules });
    return name;
  }
}

/** Builds the whole table; pure, so the same input always gives the same text. */
export function compileRuleset(model: PolicyModel, options: CompileOptions = {}): NftRuleset {
  const c = new Compiler(model, options);
  const maps = {
    wepEgress: new Map<string, string>(),
    wepIngress: new Map<string, string>(),
    hepEgress: new Map<string, string>(),
    hepIngress: new Map<string, string>(),
  };
  const src: Record<Family, string[]> = { 4: [], 6: [] };
  for (const e of model.endpoints) {
    if (!e.interfaceName) continue; // not on this host
    const wep = e.kind === 'WorkloadEndpoint';
    (wep ? maps.wepEgress : maps.hepEgress).set(e.interfaceName, c.endpointChain(e, 'Egress'));
    (wep ? maps.wepIngress : maps.hepIngress).set(e.interfaceName, c.endpointChain(e, 'Ingress'));
    if (wep) for (const ip of e.ips) src[parseCidr(ip)!.version].push(`"${e.interfaceName}" . ${ip}`);
  }
  c.sets.fixed('wep_src4', 'ifaceAddr', 4, src[4]);
  c.sets.fixed('wep_src6', 'ifaceAddr', 6, src[6]);
  const established: NftRule = {
    matches: [{ m: 'ctState', states: ['established', 'related'] }],
    statements: [],
    verdict: { v: 'accept' },
  };
  const invalid: NftRule = { matches: [{ m: 'ctState', states: ['invalid'] }], statements: [], verdict: { v: 'drop' } };
  // A forwarded TCP connection whose conntrack entry is gone (cut by cutForbiddenConnections) must
  // not come back as a "new" flow picked up mid-stream, possibly in the reverse, allowed direction.
  const midStream: NftRule = {
    matches: [{ m: 'ctState', states: ['new'] }, { m: 'tcpNotSyn' }],
    statements: [],
    verdict: { v: 'drop' },
    comment: 'new TCP without SYN',
  };
  const vmap = (key: 'iifname' | 'oifname', map: string): NftRule => ({
    matches: [],
    statements: [],
    verdict: { v: 'vmap', key, map },
  });
  const failsafe: NftRule[] = [
    {
      matches: [
        { m: 'l4proto', proto: 6, negate: false },
        {
          m: 'port',
          side: 'dport',
          ranges: (options.failsafeTcpPorts ?? DEFAULT_FAILSAFE_TCP_PORTS).map((p) => [p, p] as const),
          negate: false,
        },
      ],
      statements: [],
      verdict: { v: 'accept' },
      comment: 'fail-safe ports',
    },
  ];
  const base: NftChain[] = [
    {
      name: 'forward',
      hook: { hook: 'forward', priority: 0, policy: 'accept' },
      rules: [established, invalid, midStream, vmap('iifname', 'wep_egress'), vmap('oifname', 'wep_ingress')],
    },
    {
      name: 'input',
      hook: { hook: 'input', priority: 0, policy: 'accept' },
      rules: [established, vmap('iifname', 'wep_egress'), ...failsafe, vmap('iifname', 'hep_ingress')],
    },
    {
      name: 'output',
      hook: { hook: 'output', priority: 0, policy: 'accept' },
      rules: [established, vmap('oifname', 'hep_egress'), vmap('oifname', 'wep_ingress')],
    },
  ];
  const nftMaps: NftMap[] = [
    { name: 'wep_egress', entries: maps.wepEgress },
    { name: 'wep_ingress', entries: maps.wepIngress },
    { name: 'hep_egress', entries: maps.hepEgress },
    { name: 'hep_ingress', entries: maps.hepIngress },
  ];
  return {
    compiler: c,
    table: options.table ?? 'palisade',
    sets: c.sets.sets,
    maps: nftMaps,
    chains: [...base, ...egressGatewayChains(model, c.sets), ...c.chains],
    ruleIds: c.ruleIds,
    domainSets: c.sets.domainSets,
  };
}
