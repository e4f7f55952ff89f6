// TypeBox schemas of the API's bodies, queries and answers: they validate requests at the edge
// and are the source of the OpenAPI document. Names here are the names clients see.

import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ErrorSchema = Type.Object(
  { error: Type.String(), message: Type.String(), statusCode: Type.Integer() },
  { $id: 'Error' },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  /** Narrow the scope to a tenant inside the caller's own subtree. */
  tenant: Type.Optional(Type.String({ maxLength: 128 })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });

const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('analyst'),
  Type.Literal('read-only'),
  Type.Literal('ci'),
  Type.Literal('agent'),
]);
const TenantKind = Type.Union([Type.Literal('account'), Type.Literal('cluster'), Type.Literal('team')]);
const Severity = Type.Union(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].map((s) => Type.Literal(s)));
const WorkloadKind = Type.Union([
  Type.Literal('host'),
  Type.Literal('vm'),
  Type.Literal('container'),
  Type.Literal('pod'),
  Type.Literal('function'),
]);
const Provider = Type.Union([
  Type.Literal('aws'),
  Type.Literal('azure'),
  Type.Literal('gcp'),
  Type.Literal('on-prem'),
  Type.Literal('other'),
]);
const Timestamp = Type.String({ format: 'date-time' });
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const Tenant = Type.Object({
  id: Type.String(),
  parentId: Nullable(Type.String()),
  name: Type.String(),
  kind: Type.String(),
  path: Type.String(),
  createdAt: Type.String(),
});
export const TenantCreate = Type.Object(
  { name: Name, kind: TenantKind, parentId: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export const TenantUpdate = Type.Object({ name: Name }, { additionalProperties: false });

export const TokenInfo = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  role: Role,
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String()),
  userId: Nullable(Type.String({ description: 'The user who owns the token (created it while logged in)' })),
});
export const TokenCreate = Type.Object(
  { name: Name, role: Role, tenantId: Type.Optional(Type.String()), expiresAt: Type.Optional(Timestamp) },
  { additionalProperties: false },
);
export const TokenCreated = Type.Object({
  token: Type.String({ description: 'Shown once; store it now.' }),
  info: TokenInfo,
});

export const WorkloadIdentity = Type.Object(
  {
    kind: WorkloadKind,
    name: Name,
    provider: Type.Optional(Provider),
    account: Type.Optional(Type.String({ maxLength: 200 })),
    region: Type.Optional(Type.String({ maxLength: 100 })),
    cluster: Type.Optional(Type.String({ maxLength: 200 })),
    namespace: Type.Optional(Type.String({ maxLength: 200 })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    imageDigest: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const Workload = Type.Intersect([
  WorkloadIdentity,
  Type.Object({ id: Type.String(), tenantId: Type.String(), firstSeen: Type.String(), lastSeen: Type.String() }),
]);
export const WorkloadQuery = Type.Object({
  ...PageQuery,
  kind: Type.Optional(WorkloadKind),
  provider: Type.Optional(Provider),
  account: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  cluster: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  imageDigest: Type.Optional(Type.String()),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  sort: Type.Optional(Type.Union([Type.Literal('lastSeen'), Type.Literal('firstSeen'), Type.Literal('name')])),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
});

// The CLI's ScanReport (packages/core/src/scan-report.ts): checked for the fields the server
// reads; everything else in a finding is stored as sent.
const FindingIn = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    type: Type.Union(
      ['vulnerability', 'misconfiguration', 'secret', 'malware', 'integrity', 'exposure', 'runtime'].map((t) =>
        Type.Literal(t),
      ),
    ),
    ruleId: Type.String({ minLength: 1, maxLength: 256 }),
    severity: Severity,
    title: Type.String({ maxLength: 2000 }),
    target: Type.Object({}, { additionalProperties: true }),
    references: Type.Array(Type.String()),
    status: Type.String(),
  },
  { additionalProperties: true },
);
export const ScanReportSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    createdAt: Timestamp,
    artifact: Type.Object({ name: Type.String({ minLength: 1 }), type: Type.String() }, { additionalProperties: true }),
    results: Type.Array(
      Type.Object(
        {
          target: Type.String(),
          class: Type.String(),
          type: Type.String(),
          packages: Type.Array(Type.Unknown()),
          findings: Type.Array(FindingIn),
        },
        { additionalProperties: true },
      ),
    ),
    warnings: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);
export const ScanUpload = Type.Object(
  { report: ScanReportSchema, workload: Type.Optional(WorkloadIdentity), tenantId: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export const ScanUploadResult = Type.Object({
  scanId: Type.String(),
  target: Type.String(),
  workloadId: Nullable(Type.String()),
  findings: Type.Integer(),
  opened: Type.Integer(),
  reopened: Type.Integer(),
  fixed: Type.Integer(),
  unchanged: Type.Integer(),
});

export const StoredFinding = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  target: Type.String(),
  workloadId: Nullable(Type.String()),
  fingerprint: Type.String(),
  type: Type.String(),
  ruleId: Type.String(),
  severity: Type.String(),
  title: Type.String(),
  packageName: Nullable(Type.String()),
  installedVersion: Nullable(Type.String()),
  fixedVersion: Nullable(Type.String()),
  status: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  fixedAt: Nullable(Type.String()),
  lastScanId: Type.String(),
  suppression: Nullable(
    Type.Object({
      by: Nullable(Type.String()),
      reason: Nullable(Type.String()),
      at: Type.String(),
      until: Nullable(Type.String()),
    }),
  ),
  finding: Type.Object({}, { additionalProperties: true }),
});
export const FindingQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('fixed'), Type.Literal('suppressed')])),
  severity: Type.Optional(Type.String({ description: 'Comma-separated: HIGH,CRITICAL', maxLength: 100 })),
  type: Type.Optional(Type.String()),
  ruleId: Type.Optional(Type.String()),
  workloadId: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  packageName: Type.Optional(Type.String()),
  sort: Type.Optional(Type.Union([Type.Literal('lastSeen'), Type.Literal('firstSeen'), Type.Literal('severity')])),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
});
export const Suppress = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }), until: Type.Optional(Timestamp) },
  { additionalProperties: false },
);
export const FindingHistory = Type.Object({
  items: Type.Array(
    Type.Object({
      action: Type.String(),
      at: Type.String(),
      scanId: Nullable(Type.String()),
      actor: Nullable(Type.String()),
      detail: Nullable(Type.String()),
    }),
  ),
});

export const IngestResult = Type.Object({
  received: Type.Integer(),
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
});
export const Alert = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  agentId: Nullable(Type.String()),
  ts: Type.String(),
  type: Type.String(),
  host: Nullable(Type.String()),
  rule: Nullable(Type.String()),
  priority: Nullable(Type.String()),
  output: Nullable(Type.String()),
  receivedAt: Type.String(),
  event: Type.Object({}, { additionalProperties: true }),
});
export const AlertQuery = Type.Object({
  ...PageQuery,
  priority: Type.Optional(Type.String()),
  rule: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  since: Type.Optional(Timestamp),
});

export const Agent = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  hostname: Nullable(Type.String()),
  version: Nullable(Type.String()),
  workloadId: Nullable(Type.String()),
  health: Type.Object({}, { additionalProperties: true }),
  registeredAt: Type.String(),
  lastSeen: Type.String(),
});
export const AgentRegister = Type.Object(
  {
    name: Name,
    hostname: Type.Optional(Type.String({ maxLength: 255 })),
    version: Type.Optional(Type.String({ maxLength: 64 })),
    workload: Type.Optional(WorkloadIdentity),
  },
  { additionalProperties: false },
);
export const Heartbeat = Type.Object(
  {
    version: Type.Optional(Type.String({ maxLength: 64 })),
    health: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export const AuditEntry = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Nullable(Type.String()),
  detail: Nullable(Type.Object({}, { additionalProperties: true })),
  at: Type.String(),
});
export const AuditQuery = Type.Object({ ...PageQuery, action: Type.Optional(Type.String()) });

export const Posture = Type.Object({
  tenantId: Type.String(),
  findings: Type.Object({
    total: Type.Integer(),
    bySeverity: Type.Record(Type.String(), Type.Integer()),
    byType: Type.Record(Type.String(), Type.Integer()),
  }),
  workloads: Type.Integer(),
  agents: Type.Integer(),
});

export type ScanUploadBody = Static<typeof ScanUpload>;
