// Writes the model back out: Calico v3 YAML (everything), and Kubernetes NetworkPolicy YAML with a
// fidelity report naming, per policy and field, what Kubernetes cannot express and was left out.

import { stringify } from 'yaml';
import type { K8sLabelSelector } from '../model/k8s-policy.js';
import {
  type EntityRule,
  type Policy,
  type PolicyModel,
  type PortMatch,
  protocolName,
  type Rule,
} from '../model/types.js';
import { parseSelector, type SelectorAst } from '../selector/selector.js';

export interface FidelityNote {
  readonly policy: string;
  readonly path: string;
  readonly problem: string;
}

export interface KubernetesExport {
  readonly yaml: string;
  readonly exported: number;
  readonly notes: readonly FidelityNote[];
}

const portText = (p: PortMatch): string | number =>
  'name' in p ? p.name : p.from === p.to ? p.from : `${p.from}:${p.to}`;

function calicoEntity(er: EntityRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (er.nets) out.nets = [...er.nets];
  if (er.notNets) out.notNets = [...er.notNets];
  // Calico marks Kubernetes peers this way so that they never match network sets or hosts.
  const selector = er.workloadsOnly
    ? `projectcalico.org/orchestrator == 'k8s' && (${er.selector ?? 'all()'})`
    : er.selector;
  if (selector !== undefined) out.selector = selector;
  if (er.notSelector !== undefined) out.notSelector = er.notSelector;
  if (er.namespaceSelector !== undefined) out.namespaceSelector = er.namespaceSelector;
  if (er.serviceAccounts) out.serviceAccounts = er.serviceAccounts;
  if (er.ports) out.ports = er.ports.map(portText);
  if (er.notPorts) out.notPorts = er.notPorts.map(portText);
  if (er.domains) out.domains = [...er.domains];
  return out;
}

function calicoRule(r: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { action: r.action };
  if (r.protocol !== undefined) out.protocol = protocolName(r.protocol);
  if (r.notProtocol !== undefined) out.notProtocol = protocolName(r.notProtocol);
  if (r.ipVersion) out.ipVersion = r.ipVersion;
  if (r.icmp) out.icmp = { ...r.icmp };
  if (r.notICMP) out.notICMP = { ...r.notICMP };
  const source = calicoEntity(r.source);
  const destination = calicoEntity(r.destination);
  if (Object.keys(source).length > 0) out.source = source;
  if (Object.keys(destination).length > 0) out.destination = destination;
  return out;
}

/** Every tier, policy and network set as `projectcalico.org/v3` documents (loads back unchanged). */
export function exportCalicoYaml(model: PolicyModel): string {
  const docs: object[] = [];
  for (const t of model.tiers) {
    if (t.name === 'default') continue;
    docs.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: t.name },
      spec: { ...(t.order !== undefined ? { order: t.order } : {}), defaultAction: t.defaultAction },
    });
  }
  for (const s of model.networkSets) {
    docs.push({
      apiVersion: 'projectcalico.org/v3',
      kind: s.kind,
      metadata: { name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}), labels: { ...s.labels } },
      spec: {
        nets: [...s.nets],
        ...(s.allowedEgressDomains ? { allowedEgressDomains: [...s.allowedEgressDomains] } : {}),
      },
    });
  }
  for (const p of model.policies) docs.push(calicoPolicyDocument(p));
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

/** One policy as its `projectcalico.org/v3` document (staged kinds stay staged). */
export function calicoPolicyDocument(p: Policy): Record<string, unknown> {
  const global = p.kind === 'GlobalNetworkPolicy';
  const kind = `${p.staged ? 'Staged' : ''}${global ? 'GlobalNetworkPolicy' : 'NetworkPolicy'}`;
  const selector =
    p.kind === 'KubernetesNetworkPolicy' ? `projectcalico.org/orchestrator == 'k8s' && (${p.selector})` : p.selector;
  return {
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: { name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}) },
    spec: {
      tier: p.tier,
      ...(p.order !== undefined ? { order: p.order } : {}),
      selector,
      ...(p.namespaceSelector !== undefined ? { namespaceSelector: p.namespaceSelector } : {}),
      ...(p.serviceAccountSelector !== undefined ? { serviceAccountSelector: p.serviceAccountSelector } : {}),
      types: [...p.types],
      ...(p.ingress.length > 0 ? { ingress: p.ingress.map(calicoRule) } : {}),
      ...(p.egress.length > 0 ? { egress: p.egress.map(calicoRule) } : {}),
      ...(p.staged && p.stagedAction === 'Delete' ? { stagedAction: 'Delete' } : {}),
    },
  };
}

/** A Calico selector as a Kubernetes label selector, when it is a conjunction Kubernetes has. */
export function selectorToLabelSelector(text: string): K8sLabelSelector | undefined {
  const ast = parseSelector(text);
  const terms: SelectorAst[] = ast.kind === 'and' ? [...ast.items] : [ast];
  const out: Required<K8sLabelSelector> = { matchLabels: {}, matchExpressions: [] };
  for (const t of terms) {
    if (t.kind === 'all') continue;
    if (t.kind === 'eq') out.matchLabels[t.key] = t.value;
    else if (t.kind === 'in') out.matchExpressions.push({ key: t.key, operator: 'In', values: [...t.values] });
    else if (t.kind === 'notIn') out.matchExpressions.push({ key: t.key, operator: 'NotIn', values: [...t.values] });
    // Calico's != matches an absent label, and so does Kubernetes NotIn.
    else if (t.kind === 'ne') out.matchExpressions.push({ key: t.key, operator: 'NotIn', values: [t.value] });
    else if (t.kind === 'has') out.matchExpressions.push({ key: t.key, operator: 'Exists' });
    else if (t.kind === 'not' && t.expr.kind === 'has')
      out.matchExpressions.push({ key: t.expr.key, operator: 'DoesNotExist' });
    else return undefined;
  }
  return {
    ...(Object.keys(out.matchLabels).length > 0 ? { matchLabels: out.matchLabels } : {}),
    ...(out.matchExpressions.length > 0 ? { matchExpressions: out.matchExpressions } : {}),
  };
}

/**
 * Namespaced Allow-only policies become Kubernetes NetworkPolicies. What Kubernetes has no word
 * for (global policies, tiers and order, Deny/Pass/Log, notNets without nets, notSelector, ICMP,
 * source ports, named ports in ranges, selectors beyond conjunctions) is left out and reported.
 */
export function exportKubernetesNetworkPolicies(model: PolicyModel): KubernetesExport {
  const notes: FidelityNote[] = [];
  const docs: object[] = [];
  for (const p of model.policies) {
    const label = `${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
    const note = (path: string, problem: string) => notes.push({ policy: label, path, problem });
    if (p.staged) {
      note('', 'staged policies have no Kubernetes equivalent; not exported');
      continue;
    }
    if (p.namespace === undefined) {
      note('', 'global policies have no Kubernetes equivalent; not exported');
      continue;
    }
    const podSelector = selectorToLabelSelector(p.selector);
    if (!podSelector) {
      note('/spec/selector', `selector "${p.selector}" is not a conjunction Kubernetes can express; not exported`);
      continue;
    }
    if (p.tier !== 'default' || (p.order !== undefined && p.kind !== 'KubernetesNetworkPolicy'))
      note('/spec', 'tier and order are lost: Kubernetes policies are unordered and only allow');
    if (p.namespaceSelector !== undefined || p.serviceAccountSelector !== undefined)
      note('/spec', 'namespaceSelector/serviceAccountSelector on the policy are not expressible; ignored');
    const rules = (dir: 'ingress' | 'egress') => {
      const out: object[] = [];
      (dir === 'ingress' ? p.ingress : p.egress).forEach((r, i) => {
        const at = `/spec/${dir}/${i}`;
        if (r.action !== 'Allow') {
          note(
            at,
            `${r.action} rules are not expressible (Kubernetes only allows); left out, so traffic they matched is now decided by later rules`,
          );
          return;
        }
        const peerSide = dir === 'ingress' ? r.source : r.destination;
        const portSide = r.destination;
        const problems: string[] = [];
        if (r.notProtocol !== undefined || r.icmp || r.notICMP || r.ipVersion)
          problems.push('notProtocol/ICMP/ipVersion');
        if (r.protocol !== undefined && ![6, 17, 132].includes(r.protocol))
          problems.push(`protocol ${protocolName(r.protocol)}`);
        if (peerSide.notSelector !== undefined || peerSide.serviceAccounts || peerSide.domains)
          problems.push('notSelector/serviceAccounts/domains');
        if (peerSide.notNets && !peerSide.nets) problems.push('notNets without nets');
        if ((peerSide.nets?.length ?? 0) > 1 && peerSide.notNets) problems.push('several nets with notNets');
        if (peerSide.nets && (peerSide.selector !== undefined || peerSide.namespaceSelector !== undefined))
          problems.push('nets together with selectors');
        if (
          portSide.notPorts ||
          r.source.ports ||
          (dir === 'egress' && r.source.nets) ||
          (dir === 'ingress' && (r.destination.nets || r.destination.selector))
        )
          problems.push('notPorts, source ports or matches on the local side');
        const podSel = peerSide.selector !== undefined ? selectorToLabelSelector(peerSide.selector) : undefined;
        const nsSel =
          peerSide.namespaceSelector !== undefined ? selectorToLabelSelector(peerSide.namespaceSelector) : undefined;
        if ((peerSide.selector !== undefined && !podSel) || (peerSide.namespaceSelector !== undefined && !nsSel))
          problems.push('selectors beyond conjunctions, or global()');
        if (problems.length > 0) {
          note(at, `not expressible (${problems.join('; ')}); rule left out`);
          return;
        }
        let peers: object[] | undefined;
        if (peerSide.nets)
          peers = peerSide.nets.map((cidr) => ({
            ipBlock: { cidr, ...(peerSide.notNets ? { except: [...peerSide.notNets] } : {}) },
          }));
        else if (podSel || nsSel)
          peers = [{ ...(podSel ? { podSelector: podSel } : {}), ...(nsSel ? { namespaceSelector: nsSel } : {}) }];
        if (peers && !peerSide.workloadsOnly && podSel && !nsSel)
          note(
            at,
            'Calico selectors also match network sets and host endpoints; the Kubernetes podSelector matches pods only',
          );
        const protocol = r.protocol === undefined ? undefined : protocolName(r.protocol);
        let ports: object[] | undefined;
        if (portSide.ports)
          ports = portSide.ports.map((pm) => ({
            protocol,
            ...('name' in pm ? { port: pm.name } : { port: pm.from, ...(pm.to !== pm.from ? { endPort: pm.to } : {}) }),
          }));
        else if (protocol) ports = [{ protocol }];
        out.push({ ...(peers ? { [dir === 'ingress' ? 'from' : 'to']: peers } : {}), ...(ports ? { ports } : {}) });
      });
      return out;
    };
    docs.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: p.name.replace(/^knp\.default\./, ''), namespace: p.namespace },
      spec: {
        podSelector,
        policyTypes: [...p.types],
        ...(p.types.includes('Ingress') ? { ingress: rules('ingress') } : {}),
        ...(p.types.includes('Egress') ? { egress: rules('egress') } : {}),
      },
    });
  }
  return { yaml: docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'), exported: docs.length, notes };
}
