// The JSON Schema of a user rule file (apiVersion palisade.dev/v1, kind ConfigRule): what the
// loader accepts before any CEL is compiled, so a malformed file fails with its field path.

export const USER_RULE_SCHEMA = {
  $id: 'https://palisade.dev/schemas/config-rule.json',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'id', 'severity', 'title', 'match', 'validations'],
  properties: {
    apiVersion: { const: 'palisade.dev/v1' },
    kind: { const: 'ConfigRule' },
    id: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$' },
    severity: { enum: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    remediation: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' } },
    match: {
      type: 'object',
      additionalProperties: false,
      required: ['kinds'],
      properties: {
        kinds: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        apiGroups: { type: 'array', items: { type: 'string' } },
      },
    },
    validations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['expression'],
        properties: {
          expression: { type: 'string', minLength: 1 },
          message: { type: 'string' },
          messageExpression: { type: 'string', minLength: 1 },
        },
      },
    },
    params: {},
  },
} as const;
