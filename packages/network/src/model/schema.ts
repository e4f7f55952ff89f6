// JSON Schemas for the policy documents we accept, one per kind, with Calico's own field names.
// They check shape only; selectors, CIDRs and ports are checked by the loader, which knows positions.

const name = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
const labels = { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } };
const selector = { type: 'string', maxLength: 4096 };
const stringList = { type: 'array', items: { type: 'string' } };
const port = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 65535 },
    { type: 'string', minLength: 1 },
  ],
};
const protocol = {
  anyOf: [
    { type: 'integer', minimum: 1, maximum: 255 },
    { type: 'string', minLength: 1 },
  ],
};
const icmp = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'integer', minimum: 0, maximum: 254 },
    code: { type: 'integer', minimum: 0, maximum: 255 },
  },
};

const metadata = (namespaced: boolean) => ({
  type: 'object',
  required: ['name'],
  properties: {
    name,
    namespace: namespaced ? name : { not: {} },
    labels,
    annotations: { type: 'object' },
  },
});

const entityRule = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nets: stringList,
    notNets: stringList,
    selector,
    notSelector: selector,
    namespaceSelector: selector,
    serviceAccounts: {
      type: 'object',
      additionalProperties: false,
      properties: { names: stringList, selector },
    },
    services: { type: 'object' },
    ports: { type: 'array', items: port },
    notPorts: { type: 'array', items: port },
    domains: stringList,
  },
};

const rule = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { enum: ['Allow', 'Deny', 'Log', 'Pass'] },
    protocol,
    notProtocol: protocol,
    ipVersion: { enum: [4, 6] },
    icmp,
    notICMP: icmp,
    source: entityRule,
    destination: entityRule,
    http: { type: 'object' },
    metadata: { type: 'object' },
  },
};

const policySpec = (global: boolean, staged: boolean) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    tier: name,
    order: { type: 'number' },
    selector,
    ...(global
      ? {
          namespaceSelector: selector,
          doNotTrack: { type: 'boolean' },
          preDNAT: { type: 'boolean' },
          applyOnForward: { type: 'boolean' },
        }
      : {}),
    serviceAccountSelector: selector,
    types: { type: 'array', items: { enum: ['Ingress', 'Egress'] }, uniqueItems: true },
    ingress: { type: 'array', items: rule },
    egress: { type: 'array', items: rule },
    performanceHints: stringList,
    ...(staged ? { stagedAction: { enum: ['Set', 'Delete'] } } : {}),
  },
});

const doc = (namespaced: boolean, spec: object, specRequired = true) => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', ...(specRequired ? ['spec'] : [])],
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: metadata(namespaced), spec },
});

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: labels,
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        additionalProperties: false,
        properties: {
          key: { type: 'string', minLength: 1 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: stringList,
        },
      },
    },
  },
};

const k8sPort = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
    port,
    endPort: { type: 'integer', minimum: 1, maximum: 65535 },
  },
};
const k8sPeer = {
  type: 'object',
  additionalProperties: false,
  properties: {
    podSelector: labelSelector,
    namespaceSelector: labelSelector,
    ipBlock: {
      type: 'object',
      required: ['cidr'],
      additionalProperties: false,
      properties: { cidr: { type: 'string' }, except: stringList },
    },
  },
};

const namedPorts = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'port'],
    properties: { name: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 }, protocol },
  },
};

/** Kind → schema of the whole document. */
export const DOCUMENT_SCHEMAS: ReadonlyMap<string, object> = new Map<string, object>([
  [
    'Tier',
    doc(
      false,
      {
        type: 'object',
        additionalProperties: false,
        properties: { order: { type: 'number' }, defaultAction: { enum: ['Deny', 'Pass'] } },
      },
      false,
    ),
  ],
  ['NetworkPolicy', doc(true, policySpec(false, false))],
  ['GlobalNetworkPolicy', doc(false, policySpec(true, false))],
  ['StagedNetworkPolicy', doc(true, policySpec(false, true))],
  ['StagedGlobalNetworkPolicy', doc(false, policySpec(true, true))],
  [
    'NetworkSet',
    doc(true, {
      type: 'object',
      additionalProperties: false,
      properties: { nets: stringList, allowedEgressDomains: stringList },
    }),
  ],
  [
    'GlobalNetworkSet',
    doc(false, {
      type: 'object',
      additionalProperties: false,
      properties: { nets: stringList, allowedEgressDomains: stringList },
    }),
  ],
  [
    'HostEndpoint',
    doc(false, {
      type: 'object',
      properties: {
        node: { type: 'string' },
        interfaceName: { type: 'string', maxLength: 15 },
        expectedIPs: stringList,
        profiles: stringList,
        ports: namedPorts,
      },
    }),
  ],
  [
    'WorkloadEndpoint',
    doc(true, {
      type: 'object',
      properties: {
        workload: { type: 'string' },
        pod: { type: 'string' },
        interfaceName: { type: 'string', maxLength: 15 },
        ipNetworks: stringList,
        profiles: stringList,
        serviceAccountName: { type: 'string' },
        ports: namedPorts,
      },
    }),
  ],
  [
    'KubernetesNetworkPolicy',
    doc(true, {
      type: 'object',
      required: ['podSelector'],
      additionalProperties: false,
      properties: {
        podSelector: labelSelector,
        policyTypes: { type: 'array', items: { enum: ['Ingress', 'Egress'] } },
        ingress: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { from: { type: 'array', items: k8sPeer }, ports: { type: 'array', items: k8sPort } },
          },
        },
        egress: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { to: { type: 'array', items: k8sPeer }, ports: { type: 'array', items: k8sPort } },
          },
        },
      },
    }),
  ],
  [
    'EgressGatewayPolicy',
    doc(false, {
      type: 'object',
      required: ['selector', 'destination', 'gateway'],
      additionalProperties: false,
      properties: {
        order: { type: 'number' },
        selector,
        destination: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { nets: stringList, domains: stringList, selector },
        },
        gateway: {
          type: 'object',
          required: ['sourceAddress'],
          additionalProperties: false,
          anyOf: [{ required: ['nextHop'] }, { required: ['interface'] }],
          properties: {
            nextHop: { type: 'string' },
            interface: { type: 'string', minLength: 1, maxLength: 15 },
            sourceAddress: { type: 'string' },
            // 0 and 253–255 are the kernel's own tables (unspec, default, main, local).
            table: { type: 'integer', minimum: 1, maximum: 2_147_483_647, not: { enum: [253, 254, 255] } },
          },
        },
      },
    }),
  ],
  ['Namespace', doc(false, { type: 'object' }, false)],
]);
