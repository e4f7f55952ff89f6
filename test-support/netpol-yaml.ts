// Test support: the Calico WorkloadEndpoint documents lab tests describe their workloads with, so a
// test states only what differs (name, interface, addresses) and its policies stay in plain YAML.

export interface LabEndpoint {
  readonly name: string;
  /** The Kubernetes namespace; 'default' when absent. */
  readonly namespace?: string;
  /** The endpoint's `app` label; its name when absent. */
  readonly app?: string;
  /** The node-side interface that carries the workload's traffic. */
  readonly interfaceName: string;
  /** Its addresses, each a /32. */
  readonly ips: readonly string[];
}

/** One WorkloadEndpoint document (no trailing separator). */
export function workloadEndpoint(e: LabEndpoint): string {
  return `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: ${e.name}, namespace: ${e.namespace ?? 'default'}, labels: { app: ${e.app ?? e.name} } }
spec: { interfaceName: ${e.interfaceName}, ipNetworks: [${e.ips.map((ip) => `${ip}/32`).join(', ')}] }
`;
}

/** YAML documents joined into one multi-document text. */
export const yamlDocs = (...docs: string[]): string => `${docs.map((d) => d.trimEnd()).join('\n---\n')}\n`;

export interface IngressAllow {
  /** A namespaced NetworkPolicy when `namespace` is given, else a GlobalNetworkPolicy. */
  readonly name: string;
  readonly namespace?: string;
  /** The `app` label of the workloads the policy selects (its ingress is isolated by it). */
  readonly to: string;
  /** The `app` label of the workloads it lets in. */
  readonly from: string;
  readonly ports: readonly number[];
}

/** A policy that lets workloads labelled app=`from` reach app=`to` on the given TCP ports, nothing else. */
export function allowIngress(p: IngressAllow): string {
  const metadata = p.namespace ? `{ name: ${p.name}, namespace: ${p.namespace} }` : `{ name: ${p.name} }`;
  return `apiVersion: projectcalico.org/v3
kind: ${p.namespace ? 'NetworkPolicy' : 'GlobalNetworkPolicy'}
metadata: ${metadata}
spec:
  selector: app == '${p.to}'
  types: [Ingress]
  ingress:
    - { action: Allow, protocol: TCP, source: { selector: app == '${p.from}' }, destination: { ports: [${p.ports.join(', ')}] } }
`;
}
