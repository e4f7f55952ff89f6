// Export to Cilium: each enforced policy as a `cilium.io/v2` CiliumNetworkPolicy (namespaced) or
// CiliumClusterwideNetworkPolicy (global), with a fidelity report of what Cilium cannot express.

import { stringify } from 'yaml';
import { entityMatcher, type Holder } from '../evaluate/evaluate.js';
import { cidrContains, formatCidr, parseCidr } from '../model/cidr.js';
import type { EntityRule, Policy, PolicyModel, PortMatch, Rule } from '../model/types.js';
import { compileSelector, parseSelector, type SelectorAst } from '../selector/selector.js';
import type { FidelityNote } from './export.js';

export interface CiliumLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface CiliumExport {
  readonly documents: readonly Record<string, unknown>[];
  readonly yaml: string;
  readonly exported: number;
  readonly notes: readonly FidelityNote[];
}

/** Why a selector or rule has no Cilium form; caught where the report is written. */
class Inexpressible extends Error {}

// Cilium's names for what Calico puts on endpoints and namespaces.
const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
const SERVICE_ACCOUNT = 'io.cilium.k8s.policy.serviceaccount';
const NAMESPACE_LABELS = 'io.cilium.k8s.namespace.labels.';
const MAX_DISJUNCTS = 16;

interface Literal {
  readonly atom: SelectorAst;
  readonly negated: boolean;
}

/** The selector as an OR of ANDs of (possibly negated) atoms; `[]` selects nothing, `[[]]` all. */
function disjunctiveForm(ast: SelectorAst, negated = false): Literal[][] {
  switch (ast.kind) {
    case 'all':
      return negated ? [] : [[]];
    case 'global':
      throw new Inexpressible('global() has no Cilium equivalent');
    case 'not':
      return disjunctiveForm(ast.expr, !negated);
    case 'and':
    case 'or': {
      const parts = ast.items.map((i) => disjunctiveForm(i, negated));
      // De Morgan: a negated AND is an OR of negations, and the other way round.
      if ((ast.kind === 'or') !== negated) return parts.flat();
      let product: Literal[][] = [[]];
      for (const p of parts) {
        product = product.flatMap((left) => p.map((right) => [...left, ...right]));
        if (product.length > MAX_DISJUNCTS)
          throw new Inexpressible('selector too complex to split into Cilium selectors');
      }
      return product;
    }
    default:
      return [[{ atom: ast, negated }]];
  }
}

type KeyMap = (key: string) => string | undefined;

/** Endpoint labels: Calico's own are renamed; the orchestrator label is always `k8s` for Cilium pods. */
const endpointKey: KeyMap = (key) => {
  if (key === 'projectcalico.org/namespace') return POD_NAMESPACE;
  if (key === 'projectcalico.org/serviceaccount') return SERVICE_ACCOUNT;
  if (key.startsWith('projectcalico.org/')) return undefined;
  return key;
};
/** Namespace labels: the name is the pod's namespace label, others are Cilium's namespace labels. */
const namespaceKey: KeyMap = (key) =>
  key === 'projectcalico.org/name' || key === 'kubernetes.io/metadata.name'
    ? POD_NAMESPACE
    : `${NAMESPACE_LABELS}${key}`;

function literalRequirement(lit: Literal, keys: KeyMap): CiliumLabelSelector['matchExpressions'] {
  const a = lit.atom;
  if (a.kind === 'contains' || a.kind === 'startsWith' || a.kind === 'endsWith') {
    const op = a.kind === 'contains' ? 'contains' : a.kind === 'startsWith' ? 'starts with' : 'ends with';
    throw new Inexpressible(`the "${op}" operator has no Cilium equivalent`);
  }
  if (a.kind !== 'has' && a.kind !== 'eq' && a.kind !== 'ne' && a.kind !== 'in' && a.kind !== 'notIn')
    throw new Inexpressible(`selector term ${a.kind}`);
  // Every Cilium pod is orchestrated by Kubernetes: Calico's marker for pods is always true.
  const isK8s = a.kind === 'has' || (a.kind === 'eq' && a.value === 'k8s');
  if (a.key === 'projectcalico.org/orchestrator' && !lit.negated && isK8s) return [];
  const key = keys(a.key);
  if (key === undefined) throw new Inexpressible(`label ${a.key} is Calico's own and has no Cilium equivalent`);
  if (a.kind === 'has') return [{ key, operator: lit.negated ? 'DoesNotExist' : 'Exists' }];
  const values = 'values' in a ? [...a.values] : [a.value];
  // Calico's `!=`/`not in` match an absent label, as Cilium's NotIn does.
  const positive = (a.kind === 'eq' || a.kind === 'in') !== lit.negated;
  return [{ key, operator: positive ? 'In' : 'NotIn', values }];
}

function conjunctionSelector(lits: readonly Literal[], keys: KeyMap): CiliumLabelSelector {
  return mergeSelectors(lits.map((l) => ({ matchExpressions: literalRequirement(l, keys)! })));
}

/** AND of selectors; single-value `In` becomes `matchLabels` while the key is free there. */
function mergeSelectors(parts: readonly CiliumLabelSelector[]): CiliumLabelSelector {
  const labels: Record<string, string> = {};
  const exprs: NonNullable<CiliumLabelSelector['matchExpressions']> = [];
  const seen = new Set<string>();
  const push = (e: NonNullable<CiliumLabelSelector['matchExpressions']>[number]) => {
    const k = JSON.stringify(e);
    if (!seen.has(k)) {
      seen.add(k);
      exprs.push(e);
    }
  };
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.matchLabels ?? {})) {
      if (labels[k] === undefined) labels[k] = v;
      else if (labels[k] !== v) push({ key: k, operator: 'In', values: [v] });
    }
    for (const e of p.matchExpressions ?? []) {
      if (e.operator === 'In' && e.values?.length === 1 && labels[e.key] === undefined) labels[e.key] = e.values[0]!;
      else if (!(e.operator === 'In' && e.values?.length === 1 && labels[e.key] === e.values[0])) push(e);
    }
  }
  return {
    ...(Object.keys(labels).length > 0 ? { matchLabels: labels } : {}),
    ...(exprs.length > 0 ? { matchExpressions: exprs } : {}),
  };
}

/** A Calico selector as the OR-list of Cilium label selectors it equals. Throws Inexpressible. */
export function selectorToCilium(text: string, scope: 'endpoint' | 'namespace' = 'endpoint'): CiliumLabelSelector[] {
  const keys = scope === 'endpoint' ? endpointKey : namespaceKey;
  return disjunctiveForm(parseSelector(text)).map((c) => conjunctionSelector(c, keys));
}

const cross = (a: readonly CiliumLabelSelector[], b: readonly CiliumLabelSelector[]) =>
  a.flatMap((x) => b.map((y) => mergeSelectors([x, y])));

const hasKey = (s: CiliumLabelSelector, key: string) =>
  s.matchLabels?.[key] !== undefined || (s.matchExpressions ?? []).some((e) => e.key === key);

function cidrWithPrefix(text: string): string {
  const c = parseCidr(text)!;
  const f = formatCidr(c);
  return f.includes('/') ? f : `${f}/${c.prefix}`;
}

function portEntries(ports: readonly PortMatch[], protocol: string): Record<string, unknown>[] {
  return ports.map((p) =>
    'name' in p
      ? { port: p.name, protocol }
      : { port: String(p.from), ...(p.to !== p.from ? { endPort: p.to } : {}), protocol },
  );
}

const PORT_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [6, 'TCP'],
  [17, 'UDP'],
  [132, 'SCTP'],
]);

class PolicyTranslation {
  readonly notes: FidelityNote[] = [];
  /** Notes about the rule being translated, kept only if the rule is. */
  private pending: FidelityNote[] = [];

  constructor(
    private readonly model: PolicyModel,
    private readonly policy: Policy,
    private readonly label: string,
  ) {}

  note(path: string, problem: string): void {
    this.notes.push({ policy: this.label, path, problem });
  }

  private ruleNote(path: string, problem: string): void {
    this.pending.push({ policy: this.label, path, problem });
  }

  /** The other end of a rule as Cilium peer fields (fromX/toX by direction). */
  private peer(er: EntityRule, dir: 'ingress' | 'egress', at: string): Record<string, unknown> {
    const p = this.policy;
    const from = dir === 'ingress' ? 'from' : 'to';
    if (er.notSelector !== undefined) throw new Inexpressible('notSelector (it also matches unknown addresses)');
    if (er.serviceAccounts?.selector !== undefined) throw new Inexpressible('serviceAccounts.selector');
    const scoped = er.selector !== undefined || er.namespaceSelector !== undefined || er.serviceAccounts !== undefined;
    if (er.domains && dir === 'ingress') throw new Inexpressible('domains on an ingress source');
    if (er.domains && (scoped || er.nets || er.notNets))
      throw new Inexpressible('domains together with selectors or nets');
    if (scoped && (er.nets || er.notNets))
      throw new Inexpressible('nets together with selectors (Cilium ORs its peers)');
    if (scoped) {
      let sels = selectorToCilium(er.selector ?? 'all()');
      if (er.namespaceSelector !== undefined) {
        if (/^\s*global\(\)\s*$/.test(er.namespaceSelector))
          throw new Inexpressible('namespaceSelector global() (host endpoints and global network sets)');
        // A namespace key opts out of Cilium's implicit "same namespace as the policy".
        const ns = selectorToCilium(er.namespaceSelector, 'namespace').map((s) =>
          hasKey(s, POD_NAMESPACE)
            ? s
            : mergeSelectors([s, { matchExpressions: [{ key: POD_NAMESPACE, operator: 'Exists' }] }]),
        );
        sels = cross(sels, ns);
      } else if (p.namespace !== undefined) {
        // Calico keeps a namespaced policy's selectors in its namespace, even when they name another.
        sels = sels.map((s) =>
          hasKey(s, POD_NAMESPACE) ? mergeSelectors([s, { matchLabels: { [POD_NAMESPACE]: p.namespace! } }]) : s,
        );
      }
      if (er.serviceAccounts?.names && er.serviceAccounts.names.length > 0)
        sels = cross(sels, [
          { matchExpressions: [{ key: SERVICE_ACCOUNT, operator: 'In', values: [...er.serviceAccounts.names] }] },
        ]);
      if (sels.length === 0) throw new Inexpressible('the selector matches nothing');
      this.noteNonPods(er, at);
      return { [`${from}Endpoints`]: sels };
    }
    if (er.nets || er.notNets) {
      const notNets = (er.notNets ?? []).map((n) => parseCidr(n)!);
      const nets = er.nets ?? (notNets.some((n) => n.version === 6) ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0']);
      const set = nets.map((n) => {
        const c = parseCidr(n)!;
        // An except outside the CIDR changes nothing in Calico and is refused by Cilium.
        const except = notNets
          .filter(
            (x) =>
              x.version === c.version && x.prefix > c.prefix && cidrContains(c, { version: x.version, value: x.base }),
          )
          .map((x) => cidrWithPrefix(x.text));
        const whole = notNets.some(
          (x) =>
            x.version === c.version && x.prefix <= c.prefix && cidrContains(x, { version: c.version, value: c.base }),
        );
        return whole ? undefined : { cidr: cidrWithPrefix(n), ...(except.length > 0 ? { except } : {}) };
      });
      const kept = set.filter((x) => x !== undefined);
      if (kept.length === 0) throw new Inexpressible('notNets exclude every net');
      this.ruleNote(
        at,
        'Cilium CIDR rules match addresses outside the cluster only; pods and nodes inside these nets are not matched',
      );
      return { [`${from}CIDRSet`]: kept };
    }
    if (er.domains) {
      const fqdns = er.domains.map((d) => {
        const name = d.toLowerCase();
        return name.includes('*') ? { matchPattern: name } : { matchName: name };
      });
      if (er.domains.some((d) => d.startsWith('*.')))
        this.ruleNote(at, 'a Cilium "*." pattern matches one label; Calico\'s wildcard also matches deeper subdomains');
      this.ruleNote(
        at,
        "toFQDNs needs a DNS rule (toPorts rules.dns) on the workload's DNS traffic for Cilium to learn the addresses",
      );
      return { toFQDNs: fqdns };
    }
    return { [`${from}Entities`]: ['all'] };
  }

  /** Calico selectors also match network sets and host endpoints; Cilium endpoint selectors do not. */
  private noteNonPods(er: EntityRule, at: string): void {
    const match = entityMatcher(this.model, this.policy, er);
    const others: Holder[] = [
      ...this.model.networkSets.map((s) => ({
        kind: s.kind,
        labels: s.labels,
        ...(s.namespace ? { namespace: s.namespace } : {}),
      })),
      ...this.model.endpoints
        .filter((e) => e.kind === 'HostEndpoint')
        .map((e) => ({ kind: e.kind, labels: e.labels, endpoint: e })),
    ];
    const hit = others.filter((h) => match(h));
    if (hit.length > 0)
      this.ruleNote(
        at,
        `the selector also matches ${hit.length} network set(s) or host endpoint(s), which Cilium endpoint selectors do not`,
      );
  }

  /** L4 part: toPorts or icmps. */
  private ports(r: Rule, dir: 'ingress' | 'egress'): Record<string, unknown> {
    const local = dir === 'ingress' ? r.destination : r.source;
    const problems: string[] = [];
    if (r.notProtocol !== undefined) problems.push('notProtocol');
    if (r.notICMP) problems.push('notICMP');
    if (r.ipVersion !== undefined) problems.push('ipVersion');
    if (r.source.ports || r.source.notPorts || r.destination.notPorts) problems.push('notPorts or source ports');
    if (
      local.nets ||
      local.notNets ||
      local.selector ||
      local.notSelector ||
      local.namespaceSelector ||
      local.serviceAccounts ||
      local.domains
    )
      problems.push(`matches on the ${dir === 'ingress' ? 'destination' : 'source'} (the policy's own endpoint)`);
    if (problems.length > 0) throw new Inexpressible(problems.join(', '));
    if (r.protocol === undefined) return {};
    const name = PORT_PROTOCOLS.get(r.protocol);
    if (name) {
      const ports = r.destination.ports ? portEntries(r.destination.ports, name) : [{ port: '0', protocol: name }];
      // Cilium takes at most 40 ports per entry; more become further entries (they OR).
      const chunks: Record<string, unknown>[] = [];
      for (let i = 0; i < ports.length; i += 40) chunks.push({ ports: ports.slice(i, i + 40) });
      return { toPorts: chunks };
    }
    if (r.protocol === 1 || r.protocol === 58) {
      if (r.icmp?.type === undefined) throw new Inexpressible('ICMP without a type (Cilium matches ICMP by type only)');
      if (r.icmp.code !== undefined) throw new Inexpressible('ICMP code');
      return { icmps: [{ fields: [{ type: r.icmp.type, family: r.protocol === 1 ? 'IPv4' : 'IPv6' }] }] };
    }
    throw new Inexpressible(`protocol ${r.protocol}`);
  }

  rules(dir: 'ingress' | 'egress'): { allow: object[]; deny: object[] } {
    const p = this.policy;
    const allow: object[] = [];
    const deny: object[] = [];
    const list = dir === 'ingress' ? p.ingress : p.egress;
    for (const [i, r] of list.entries()) {
      const at = `/spec/${dir}/${i}`;
      if (r.action === 'Pass') {
        this.note(at, 'Pass has no Cilium equivalent (no tiers); rule left out');
        continue;
      }
      if (r.action === 'Log') {
        this.note(at, 'Log has no Cilium equivalent (use Hubble flow logs); rule left out');
        continue;
      }
      this.pending = [];
      try {
        const peer = this.peer(dir === 'ingress' ? r.source : r.destination, dir, at);
        const l4 = this.ports(r, dir);
        if (r.action === 'Deny') {
          if ('toFQDNs' in peer) throw new Inexpressible('domains in a Deny rule (Cilium deny rules have no toFQDNs)');
          // Order only matters when an Allow could come first: earlier in this policy, or elsewhere.
          const allowsBefore =
            list.slice(0, i).some((x) => x.action === 'Allow') || this.model.policies.some((o) => o !== p && !o.staged);
          if (allowsBefore)
            this.ruleNote(at, 'Cilium deny rules win over every allow, whatever Calico order or tier put before them');
          deny.push({ ...peer, ...l4 });
        } else allow.push({ ...peer, ...l4 });
        this.notes.push(...this.pending);
      } catch (err) {
        if (!(err instanceof Inexpressible)) throw err;
        this.note(at, `not expressible (${err.message}); rule left out`);
      }
    }
    return { allow, deny };
  }
}

function policyLabel(p: Policy): string {
  return `${p.staged ? 'Staged' : ''}${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

/** Names Cilium accepts (Kubernetes object names); Kubernetes policies lose Calico's prefix. */
function ciliumName(p: Policy): string {
  return p.kind === 'KubernetesNetworkPolicy' ? p.name.replace(/^knp\.default\./, '') : p.name;
}

/**
 * Enforced policies as Cilium policies. What Cilium has no word for — tiers and order, Pass, Log,
 * notPorts/notProtocol/notICMP, `contains`/`starts with`/`ends with`, `global()`, service account
 * selectors, matches on the policy's own side, nets AND selectors — is reported; a rule that
 * cannot be expressed is left out, a policy whose selector cannot is not exported.
 */
export function exportCiliumPolicies(model: PolicyModel): CiliumExport {
  const notes: FidelityNote[] = [];
  const documents: Record<string, unknown>[] = [];
  const sorted = [...model.policies].sort((a, b) => {
    const ka = `${a.namespace ?? ''}/${a.name}`;
    const kb = `${b.namespace ?? ''}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const p of sorted) {
    const label = policyLabel(p);
    const note = (path: string, problem: string) => notes.push({ policy: label, path, problem });
    if (p.staged) {
      note('', 'staged policies have no Cilium equivalent; not exported');
      continue;
    }
    const saSel = p.serviceAccountSelector?.trim();
    if (saSel && saSel !== 'all()') {
      note('/spec/serviceAccountSelector', 'service account selectors have no Cilium equivalent; not exported');
      continue;
    }
    let endpointSelectors: CiliumLabelSelector[];
    try {
      endpointSelectors = selectorToCilium(p.selector);
      if (p.namespaceSelector !== undefined)
        endpointSelectors = cross(endpointSelectors, selectorToCilium(p.namespaceSelector, 'namespace'));
    } catch (err) {
      if (!(err instanceof Inexpressible)) throw err;
      note('/spec/selector', `not expressible (${err.message}); not exported`);
      continue;
    }
    if (endpointSelectors.length === 0) {
      note('/spec/selector', 'the selector matches nothing; not exported');
      continue;
    }
    if (p.tier !== 'default' || (p.order !== undefined && p.kind !== 'KubernetesNetworkPolicy'))
      note('/spec', 'tier and order are lost: Cilium policies are unordered (allows add up, denies win)');
    if (p.namespace === undefined) {
      const selects = compileSelector(p.selector);
      if (model.endpoints.some((e) => e.kind === 'HostEndpoint' && selects(e.labels, true)))
        note('/spec/selector', 'selects host endpoints; Cilium host policies need a nodeSelector and are not written');
    }
    const t = new PolicyTranslation(model, p, label);
    const ingress = p.types.includes('Ingress') ? t.rules('ingress') : { allow: [], deny: [] };
    const egress = p.types.includes('Egress') ? t.rules('egress') : { allow: [], deny: [] };
    notes.push(...t.notes);
    // Calico denies what no rule matched at the end of the tier, unless the tier passes by default
    // or the policy passes to later tiers; Cilium has no later tiers, so those do not isolate here.
    const tierPasses = model.tiers.find((x) => x.name === p.tier)?.defaultAction === 'Pass';
    const isolates = (dir: 'Ingress' | 'Egress') => {
      if (!p.types.includes(dir)) return false;
      const passes = (dir === 'Ingress' ? p.ingress : p.egress).some((r) => r.action === 'Pass');
      if (tierPasses || passes)
        note(
          `/spec/${dir.toLowerCase()}`,
          `traffic no rule decides goes to later tiers in Calico; Cilium default deny for ${dir.toLowerCase()} is not enabled by this policy`,
        );
      return !(tierPasses || passes);
    };
    const body = {
      ...(ingress.allow.length > 0 ? { ingress: ingress.allow } : {}),
      ...(ingress.deny.length > 0 ? { ingressDeny: ingress.deny } : {}),
      ...(egress.allow.length > 0 ? { egress: egress.allow } : {}),
      ...(egress.deny.length > 0 ? { egressDeny: egress.deny } : {}),
      // Calico's types say which directions the policy isolates, with or without rules.
      enableDefaultDeny: { ingress: isolates('Ingress'), egress: isolates('Egress') },
    };
    const specs = endpointSelectors.map((endpointSelector) => ({ endpointSelector, ...body }));
    documents.push({
      apiVersion: 'cilium.io/v2',
      kind: p.namespace === undefined ? 'CiliumClusterwideNetworkPolicy' : 'CiliumNetworkPolicy',
      metadata: { name: ciliumName(p), ...(p.namespace !== undefined ? { namespace: p.namespace } : {}) },
      // A selector that is an OR becomes one spec per alternative (`specs`).
      ...(specs.length === 1 ? { spec: specs[0] } : { specs }),
    });
  }
  return {
    documents,
    yaml: documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'),
    exported: documents.length,
    notes,
  };
}
