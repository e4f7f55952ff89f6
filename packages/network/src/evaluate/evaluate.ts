// The one pure policy evaluator: given a flow and a model, Calico's verdict and a trace of which
// tier, policy and rule decided. Used by `netpol test`, staged verdicts and as the compiler's oracle.

import { type Cidr, cidrContains, parseCidr, parseIp } from '../model/cidr.js';
import type {
  Direction,
  Endpoint,
  EntityRule,
  IcmpMatch,
  NetworkSet,
  Policy,
  PolicyModel,
  PortMatch,
  Rule,
  Tier,
} from '../model/types.js';
import { compileSelector, type Labels } from '../selector/selector.js';

export interface Flow {
  readonly src: string;
  readonly dst: string;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP). */
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** Destination domain name, when known (from the DNS proxy), for `destination.domains`. */
  readonly domain?: string;
}

export type Verdict = 'allow' | 'deny';

export interface TraceStep {
  readonly direction: Direction;
  readonly endpoint: string;
  readonly tier?: string;
  readonly policy?: string;
  /** Index of the rule in the policy's ingress or egress list. */
  readonly rule?: number;
  readonly action:
    | 'allow'
    | 'deny'
    | 'pass'
    | 'log'
    | 'tier-default-deny'
    | 'tier-default-pass'
    | 'profile-allow'
    | 'profile-deny'
    | 'no-endpoint';
  readonly note: string;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly trace: readonly TraceStep[];
  /** The verdict with staged policies applied in place of enforced ones (not enforced). */
  readonly stagedVerdict: Verdict;
  readonly stagedTrace: readonly TraceStep[];
}

/** Anything an address can belong to and that selectors look at. */
export interface Holder {
  readonly kind: Endpoint['kind'] | NetworkSet['kind'];
  readonly labels: Labels;
  readonly namespace?: string;
  readonly endpoint?: Endpoint;
}

interface PreparedTier {
  readonly tier: Tier;
  readonly policies: readonly Policy[];
  /** Policies that can select an endpoint of this namespace (global ones plus its own), in order. */
  readonly candidates: (namespace: string | undefined) => readonly Policy[];
}

interface Prepared {
  readonly model: PolicyModel;
  readonly enforced: readonly PreparedTier[];
  readonly staged: readonly PreparedTier[];
  readonly endpointByIp: ReadonlyMap<string, Endpoint>;
  readonly sets: readonly { set: NetworkSet; cidrs: Cidr[] }[];
  readonly cidrCache: Map<string, Cidr>;
}

function byOrderThenName<T extends { order?: number; name: string }>(a: T, b: T): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY;
  const ob = b.order ?? Number.POSITIVE_INFINITY;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const policyKey = (p: Policy) => `${p.kind}/${p.namespace ?? ''}/${p.name}`;

function buildTiers(tiers: readonly Tier[], policies: readonly Policy[]): PreparedTier[] {
  return [...tiers].sort(byOrderThenName).map((tier) => {
    const inTier = policies.filter((p) => p.tier === tier.name).sort(byOrderThenName);
    const global = inTier.filter((p) => p.namespace === undefined);
    const byNamespace = new Map<string, Policy[]>();
    const candidates = (ns: string | undefined): readonly Policy[] => {
      if (ns === undefined) return global;
      let list = byNamespace.get(ns);
      if (!list) {
        list = inTier.filter((p) => p.namespace === undefined || p.namespace === ns);
        byNamespace.set(ns, list);
      }
      return list;
    };
    return { tier, policies: inTier, candidates };
  });
}

/** The policies in force when staged ones are applied: Set replaces or adds, Delete removes. */
export function stagedView(policies: readonly Policy[]): Policy[] {
  const byKey = new Map(policies.filter((p) => !p.staged).map((p) => [policyKey(p), p]));
  for (const s of policies.filter((p) => p.staged)) {
    if (s.stagedAction === 'Delete') byKey.delete(policyKey(s));
    else byKey.set(policyKey(s), { ...s, staged: false });
  }
  return [...byKey.values()];
}

const preparedCache = new WeakMap<PolicyModel, Prepared>();

export function prepareModel(model: PolicyModel): Prepared {
  let p = preparedCache.get(model);
  if (p) return p;
  const endpointByIp = new Map<string, Endpoint>();
  for (const e of model.endpoints) for (const ip of e.ips) if (!endpointByIp.has(ip)) endpointByIp.set(ip, e);
  p = {
    model,
    enforced: buildTiers(
      model.tiers,
      model.policies.filter((x) => !x.staged),
    ),
    staged: buildTiers(model.tiers, stagedView(model.policies)),
    endpointByIp,
    sets: model.networkSets.map((set) => ({ set, cidrs: set.nets.map((n) => parseCidr(n)!) })),
    cidrCache: new Map(),
  };
  preparedCache.set(model, p);
  return p;
}

const labelsCache = new WeakMap<Endpoint, Labels>();

/** Labels Calico adds itself, so selectors can name the namespace and service account. */
export function endpointLabels(e: Endpoint): Labels {
  const cached = labelsCache.get(e);
  if (cached) return cached;
  const extra: Record<string, string> = {};
  if (e.namespace) extra['projectcalico.org/namespace'] = e.namespace;
  if (e.serviceAccount) extra['projectcalico.org/serviceaccount'] = e.serviceAccount;
  if (e.kind === 'WorkloadEndpoint') extra['projectcalico.org/orchestrator'] = 'k8s';
  const labels = { ...e.labels, ...extra };
  labelsCache.set(e, labels);
  return labels;
}

const namespaceLabelCache = new WeakMap<PolicyModel, Map<string, Labels>>();

export function namespaceLabels(model: PolicyModel, ns: string): Labels {
  let perModel = namespaceLabelCache.get(model);
  if (!perModel) {
    perModel = new Map();
    namespaceLabelCache.set(model, perModel);
  }
  let labels = perModel.get(ns);
  if (!labels) {
    labels = { ...model.namespaces.get(ns), 'projectcalico.org/name': ns, 'kubernetes.io/metadata.name': ns };
    perModel.set(ns, labels);
  }
  return labels;
}

/** Whether a rule side restricts by labels (selector, namespaceSelector, service accounts). */
export function entityIsScoped(policy: Policy, er: EntityRule): boolean {
  // In a namespaced policy a lone notSelector still means "endpoints of this namespace" (Calico).
  return (
    er.selector !== undefined ||
    er.namespaceSelector !== undefined ||
    (er.notSelector !== undefined && policy.namespace !== undefined) ||
    er.serviceAccounts !== undefined
  );
}

const entityMatchers = new WeakMap<EntityRule, Map<Policy, (h: Holder) => boolean>>();

/**
 * The positive label match of a rule side, as a closure over compiled selectors with the
 * namespace verdicts memoised (a policy is matched against thousands of address owners).
 */
export function entityMatcher(model: PolicyModel, policy: Policy, er: EntityRule): (h: Holder) => boolean {
  let perPolicy = entityMatchers.get(er);
  if (!perPolicy) {
    perPolicy = new Map();
    entityMatchers.set(er, perPolicy);
  }
  const cached = perPolicy.get(policy);
  if (cached) return cached;
  const sel = compileSelector(er.selector ?? 'all()');
  const nsSel = er.namespaceSelector !== undefined ? compileSelector(er.namespaceSelector) : undefined;
  const nsVerdicts = new Map<string, boolean>();
  const globalOk = nsSel ? nsSel({}, true) : policy.namespace === undefined;
  const nsOk = (ns: string | undefined): boolean => {
    if (ns === undefined) return globalOk;
    // Without a namespaceSelector a namespaced policy's selectors stay in its own namespace.
    if (!nsSel) return policy.namespace === undefined || ns === policy.namespace;
    let v = nsVerdicts.get(ns);
    if (v === undefined) {
      v = nsSel(namespaceLabels(model, ns));
      nsVerdicts.set(ns, v);
    }
    return v;
  };
  const sa = er.serviceAccounts;
  const saSel = sa?.selector !== undefined ? compileSelector(sa.selector) : undefined;
  const matcher = (h: Holder): boolean => {
    if (er.workloadsOnly && h.kind !== 'WorkloadEndpoint') return false;
    if (!nsOk(h.namespace)) return false;
    if (!sel(h.labels, h.namespace === undefined)) return false;
    if (sa) {
      const name = h.endpoint?.serviceAccount;
      if (!name) return false;
      if (sa.names && sa.names.length > 0 && !sa.names.includes(name)) return false;
      if (saSel && !saSel({ 'projectcalico.org/name': name })) return false;
    }
    return true;
  };
  perPolicy.set(policy, matcher);
  return matcher;
}

/** The positive label match of a rule side against one owner of an address. */
export function holderMatchesEntity(model: PolicyModel, policy: Policy, er: EntityRule, h: Holder): boolean {
  return entityMatcher(model, policy, er)(h);
}

const policySelectors = new WeakMap<Policy, ReturnType<typeof compileSelector>>();

function policySelector(policy: Policy): ReturnType<typeof compileSelector> {
  let m = policySelectors.get(policy);
  if (!m) {
    m = compileSelector(policy.selector);
    policySelectors.set(policy, m);
  }
  return m;
}

class FlowEvaluation {
  private readonly srcIp;
  private readonly dstIp;
  private readonly srcHolders: Holder[];
  private readonly dstHolders: Holder[];

  constructor(
    private readonly p: Prepared,
    private readonly flow: Flow,
  ) {
    this.srcIp = parseIp(flow.src);
    this.dstIp = parseIp(flow.dst);
    this.srcHolders = this.holders(flow.src, this.srcIp);
    this.dstHolders = this.holders(flow.dst, this.dstIp);
  }

  private holders(ip: string, parsed: ReturnType<typeof parseIp>): Holder[] {
    const out: Holder[] = [];
    const ep = this.p.endpointByIp.get(ip);
    if (ep)
      out.push({
        kind: ep.kind,
        labels: endpointLabels(ep),
        ...(ep.namespace ? { namespace: ep.namespace } : {}),
        endpoint: ep,
      });
    if (parsed) {
      for (const { set, cidrs } of this.p.sets) {
        if (cidrs.some((c) => cidrContains(c, parsed)))
          out.push({ kind: set.kind, labels: set.labels, ...(set.namespace ? { namespace: set.namespace } : {}) });
      }
    }
    return out;
  }

  endpointFor(ip: string): Endpoint | undefined {
    return this.p.endpointByIp.get(ip);
  }

  private cidr(text: string): Cidr {
    let c = this.p.cidrCache.get(text);
    if (!c) {
      c = parseCidr(text)!;
      this.p.cidrCache.set(text, c);
    }
    return c;
  }

  policySelects(policy: Policy, e: Endpoint): boolean {
    if (policy.namespace !== undefined) {
      if (e.kind !== 'WorkloadEndpoint' || e.namespace !== policy.namespace) return false;
    }
    if (!policySelector(policy)(endpointLabels(e), e.namespace === undefined)) return false;
    if (policy.namespaceSelector !== undefined) {
      const nsSel = compileSelector(policy.namespaceSelector);
      if (e.namespace === undefined ? !nsSel({}, true) : !nsSel(namespaceLabels(this.p.model, e.namespace)))
        return false;
    }
    if (
      policy.serviceAccountSelector !== undefined &&
      policy.serviceAccountSelector.trim() !== '' &&
      policy.serviceAccountSelector.trim() !== 'all()'
    ) {
      if (!e.serviceAccount) return false;
      if (!compileSelector(policy.serviceAccountSelector)({ 'projectcalico.org/name': e.serviceAccount })) return false;
    }
    return true;
  }

  private portMatches(list: readonly PortMatch[], port: number | undefined, endpoint: Endpoint | undefined): boolean {
    if (port === undefined) return false;
    return list.some((m) => {
      if ('name' in m)
        return (
          endpoint?.ports.some((np) => np.name === m.name && np.port === port && np.protocol === this.flow.protocol) ??
          false
        );
      return port >= m.from && port <= m.to;
    });
  }

  private entityMatches(policy: Policy, er: EntityRule, side: 'src' | 'dst'): boolean {
    const ipText = side === 'src' ? this.flow.src : this.flow.dst;
    const ip = side === 'src' ? this.srcIp : this.dstIp;
    const holders = side === 'src' ? this.srcHolders : this.dstHolders;
    const port = side === 'src' ? this.flow.srcPort : this.flow.dstPort;
    if (er.nets && !(ip && er.nets.some((n) => cidrContains(this.cidr(n), ip)))) return false;
    if (er.notNets && ip && er.notNets.some((n) => cidrContains(this.cidr(n), ip))) return false;
    if (entityIsScoped(policy, er) && !holders.some((h) => holderMatchesEntity(this.p.model, policy, er, h)))
      return false;
    // notSelector excludes any labelled owner of the address; an unknown address is not excluded.
    if (er.notSelector !== undefined) {
      const notSel = compileSelector(er.notSelector);
      if (holders.some((h) => notSel(h.labels, h.namespace === undefined))) return false;
    }
    const endpoint = this.endpointFor(ipText);
    if (er.ports && !this.portMatches(er.ports, port, endpoint)) return false;
    if (er.notPorts && this.portMatches(er.notPorts, port, endpoint)) return false;
    if (er.domains && side === 'dst') {
      const d = this.flow.domain?.toLowerCase();
      if (!d || !er.domains.some((pat) => domainMatches(pat.toLowerCase(), d))) return false;
    }
    return true;
  }

  private icmpMatches(m: IcmpMatch): boolean {
    if (m.type !== undefined && this.flow.icmpType !== m.type) return false;
    if (m.code !== undefined && this.flow.icmpCode !== m.code) return false;
    return true;
  }

  ruleMatches(policy: Policy, rule: Rule): boolean {
    const f = this.flow;
    if (rule.ipVersion !== undefined && this.srcIp && this.srcIp.version !== rule.ipVersion) return false;
    if (rule.protocol !== undefined && f.protocol !== rule.protocol) return false;
    if (rule.notProtocol !== undefined && f.protocol === rule.notProtocol) return false;
    if (rule.icmp && !this.icmpMatches(rule.icmp)) return false;
    if (rule.notICMP && this.icmpMatches(rule.notICMP)) return false;
    return this.entityMatches(policy, rule.source, 'src') && this.entityMatches(policy, rule.destination, 'dst');
  }

  /** One direction at one endpoint: tiers in order, then profiles. */
  direction(tiers: readonly PreparedTier[], e: Endpoint, dir: Direction, trace: TraceStep[]): Verdict {
    const endpoint = `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
    const step = (s: Omit<TraceStep, 'direction' | 'endpoint'>) => trace.push({ direction: dir, endpoint, ...s });
    tierLoop: for (const { tier, candidates } of tiers) {
      const applicable = candidates(e.namespace).filter((p) => p.types.includes(dir) && this.policySelects(p, e));
      if (applicable.length === 0) continue;
      for (const policy of applicable) {
        const rules = dir === 'Ingress' ? policy.ingress : policy.egress;
        for (let i = 0; i < rules.length; i++) {
          const rule = rules[i]!;
          if (!this.ruleMatches(policy, rule)) continue;
          const where = { tier: tier.name, policy: policyLabel(policy), rule: i };
          if (rule.action === 'Log') {
            step({ ...where, action: 'log', note: 'Log rule matched; evaluation continues' });
            continue;
          }
          if (rule.action === 'Pass') {
            step({ ...where, action: 'pass', note: `Pass: skip the rest of tier ${tier.name}` });
            continue tierLoop;
          }
          const action = rule.action === 'Allow' ? 'allow' : 'deny';
          step({ ...where, action, note: `${rule.action} rule ${i} of ${dir.toLowerCase()} matched` });
          return action;
        }
      }
      if (tier.defaultAction === 'Pass') {
        step({
          tier: tier.name,
          action: 'tier-default-pass',
          note: `no rule matched in tier ${tier.name}; its default action is Pass`,
        });
        continue;
      }
      step({
        tier: tier.name,
        action: 'tier-default-deny',
        note: `policies in tier ${tier.name} select the endpoint but no rule matched (end-of-tier deny)`,
      });
      return 'deny';
    }
    // No tier decided: the endpoint's profiles do. Kubernetes pods carry an allow-all namespace
    // profile; a host endpoint without the default-allow profile denies (Calico's default).
    const allow = e.kind === 'WorkloadEndpoint' || e.profiles.includes('projectcalico-default-allow');
    step({
      action: allow ? 'profile-allow' : 'profile-deny',
      note: allow
        ? 'no policy decided; profile allows'
        : 'no policy decided; host endpoint without default-allow profile denies',
    });
    return allow ? 'allow' : 'deny';
  }

  run(tiers: readonly PreparedTier[]): { verdict: Verdict; trace: TraceStep[] } {
    const trace: TraceStep[] = [];
    const src = this.endpointFor(this.flow.src);
    const dst = this.endpointFor(this.flow.dst);
    if (src) {
      if (this.direction(tiers, src, 'Egress', trace) === 'deny') return { verdict: 'deny', trace };
    } else
      trace.push({
        direction: 'Egress',
        endpoint: this.flow.src,
        action: 'no-endpoint',
        note: 'source is not a known endpoint: no egress policy',
      });
    if (dst) {
      if (this.direction(tiers, dst, 'Ingress', trace) === 'deny') return { verdict: 'deny', trace };
    } else
      trace.push({
        direction: 'Ingress',
        endpoint: this.flow.dst,
        action: 'no-endpoint',
        note: 'destination is not a known endpoint: no ingress policy',
      });
    return { verdict: 'allow', trace };
  }
}

function policyLabel(p: Policy): string {
  const kind = p.staged ? `Staged${p.kind}` : p.kind;
  return `${kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

/** `*.example.com` matches one or more labels before example.com; otherwise exact. */
export function domainMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
  return pattern === name;
}

/** Calico's decision for one flow: source egress then destination ingress; both must allow. */
export function evaluate(flow: Flow, model: PolicyModel): Decision {
  const p = prepareModel(model);
  const ev = new FlowEvaluation(p, flow);
  const enforced = ev.run(p.enforced);
  const hasStaged = model.policies.some((x) => x.staged);
  const staged = hasStaged ? ev.run(p.staged) : enforced;
  return { verdict: enforced.verdict, trace: enforced.trace, stagedVerdict: staged.verdict, stagedTrace: staged.trace };
}

/** Which policies select an endpoint, for one direction, in evaluation order (used by the compiler). */
const selectedCache = new WeakMap<Prepared, WeakMap<Endpoint, { tier: Tier; policies: Policy[] }[]>>();

export function policiesFor(model: PolicyModel, e: Endpoint, dir: Direction): { tier: Tier; policies: Policy[] }[] {
  const p = prepareModel(model);
  // Selection does not depend on the direction: compute it once per endpoint, filter by type after.
  let perEndpoint = selectedCache.get(p);
  if (!perEndpoint) {
    perEndpoint = new WeakMap();
    selectedCache.set(p, perEndpoint);
  }
  let selected = perEndpoint.get(e);
  if (!selected) {
    const ev = new FlowEvaluation(p, { src: '0.0.0.0', dst: '0.0.0.0', protocol: 0 });
    selected = p.enforced.map(({ tier, candidates }) => ({
      tier,
      policies: candidates(e.namespace).filter((x) => ev.policySelects(x, e)),
    }));
    perEndpoint.set(e, selected);
  }
  return selected
    .map(({ tier, policies }) => ({ tier, policies: policies.filter((x) => x.types.includes(dir)) }))
    .filter((t) => t.policies.length > 0);
}
