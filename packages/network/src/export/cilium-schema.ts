// A JSON Schema for the subset of the cilium.io/v2 CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy CRDs that the Cilium export writes, stricter than the CRD where
// Cilium's agent would refuse what the CRD lets through (CIDRs without a prefix, empty value lists).

const name = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
const labelKey = { type: 'string', minLength: 1, maxLength: 317, pattern: '^[A-Za-z0-9_./:-]+$' };
const labelValue = { type: 'string', maxLength: 63 };

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: {
      type: 'object',
      propertyNames: labelKey,
      additionalProperties: labelValue,
    },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: labelKey,
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: labelValue },
        },
        // Kubernetes: In/NotIn need values, Exists/DoesNotExist take none.
        if: { properties: { operator: { enum: ['In', 'NotIn'] } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
        then: { required: ['values'], properties: { values: { minItems: 1 } } },
        else: { not: { required: ['values'] } },
      },
    },
  },
};

const cidr = {
  type: 'string',
  pattern: '^((\\d{1,3}\\.){3}\\d{1,3}/(3[0-2]|[12]?\\d)|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(12[0-8]|1[01]\\d|[1-9]?\\d))$',
};
const cidrRule = {
  type: 'object',
  additionalProperties: false,
  required: ['cidr'],
  properties: { cidr, except: { type: 'array', items: cidr } },
};
const portProtocol = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    port: { type: 'string', pattern: '^(\\d{1,5}|[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?)$' },
    endPort: { type: 'integer', minimum: 0, maximum: 65535 },
    protocol: { enum: ['TCP', 'UDP', 'SCTP', 'ANY'] },
  },
};
const portRule = {
  type: 'object',
  additionalProperties: false,
  properties: { ports: { type: 'array', minItems: 1, maxItems: 40, items: portProtocol } },
};
const icmpRule = {
  type: 'object',
  additionalProperties: false,
  required: ['fields'],
  properties: {
    fields: {
      type: 'array',
      minItems: 1,
      maxItems: 40,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: { type: { type: 'integer', minimum: 0, maximum: 255 }, family: { enum: ['IPv4', 'IPv6'] } },
      },
    },
  },
};
const entities = {
  type: 'array',
  items: {
    enum: [
      'all',
      'world',
      'cluster',
      'host',
      'remote-node',
      'kube-apiserver',
      'init',
      'health',
      'unmanaged',
      'ingress',
    ],
  },
};
const fqdnSelector = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    matchName: { type: 'string', pattern: '^[-a-zA-Z0-9_]+(\\.[-a-zA-Z0-9_]+)*\\.?$' },
    matchPattern: { type: 'string', pattern: '^([-a-zA-Z0-9_*]+\\.)*[-a-zA-Z0-9_*]+\\.?$' },
  },
};

/** One rule; `peers` are the fromX/toX fields of its direction, `fqdn` only for allow egress. */
function rule(dir: 'from' | 'to', fqdn: boolean): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      [`${dir}Endpoints`]: { type: 'array', items: labelSelector },
      [`${dir}CIDR`]: { type: 'array', items: cidr },
      [`${dir}CIDRSet`]: { type: 'array', items: cidrRule },
      [`${dir}Entities`]: entities,
      ...(fqdn ? { toFQDNs: { type: 'array', minItems: 1, items: fqdnSelector } } : {}),
      toPorts: { type: 'array', items: portRule },
      icmps: { type: 'array', items: icmpRule },
    },
  };
}

const spec = {
  type: 'object',
  additionalProperties: false,
  required: ['endpointSelector'],
  properties: {
    description: { type: 'string' },
    endpointSelector: labelSelector,
    ingress: { type: 'array', items: rule('from', false) },
    ingressDeny: { type: 'array', items: rule('from', false) },
    egress: { type: 'array', items: rule('to', true) },
    egressDeny: { type: 'array', items: rule('to', false) },
    enableDefaultDeny: {
      type: 'object',
      additionalProperties: false,
      properties: { ingress: { type: 'boolean' }, egress: { type: 'boolean' } },
    },
  },
};

export const CILIUM_POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { const: 'cilium.io/v2' },
    kind: { enum: ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name, namespace: name, labels: { type: 'object' }, annotations: { type: 'object' } },
    },
    spec,
    specs: { type: 'array', minItems: 1, items: spec },
  },
  // Exactly one of spec/specs; a namespace on the namespaced kind only.
  oneOf: [{ required: ['spec'] }, { required: ['specs'] }],
  if: { properties: { kind: { const: 'CiliumNetworkPolicy' } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
  then: { properties: { metadata: { required: ['name', 'namespace'] } } },
  else: { properties: { metadata: { not: { required: ['namespace'] } } } },
} as const;
