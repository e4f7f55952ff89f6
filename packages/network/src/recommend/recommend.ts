// Policy recommendation: from observed flow logs, least-privilege staged Calico policies — one per
// workload group — that allow what was seen; their `types` make everything else a default deny.

import { InputError } from '@palisade/core';
import { evaluate } from '../evaluate/evaluate.js';
import { calicoPolicyDocument } from '../export/export.js';
import type { FlowEndpoint, FlowLogRecord } from '../flows/flow-collector.js';
import { cidrContains, formatCidr, parseCidr, parseIp } from '../model/cidr.js';
import {
  type Endpoint,
  type EntityRule,
  type NetworkSet,
  type Policy,
  type PolicyModel,
  type PortMatch,
  PROTOCOL_NUMBERS,
  protocolName,
  type Rule,
} from '../model/types.js';
import { type Labels, printSelector, type SelectorAst } from '../selector/selector.js';

export interface RecommendOptions {
  /** Label keys whose values name a workload group (default `['app']`). */
  readonly groupBy?: readonly string[];
  /** Tier of the recommended policies (default `default`). */
  readonly tier?: string;
  readonly order?: number;
  /** Prefix lengths external addresses are widened to (default 32 and 128: the exact addresses). */
  readonly cidrPrefix?: { readonly v4?: number; readonly v6?: number };
  /** Learn from denied flows too (default: only from allowed ones). */
  readonly includeDenied?: boolean;
  /** Write enforced kinds (NetworkPolicy/GlobalNetworkPolicy) instead of staged ones. */
  readonly enforced?: boolean;
}

export interface RecommendedGroup {
  /** `StagedNetworkPolicy/NAMESPACE/NAME` or `StagedGlobalNetworkPolicy/NAME`. */
  readonly policy: string;
  readonly selector: string;
  readonly endpoints: readonly string[];
  readonly ingressRules: number;
  readonly egressRules: number;
}

export interface StillDeniedFlow {
  readonly source: string;
  readonly destination: string;
  readonly protocol: string;
  readonly destinationPort?: number;
  /** The trace step that denied it (policy or tier). */
  readonly deniedBy: string;
}

export interface RecommendReport {
  readonly flowsRead: number;
  readonly flowsUsed: number;
  readonly skippedDenied: number;
  /** Flows between two addresses that belong to no endpoint: no policy of ours would see them. */
  readonly skippedExternal: number;
  readonly groups: readonly RecommendedGroup[];
  readonly notes: readonly string[];
  /** Observed flows the given policies plus the recommendation would still deny (staged view). */
  readonly stillDenied: readonly StillDeniedFlow[];
}

export interface Recommendation {
  /** Calico v3 documents, sorted, ready for YAML or JSON. */
  readonly documents: readonly Record<string, unknown>[];
  readonly policies: readonly Policy[];
  readonly report: RecommendReport;
}

/** An endpoint seen in the flows, or found in the model by its address. */
interface SeenEndpoint {
  readonly key: string;
  readonly kind: Endpoint['kind'];
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Labels;
  readonly ips: Set<string>;
}

interface Resolved {
  readonly ip: string;
  readonly endpoint?: SeenEndpoint;
  readonly set?: NetworkSet;
  readonly domain?: string;
}

type Peer =
  | { readonly kind: 'selector'; readonly selector: string; readonly namespaceSelector?: string }
  | { readonly kind: 'net'; readonly cidr: string }
  | { readonly kind: 'domain'; readonly domain: string };

/** What one group allowed with one peer over one protocol: the ports seen. */
interface Aggregate {
  readonly protocol: number;
  readonly peer: Peer;
  readonly ports: Set<number>;
  /** A flow of a port protocol without a port: the rule cannot be narrowed to ports. */
  anyPort: boolean;
}

interface Group {
  readonly id: string;
  readonly host: boolean;
  readonly namespace?: string;
  readonly slug: string;
  readonly members: SeenEndpoint[];
  /** Undefined when the members share no usable label: no policy can select them. */
  selector?: string;
  readonly ingress: Map<string, Aggregate>;
  readonly egress: Map<string, Aggregate>;
}

const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);
// Labels that differ between replicas of one workload, never part of a group's identity.
const VOLATILE_LABELS = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
]);
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A label the selector language can carry: a plain key (not Calico's own) and a quotable value. */
function usableLabel(key: string, value: string | undefined): value is string {
  if (value === undefined || !/^[A-Za-z0-9_./-]+$/.test(key) || key.startsWith('projectcalico.org/')) return false;
  return !(value.includes("'") && value.includes('"')) && value.length <= 63;
}

const eq = (key: string, value: string): SelectorAst => ({ kind: 'eq', key, value });
const notHas = (key: string): SelectorAst => ({ kind: 'not', expr: { kind: 'has', key } });
const conjunction = (terms: SelectorAst[]): string =>
  printSelector(terms.length === 1 ? terms[0]! : { kind: 'and', items: terms });
const namespaceIs = (ns: string) => printSelector(eq('projectcalico.org/name', ns));
// Calico labels every workload endpoint with its orchestrator; host endpoints have no such label.
const HOST_ONLY = notHas('projectcalico.org/orchestrator');

/** The workload a replica belongs to: Deployment pods `web-5d8f7c9b6-x2k4q`, numbered `web-1`. */
export function replicaBase(name: string): string {
  return /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(name)?.[1] ?? /^(.+)-\d+$/.exec(name)?.[1] ?? name;
}

function slugOf(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 200)
    .replace(/[^a-z0-9]+$/, '');
  return s || 'group';
}

function protocolNumber(text: string): number | undefined {
  const named = PROTOCOL_NUMBERS.get(text.toUpperCase());
  if (named !== undefined) return named;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

/** Consecutive ports become ranges: 80, 81, 82, 443 → 80:82, 443. */
export function mergePorts(ports: Iterable<number>): PortMatch[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: { from: number; to: number }[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p === last.to + 1) last.to = p;
    else out.push({ from: p, to: p });
  }
  return out;
}

function cidrText(ip: string, v4: number, v6: number): string {
  const parsed = parseIp(ip)!;
  const prefix = parsed.version === 4 ? v4 : v6;
  const c = parseCidr(`${ip}/${prefix}`)!;
  const text = formatCidr(c);
  return text.includes('/') ? text : `${text}/${prefix}`;
}

class Recommender {
  private readonly endpoints = new Map<string, SeenEndpoint>();
  private readonly modelByIp = new Map<string, Endpoint>();
  private readonly groups = new Map<string, Group>();
  private readonly groupOfEndpoint = new Map<string, Group>();
  readonly notes: string[] = [];
  private readonly groupBy: readonly string[];
  private readonly v4: number;
  private readonly v6: number;

  constructor(
    private readonly model: PolicyModel,
    options: RecommendOptions,
  ) {
    this.groupBy = options.groupBy && options.groupBy.length > 0 ? options.groupBy : ['app'];
    this.v4 = Math.min(32, Math.max(0, options.cidrPrefix?.v4 ?? 32));
    this.v6 = Math.min(128, Math.max(0, options.cidrPrefix?.v6 ?? 128));
    for (const e of model.endpoints) for (const ip of e.ips) if (!this.modelByIp.has(ip)) this.modelByIp.set(ip, e);
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** The endpoint (from the record, else from the model by address), network set or bare address. */
  resolve(fe: FlowEndpoint, isDestination: boolean): Resolved {
    const fromModel = fe.name === undefined ? this.modelByIp.get(fe.ip) : undefined;
    const name = fe.name ?? fromModel?.name;
    if (name !== undefined) {
      const kind = fe.kind ?? fromModel?.kind ?? (fe.namespace ? 'WorkloadEndpoint' : 'HostEndpoint');
      const namespace = kind === 'WorkloadEndpoint' ? (fe.namespace ?? fromModel?.namespace ?? 'default') : undefined;
      const key = `${kind}/${namespace ?? ''}/${name}`;
      let e = this.endpoints.get(key);
      if (!e) {
        e = {
          key,
          kind,
          name,
          ...(namespace !== undefined ? { namespace } : {}),
          labels: fe.labels ?? fromModel?.labels ?? {},
          ips: new Set(),
        };
        this.endpoints.set(key, e);
      }
      e.ips.add(fe.ip);
      return { ip: fe.ip, endpoint: e };
    }
    const set = this.networkSetFor(fe.ip);
    if (set) return { ip: fe.ip, set };
    return { ip: fe.ip, ...(isDestination && fe.domain ? { domain: fe.domain.toLowerCase() } : {}) };
  }

  /** The labelled network set holding the address most narrowly (longest prefix, then name). */
  private networkSetFor(ip: string): NetworkSet | undefined {
    const parsed = parseIp(ip);
    if (!parsed) return undefined;
    let best: { set: NetworkSet; prefix: number } | undefined;
    for (const set of this.model.networkSets) {
      if (!Object.entries(set.labels).some(([k, v]) => usableLabel(k, v))) continue;
      for (const n of set.nets) {
        const c = parseCidr(n);
        if (!c || !cidrContains(c, parsed)) continue;
        if (!best || c.prefix > best.prefix || (c.prefix === best.prefix && set.name < best.set.name))
          best = { set, prefix: c.prefix };
      }
    }
    return best?.set;
  }

  /**
   * Puts every seen endpoint in a group and gives each group its selector. Every endpoint with a
   * usable label ends in a group with a policy: a selector of one group may also pick members of
   * another (their policies then add up), but never an endpoint left without a policy of its own.
   */
  formGroups(): void {
    const sorted = [...this.endpoints.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    const workloads = new Map<string, SeenEndpoint[]>();
    for (const e of sorted) {
      const scope = e.kind === 'HostEndpoint' ? 'host' : `ns:${e.namespace}`;
      const picked = this.groupBy.filter((k) => usableLabel(k, e.labels[k]));
      if (picked.length === 0) {
        const key = JSON.stringify([scope, replicaBase(e.name)]);
        workloads.set(key, [...(workloads.get(key) ?? []), e]);
        continue;
      }
      // JSON keeps label values with separators in them apart.
      const id = JSON.stringify([scope, this.groupBy.map((k) => (picked.includes(k) ? [k, e.labels[k]] : [k]))]);
      const terms = this.groupBy.map((k) => (picked.includes(k) ? eq(k, e.labels[k]!) : notHas(k)));
      this.join(id, e, slugOf(picked.map((k) => e.labels[k]!).join('-')), terms);
    }
    // No grouping label: a workload's replicas (by name) are selected by the labels they share.
    for (const [key, members] of workloads) {
      const common = this.stableLabels(members[0]!).filter((k) =>
        members.every((m) => m.labels[k] === members[0]!.labels[k]),
      );
      if (common.length > 0) {
        for (const m of members) this.join(key, m, slugOf(replicaBase(m.name)), this.terms(members, common));
        continue;
      }
      // Nothing shared: each distinct label set is a group of its own.
      for (const m of members) {
        const own = this.stableLabels(m);
        const id = JSON.stringify([key, own.map((k) => [k, m.labels[k]])]);
        this.join(id, m, slugOf(replicaBase(m.name)), own.length > 0 ? this.terms([m], own) : undefined);
      }
    }
    for (const g of this.groups.values())
      if (g.selector === undefined && (g.namespace === undefined || NAME.test(g.namespace)))
        this.note(
          `${g.members.map((m) => m.name).join(', ')}${g.namespace ? ` (namespace ${g.namespace})` : ''}: no label to select by; no policy recommended, peers name its addresses`,
        );
  }

  /** Labels that identify a workload rather than one replica, sorted. */
  private stableLabels(e: SeenEndpoint): string[] {
    return Object.keys(e.labels)
      .filter((k) => !VOLATILE_LABELS.has(k) && usableLabel(k, e.labels[k]))
      .sort();
  }

  /** Equality on the shared labels, and absence of the grouping labels none of them has. */
  private terms(members: readonly SeenEndpoint[], keys: readonly string[]): SelectorAst[] {
    const absent = this.groupBy.filter((k) => members.every((m) => !Object.hasOwn(m.labels, k)));
    return [...keys.map((k) => eq(k, members[0]!.labels[k]!)), ...absent.map(notHas)];
  }

  /** Adds an endpoint to the group `id`, creating it (terms undefined: no selector) on first use. */
  private join(id: string, e: SeenEndpoint, slug: string, terms: SelectorAst[] | undefined): void {
    let g = this.groups.get(id);
    if (!g) {
      const host = e.kind === 'HostEndpoint';
      g = {
        id,
        host,
        ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
        slug: host ? `host-${slug}` : slug,
        members: [],
        ingress: new Map(),
        egress: new Map(),
      };
      if (terms) g.selector = this.finish(g, terms);
      this.groups.set(id, g);
    }
    g.members.push(e);
    this.groupOfEndpoint.set(e.key, g);
  }

  /** The group's selector text, or undefined when its namespace cannot carry a policy. */
  private finish(g: Group, terms: SelectorAst[]): string | undefined {
    if (g.namespace !== undefined && !NAME.test(g.namespace)) {
      this.note(`namespace "${g.namespace}" is not a valid name; its endpoints get no policy`);
      return undefined;
    }
    return conjunction(g.host ? [...terms, HOST_ONLY] : terms);
  }

  groupFor(e: SeenEndpoint): Group {
    return this.groupOfEndpoint.get(e.key)!;
  }

  /** How the policy of `owner` names the other end of a flow. */
  peer(other: Resolved, owner: Group): Peer {
    const policyNs = owner.host ? undefined : owner.namespace;
    if (other.endpoint) {
      const g = this.groupFor(other.endpoint);
      if (g.selector === undefined) return { kind: 'net', cidr: cidrText(other.ip, 32, 128) };
      if (g.host)
        return policyNs === undefined
          ? { kind: 'selector', selector: g.selector }
          : { kind: 'selector', selector: g.selector, namespaceSelector: 'global()' };
      return policyNs === g.namespace
        ? { kind: 'selector', selector: g.selector }
        : { kind: 'selector', selector: g.selector, namespaceSelector: namespaceIs(g.namespace!) };
    }
    if (other.set) {
      const s = other.set;
      const selector = conjunction(
        Object.keys(s.labels)
          .filter((k) => usableLabel(k, s.labels[k]))
          .sort()
          .map((k) => eq(k, s.labels[k]!)),
      );
      if (s.namespace === undefined)
        return policyNs === undefined
          ? { kind: 'selector', selector }
          : { kind: 'selector', selector, namespaceSelector: 'global()' };
      return policyNs === s.namespace
        ? { kind: 'selector', selector }
        : { kind: 'selector', selector, namespaceSelector: namespaceIs(s.namespace) };
    }
    if (other.domain) return { kind: 'domain', domain: other.domain };
    return { kind: 'net', cidr: cidrText(other.ip, this.v4, this.v6) };
  }

  add(into: Map<string, Aggregate>, protocol: number, port: number | undefined, peer: Peer): void {
    const key = `${protocol}|${JSON.stringify(peer)}`;
    let a = into.get(key);
    if (!a) {
      a = { protocol, peer, ports: new Set(), anyPort: false };
      into.set(key, a);
    }
    if (PORT_PROTOCOLS.has(protocol)) {
      if (port === undefined) a.anyPort = true;
      else a.ports.add(port);
    }
  }

  selectableGroups(): Group[] {
    return [...this.groups.values()]
      .filter((g) => g.selector !== undefined)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  allEndpoints(): SeenEndpoint[] {
    return [...this.endpoints.values()];
  }
}

/** Rules of one direction: one per selector peer; addresses and domains with equal ports share one. */
function rulesOf(aggregates: Iterable<Aggregate>, dir: 'ingress' | 'egress'): Rule[] {
  const portsKey = (a: Aggregate) =>
    a.anyPort || a.ports.size === 0 ? '*' : [...a.ports].sort((x, y) => x - y).join(',');
  const shared = new Map<string, { protocol: number; ports: Aggregate; field: 'nets' | 'domains'; values: string[] }>();
  const rules: { sortKey: string; rule: Rule }[] = [];
  const make = (a: Aggregate, peer: EntityRule): Rule => {
    const ports = a.anyPort || a.ports.size === 0 ? undefined : mergePorts(a.ports);
    const portSide: EntityRule = ports ? { ports } : {};
    return {
      action: 'Allow',
      protocol: a.protocol,
      source: dir === 'ingress' ? peer : {},
      destination: dir === 'ingress' ? portSide : { ...peer, ...portSide },
    };
  };
  for (const a of aggregates) {
    const p = a.peer;
    if (p.kind === 'selector') {
      const peer: EntityRule = {
        selector: p.selector,
        ...(p.namespaceSelector !== undefined ? { namespaceSelector: p.namespaceSelector } : {}),
      };
      rules.push({ sortKey: `${a.protocol}|0|${p.namespaceSelector ?? ''}|${p.selector}`, rule: make(a, peer) });
      continue;
    }
    const field = p.kind === 'net' ? 'nets' : 'domains';
    const key = `${a.protocol}|${field}|${portsKey(a)}`;
    const entry = shared.get(key);
    if (entry) entry.values.push(p.kind === 'net' ? p.cidr : p.domain);
    else shared.set(key, { protocol: a.protocol, ports: a, field, values: [p.kind === 'net' ? p.cidr : p.domain] });
  }
  for (const [key, s] of shared) {
    const values = [...new Set(s.values)].sort();
    const order = s.field === 'nets' ? 1 : 2;
    rules.push({ sortKey: `${s.protocol}|${order}|${key}`, rule: make(s.ports, { [s.field]: values }) });
  }
  const num = (k: string) => Number(k.split('|')[0]);
  return rules
    .sort((a, b) => num(a.sortKey) - num(b.sortKey) || (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .map((r) => r.rule);
}

const policyKey = (p: Policy) => `${p.kind}/${p.namespace ?? ''}/${p.name}`;
const policyLabel = (p: Policy) =>
  `${p.staged ? 'Staged' : ''}${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;

/**
 * Least-privilege policies for what the flows show: per group of endpoints (by the `groupBy`
 * labels, else by the labels a workload's replicas share), ingress from the peers seen and egress
 * to them, on the ports seen. Peers are named by their group's selector, a labelled network set,
 * the DNS name the proxy saw, or their address widened to `cidrPrefix`. The result is checked
 * with the evaluator: every observed flow the recommendation (with `model`'s policies) would still
 * deny is listed in the report.
 */
export function recommendPolicies(
  flows: readonly FlowLogRecord[],
  model: PolicyModel,
  options: RecommendOptions = {},
): Recommendation {
  const tier = options.tier ?? 'default';
  if (!NAME.test(tier)) throw new InputError(`tier "${tier}" is not a valid name (lower case, digits, "-" and ".")`);
  const staged = !options.enforced;
  const r = new Recommender(model, options);
  let skippedDenied = 0;
  let skippedExternal = 0;
  const used: { record: FlowLogRecord; protocol: number; port?: number; src: Resolved; dst: Resolved }[] = [];
  for (const record of flows) {
    if (record.action === 'deny' && !options.includeDenied) {
      skippedDenied++;
      continue;
    }
    const protocol = protocolNumber(record.protocol);
    if (protocol === undefined) {
      r.notes.push(`unknown protocol "${record.protocol}" in a flow record; record skipped`);
      continue;
    }
    const src = r.resolve(record.source, false);
    const dst = r.resolve(record.destination, true);
    if (!src.endpoint && !dst.endpoint) {
      skippedExternal++;
      continue;
    }
    const port = PORT_PROTOCOLS.has(protocol) ? record.destinationPort : undefined;
    used.push({ record, protocol, ...(port !== undefined ? { port } : {}), src, dst });
  }
  r.formGroups();
  for (const f of used) {
    if (f.src.endpoint) {
      const g = r.groupFor(f.src.endpoint);
      if (g.selector !== undefined) r.add(g.egress, f.protocol, f.port, r.peer(f.dst, g));
    }
    if (f.dst.endpoint) {
      const g = r.groupFor(f.dst.endpoint);
      if (g.selector !== undefined) r.add(g.ingress, f.protocol, f.port, r.peer(f.src, g));
    }
  }

  const policies: Policy[] = [];
  const groups: RecommendedGroup[] = [];
  const taken = new Set<string>();
  for (const g of r.selectableGroups()) {
    const scope = g.host ? '' : g.namespace!;
    let name = `${tier === 'default' ? '' : `${tier}.`}recommended-${g.slug}`;
    for (let i = 2; taken.has(`${scope}/${name}`); i++)
      name = `${tier === 'default' ? '' : `${tier}.`}recommended-${g.slug}-${i}`;
    taken.add(`${scope}/${name}`);
    const policy: Policy = {
      kind: g.host ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
      staged,
      ...(staged ? { stagedAction: 'Set' as const } : {}),
      name,
      ...(g.host ? {} : { namespace: g.namespace! }),
      tier,
      ...(options.order !== undefined ? { order: options.order } : {}),
      selector: g.selector!,
      types: ['Ingress', 'Egress'],
      ingress: rulesOf(g.ingress.values(), 'ingress'),
      egress: rulesOf(g.egress.values(), 'egress'),
      source: 'recommendation',
    };
    policies.push(policy);
    groups.push({
      policy: policyLabel(policy),
      selector: policy.selector,
      endpoints: g.members.map((m) => (m.namespace ? `${m.namespace}/${m.name}` : m.name)).sort(),
      ingressRules: policy.ingress.length,
      egressRules: policy.egress.length,
    });
  }
  policies.sort((a, b) => {
    const ka = `${a.namespace ?? ''}/${a.name}`;
    const kb = `${b.namespace ?? ''}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

  if (!model.tiers.some((t) => t.name === tier))
    r.notes.push(`tier "${tier}" is not defined in the given policies; create it before applying`);
  const stillDenied = checkRecommendation(model, policies, r.allEndpoints(), used, staged, tier);
  return {
    documents: policies.map(calicoPolicyDocument),
    policies,
    report: {
      flowsRead: flows.length,
      flowsUsed: used.length,
      skippedDenied,
      skippedExternal,
      groups,
      notes: r.notes,
      stillDenied,
    },
  };
}

/** Evaluates every used flow against the model plus the recommendation (staged view when staged). */
function checkRecommendation(
  model: PolicyModel,
  policies: readonly Policy[],
  seen: readonly SeenEndpoint[],
  used: readonly { record: FlowLogRecord; protocol: number; port?: number }[],
  staged: boolean,
  tier: string,
): StillDeniedFlow[] {
  const knownIps = new Set(model.endpoints.flatMap((e) => e.ips));
  // Endpoints the flows named but the given files do not define; the flows were allowed, so a
  // host endpoint is taken to allow by default as far as no policy says otherwise.
  const synthesized: Endpoint[] = seen
    .filter((e) => ![...e.ips].some((ip) => knownIps.has(ip)))
    .map((e) => ({
      kind: e.kind,
      name: e.name,
      ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
      labels: e.labels,
      ips: [...e.ips],
      ports: [],
      profiles: e.kind === 'HostEndpoint' ? ['projectcalico-default-allow'] : [],
    }));
  const ours = new Set(policies.map(policyKey));
  const checkModel: PolicyModel = {
    ...model,
    tiers: model.tiers.some((t) => t.name === tier)
      ? model.tiers
      : [...model.tiers, { name: tier, defaultAction: 'Deny' }],
    policies: [...model.policies.filter((p) => !(ours.has(policyKey(p)) && (staged ? p.staged : true))), ...policies],
    endpoints: [...model.endpoints, ...synthesized],
  };
  const out: StillDeniedFlow[] = [];
  const reported = new Set<string>();
  const checked = new Set<string>();
  for (const f of used) {
    const { record } = f;
    // Records repeat per window: each distinct flow is evaluated once.
    const flowKey = `${record.source.ip}|${record.destination.ip}|${f.protocol}|${f.port}|${record.destination.domain ?? ''}`;
    if (checked.has(flowKey)) continue;
    checked.add(flowKey);
    const decision = evaluate(
      {
        src: record.source.ip,
        dst: record.destination.ip,
        protocol: f.protocol,
        ...(f.port !== undefined ? { dstPort: f.port } : {}),
        ...(record.destination.domain ? { domain: record.destination.domain } : {}),
      },
      checkModel,
    );
    const verdict = staged ? decision.stagedVerdict : decision.verdict;
    if (verdict === 'allow') continue;
    const last = (staged ? decision.stagedTrace : decision.trace).at(-1);
    const entry: StillDeniedFlow = {
      source: record.source.name ?? record.source.ip,
      destination: record.destination.name ?? record.destination.ip,
      protocol: protocolName(f.protocol),
      ...(f.port !== undefined ? { destinationPort: f.port } : {}),
      deniedBy: last
        ? `${last.policy ?? (last.tier ? `tier ${last.tier}` : last.endpoint)}: ${last.action}`
        : 'unknown',
    };
    const key = JSON.stringify(entry);
    if (!reported.has(key)) {
      reported.add(key);
      out.push(entry);
    }
  }
  return out;
}
