// Reads multi-document policy YAML (projectcalico.org/v3, palisade.dev/v1, networking.k8s.io/v1)
// into one validated PolicyModel. Every error names the file, the document index, the path and,
// for selectors, the character position.

import { InputError } from '@palisade/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { parseSelector, SelectorError } from '../selector/selector.js';
import { parseCidr } from './cidr.js';
import { convertK8sNetworkPolicy, type K8sNetworkPolicySpec } from './k8s-policy.js';
import { DOCUMENT_SCHEMAS } from './schema.js';
import {
  type Direction,
  type EgressGatewayPolicy,
  type Endpoint,
  type EntityRule,
  type IcmpMatch,
  type NamedPort,
  type NetworkSet,
  type Policy,
  type PolicyModel,
  type PortMatch,
  PROTOCOL_NUMBERS,
  type Rule,
  type Tier,
} from './types.js';

export interface PolicyInput {
  readonly path: string;
  readonly text: string;
}

const CALICO_GROUPS = new Set(['projectcalico.org/v3', 'palisade.dev/v1']);

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<string, ValidateFunction>();
function validatorFor(kind: string): ValidateFunction | undefined {
  let v = validators.get(kind);
  if (!v) {
    const schema = DOCUMENT_SCHEMAS.get(kind);
    if (!schema) return undefined;
    v = ajv.compile(schema);
    validators.set(kind, v);
  }
  return v;
}

function describeAjvError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum')
    return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
  if (e.keyword === 'not') return `${at}: not allowed for this kind`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

/* biome-ignore lint/suspicious/noExplicitAny: raw YAML, typed by the schema that just validated it */
type Raw = any;

class DocumentContext {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly label: string,
  ) {}
  fail(path: string, reason: string): never {
    throw new InputError(`${this.file}: document ${this.index} (${this.label}): ${path}: ${reason}`);
  }
  selector(path: string, text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    try {
      parseSelector(text);
    } catch (err) {
      if (err instanceof SelectorError)
        this.fail(path, `invalid selector at position ${err.position}: ${err.reason}: "${text}"`);
      throw err;
    }
    return text;
  }
  nets(path: string, nets: string[] | undefined): string[] | undefined {
    if (!nets) return undefined;
    nets.forEach((n, i) => {
      if (!parseCidr(n)) this.fail(`${path}/${i}`, `not an IP address or CIDR: "${n}"`);
    });
    return nets;
  }
  protocol(path: string, p: string | number | undefined): number | undefined {
    if (p === undefined) return undefined;
    if (typeof p === 'number') return p;
    const n = PROTOCOL_NUMBERS.get(p.toUpperCase());
    if (n === undefined) this.fail(path, `unknown protocol "${p}" (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number)`);
    return n;
  }
  ports(path: string, ports: (string | number)[] | undefined): PortMatch[] | undefined {
    if (!ports) return undefined;
    return ports.map((p, i) => {
      if (typeof p === 'number') return { from: p, to: p };
      const range = p.match(/^(\d+):(\d+)$/);
      if (range) {
        const from = Number(range[1]);
        const to = Number(range[2]);
        if (from > to || to > 65535) this.fail(`${path}/${i}`, `bad port range "${p}"`);
        return { from, to };
      }
      if (/^\d+$/.test(p)) {
        const n = Number(p);
        if (n > 65535) this.fail(`${path}/${i}`, `port out of range "${p}"`);
        return { from: n, to: n };
      }
      if (!/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/i.test(p))
        this.fail(`${path}/${i}`, `not a port, range or port name: "${p}"`);
      return { name: p };
    });
  }
}

function entity(ctx: DocumentContext, path: string, raw: Raw): EntityRule {
  if (!raw) return {};
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  put('nets', ctx.nets(`${path}/nets`, raw.nets));
  put('notNets', ctx.nets(`${path}/notNets`, raw.notNets));
  put('selector', ctx.selector(`${path}/selector`, raw.selector));
  put('notSelector', ctx.selector(`${path}/notSelector`, raw.notSelector));
  put('namespaceSelector', ctx.selector(`${path}/namespaceSelector`, raw.namespaceSelector));
  if (raw.serviceAccounts) {
    ctx.selector(`${path}/serviceAccounts/selector`, raw.serviceAccounts.selector);
    out.serviceAccounts = raw.serviceAccounts;
  }
  put('ports', ctx.ports(`${path}/ports`, raw.ports));
  put('notPorts', ctx.ports(`${path}/notPorts`, raw.notPorts));
  put('domains', raw.domains);
  return out as EntityRule;
}

function rule(ctx: DocumentContext, path: string, raw: Raw): Rule {
  const protocol = ctx.protocol(`${path}/protocol`, raw.protocol);
  const out: Record<string, unknown> = {
    action: raw.action,
    source: entity(ctx, `${path}/source`, raw.source),
    destination: entity(ctx, `${path}/destination`, raw.destination),
  };
  if (protocol !== undefined) out.protocol = protocol;
  const notProtocol = ctx.protocol(`${path}/notProtocol`, raw.notProtocol);
  if (notProtocol !== undefined) out.notProtocol = notProtocol;
  if (raw.ipVersion) out.ipVersion = raw.ipVersion;
  const hasPorts = (e: Raw) => e && (e.ports || e.notPorts);
  // Calico: ports only mean something for protocols that have them.
  if ((hasPorts(raw.source) || hasPorts(raw.destination)) && ![6, 17, 132, 136].includes(protocol ?? -1)) {
    ctx.fail(`${path}/protocol`, 'ports and notPorts need protocol TCP, UDP, SCTP or UDPLite');
  }
  for (const k of ['icmp', 'notICMP'] as const) {
    if (!raw[k]) continue;
    if (protocol !== 1 && protocol !== 58) ctx.fail(`${path}/${k}`, `${k} needs protocol ICMP or ICMPv6`);
    if (raw[k].code !== undefined && raw[k].type === undefined)
      ctx.fail(`${path}/${k}/code`, 'an ICMP code needs a type');
    out[k] = raw[k] as IcmpMatch;
  }
  if (raw.metadata?.annotations?.name) out.name = String(raw.metadata.annotations.name);
  return out as unknown as Rule;
}

function policy(ctx: DocumentContext, raw: Raw, kind: string, source: string): Policy {
  const spec = raw.spec ?? {};
  const global = kind.includes('Global');
  const staged = kind.startsWith('Staged');
  const ingress = (spec.ingress ?? []).map((r: Raw, i: number) => rule(ctx, `/spec/ingress/${i}`, r));
  const egress = (spec.egress ?? []).map((r: Raw, i: number) => rule(ctx, `/spec/egress/${i}`, r));
  // Calico's default for types: Ingress and Egress when both have rules, Egress when only egress
  // has rules, otherwise Ingress (so an empty policy isolates ingress).
  const types: Direction[] =
    spec.types ?? (egress.length > 0 ? (ingress.length > 0 ? ['Ingress', 'Egress'] : ['Egress']) : ['Ingress']);
  const out: Record<string, unknown> = {
    kind: global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
    staged,
    name: raw.metadata.name,
    tier: spec.tier ?? 'default',
    selector: ctx.selector('/spec/selector', spec.selector ?? 'all()'),
    types,
    ingress,
    egress,
    source,
  };
  if (!global) out.namespace = raw.metadata.namespace ?? 'default';
  if (staged) out.stagedAction = spec.stagedAction ?? 'Set';
  if (spec.order !== undefined) out.order = spec.order;
  if (spec.namespaceSelector !== undefined)
    out.namespaceSelector = ctx.selector('/spec/namespaceSelector', spec.namespaceSelector);
  if (spec.serviceAccountSelector !== undefined)
    out.serviceAccountSelector = ctx.selector('/spec/serviceAccountSelector', spec.serviceAccountSelector);
  return out as unknown as Policy;
}

function namedPorts(ctx: DocumentContext, raw: Raw): NamedPort[] {
  return (raw ?? []).map((p: Raw, i: number) => ({
    name: p.name,
    port: p.port,
    protocol: ctx.protocol(`/spec/ports/${i}/protocol`, p.protocol ?? 'TCP')!,
  }));
}

function endpointIps(ctx: DocumentContext, path: string, list: string[] | undefined): string[] {
  // WorkloadEndpoint ipNetworks are written as /32 or /128; we keep the addresses.
  return (ctx.nets(path, list) ?? []).map((n) => n.split('/')[0]!);
}

/** Kubernetes peers: an ipBlock stands alone, and its CIDRs must parse. */
function checkIpBlocks(ctx: DocumentContext, spec: Raw): void {
  for (const dir of ['ingress', 'egress'] as const) {
    const rules: Raw[] = spec[dir] ?? [];
    rules.forEach((r, i) => {
      const peers: Raw[] = r.from ?? r.to ?? [];
      peers.forEach((peer, j) => {
        const at = `/spec/${dir}/${i}/${dir === 'ingress' ? 'from' : 'to'}/${j}`;
        if (peer.ipBlock) ctx.nets(`${at}/ipBlock`, [peer.ipBlock.cidr, ...(peer.ipBlock.except ?? [])]);
        if (peer.ipBlock && (peer.podSelector || peer.namespaceSelector))
          ctx.fail(at, 'ipBlock cannot be combined with podSelector or namespaceSelector');
      });
    });
  }
}

function egressGateway(ctx: DocumentContext, raw: Raw, source: string): EgressGatewayPolicy {
  const spec = raw.spec;
  const gw = spec.gateway;
  const dest = spec.destination;
  const address = (path: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const c = parseCidr(text);
    if (!c || text.includes('/')) ctx.fail(path, `not an IP address: "${text}"`);
    return c;
  };
  const src = address('/spec/gateway/sourceAddress', gw.sourceAddress)!;
  const hop = address('/spec/gateway/nextHop', gw.nextHop);
  if (hop && hop.version !== src.version)
    ctx.fail('/spec/gateway/nextHop', 'nextHop and sourceAddress must be of the same IP family');
  const nets = ctx.nets('/spec/destination/nets', dest.nets);
  for (const [i, n] of (nets ?? []).entries())
    if (parseCidr(n)!.version !== src.version)
      ctx.fail(`/spec/destination/nets/${i}`, 'destination nets must be of the sourceAddress’s IP family');
  return {
    name: raw.metadata.name,
    ...(spec.order !== undefined ? { order: spec.order } : {}),
    selector: ctx.selector('/spec/selector', spec.selector)!,
    destination: {
      ...(nets ? { nets } : {}),
      ...(dest.domains ? { domains: dest.domains } : {}),
      ...(dest.selector !== undefined ? { selector: ctx.selector('/spec/destination/selector', dest.selector) } : {}),
    },
    gateway: {
      sourceAddress: gw.sourceAddress,
      ...(gw.nextHop ? { nextHop: gw.nextHop } : {}),
      ...(gw.interface ? { interface: gw.interface } : {}),
      ...(gw.table !== undefined ? { table: gw.table } : {}),
    },
    source,
  };
}

/** Loads and validates every document of every input into one model. Throws InputError. */
export function loadPolicyModel(inputs: readonly PolicyInput[]): PolicyModel {
  const tiers = new Map<string, Tier>([['default', { name: 'default', order: 1_000_000, defaultAction: 'Deny' }]]);
  const policies: Policy[] = [];
  const networkSets: NetworkSet[] = [];
  const endpoints: Endpoint[] = [];
  const namespaces = new Map<string, Record<string, string>>();
  const egressGateways: EgressGatewayPolicy[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const docs = parseAllDocuments(input.text, { prettyErrors: false });
    if (!Array.isArray(docs)) throw new InputError(`${input.path}: not a YAML document stream`);
    docs.forEach((yamlDoc, index) => {
      if (yamlDoc.errors.length > 0) {
        throw new InputError(`${input.path}: document ${index}: YAML error: ${yamlDoc.errors[0]!.message}`);
      }
      const raw: Raw = yamlDoc.toJS({ maxAliasCount: 100 });
      if (raw === null || raw === undefined) return; // empty document between separators
      if (typeof raw !== 'object' || Array.isArray(raw))
        throw new InputError(`${input.path}: document ${index}: not a mapping`);
      const apiVersion = String(raw.apiVersion ?? '');
      let kind = String(raw.kind ?? '');
      if (apiVersion === 'networking.k8s.io/v1' && kind === 'NetworkPolicy') kind = 'KubernetesNetworkPolicy';
      else if (apiVersion === 'v1' && kind === 'Namespace') kind = 'Namespace';
      else if (!CALICO_GROUPS.has(apiVersion) || kind === 'Namespace' || kind === 'KubernetesNetworkPolicy') {
        throw new InputError(
          `${input.path}: document ${index}: unsupported apiVersion/kind "${apiVersion}" ${JSON.stringify(raw.kind)} (expected projectcalico.org/v3, palisade.dev/v1 or networking.k8s.io/v1 NetworkPolicy)`,
        );
      }
      const validate = validatorFor(kind);
      if (!validate) throw new InputError(`${input.path}: document ${index}: unsupported kind "${kind}"`);
      const ctx = new DocumentContext(input.path, index, `${raw.kind}/${raw.metadata?.name ?? '?'}`);
      if (!validate(raw)) ctx.fail('', describeAjvError(validate.errors![0]!).replace(/^\/?/, '/'));
      const ns: string | undefined = raw.metadata.namespace;
      const identity = `${kind}/${ns ?? ''}/${raw.metadata.name}`;
      if (seen.has(identity)) ctx.fail('/metadata/name', 'defined twice');
      seen.add(identity);
      const labels: Record<string, string> = raw.metadata.labels ?? {};
      switch (kind) {
        case 'Tier':
          tiers.set(raw.metadata.name, {
            name: raw.metadata.name,
            ...(raw.spec?.order !== undefined ? { order: raw.spec.order } : {}),
            defaultAction: raw.spec?.defaultAction ?? 'Deny',
          });
          break;
        case 'NetworkPolicy':
        case 'GlobalNetworkPolicy':
        case 'StagedNetworkPolicy':
        case 'StagedGlobalNetworkPolicy':
          policies.push(policy(ctx, raw, kind, `${input.path}#${index}`));
          break;
        case 'KubernetesNetworkPolicy':
          policies.push(
            convertK8sNetworkPolicy(
              raw.metadata.name,
              ns ?? 'default',
              raw.spec as K8sNetworkPolicySpec,
              `${input.path}#${index}`,
            ),
          );
          checkIpBlocks(ctx, raw.spec);
          break;
        case 'NetworkSet':
        case 'GlobalNetworkSet':
          networkSets.push({
            kind,
            name: raw.metadata.name,
            ...(kind === 'NetworkSet' ? { namespace: ns ?? 'default' } : {}),
            labels,
            nets: ctx.nets('/spec/nets', raw.spec.nets) ?? [],
            ...(raw.spec.allowedEgressDomains ? { allowedEgressDomains: raw.spec.allowedEgressDomains } : {}),
          });
          break;
        case 'HostEndpoint':
          endpoints.push({
            kind,
            name: raw.metadata.name,
            labels,
            ips: endpointIps(ctx, '/spec/expectedIPs', raw.spec.expectedIPs),
            ...(raw.spec.interfaceName ? { interfaceName: raw.spec.interfaceName } : {}),
            ports: namedPorts(ctx, raw.spec.ports),
            profiles: raw.spec.profiles ?? [],
          });
          break;
        case 'WorkloadEndpoint':
          endpoints.push({
            kind,
            name: raw.metadata.name,
            namespace: ns ?? 'default',
            labels,
            ips: endpointIps(ctx, '/spec/ipNetworks', raw.spec.ipNetworks),
            ...(raw.spec.interfaceName ? { interfaceName: raw.spec.interfaceName } : {}),
            ports: namedPorts(ctx, raw.spec.ports),
            ...(raw.spec.serviceAccountName ? { serviceAccount: raw.spec.serviceAccountName } : {}),
            profiles: raw.spec.profiles ?? [],
          });
          break;
        case 'Namespace':
          namespaces.set(raw.metadata.name, labels);
          break;
        case 'EgressGatewayPolicy':
          if (apiVersion !== 'palisade.dev/v1') ctx.fail('/apiVersion', 'EgressGatewayPolicy is palisade.dev/v1');
          egressGateways.push(egressGateway(ctx, raw, `${input.path}#${index}`));
          break;
      }
    });
  }
  for (const p of policies) {
    if (!tiers.has(p.tier))
      throw new InputError(`${p.source}: policy ${p.name} uses tier "${p.tier}" that no Tier document defines`);
  }
  return { tiers: [...tiers.values()], policies, networkSets, endpoints, namespaces, egressGateways };
}
