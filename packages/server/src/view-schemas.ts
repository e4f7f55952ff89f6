// TypeBox schemas of the console views: posture trends, top risky workloads, images and an
// image's vulnerability list.

import { Type } from '@sinclair/typebox';
import { PageQuery } from './schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Counts = Type.Record(Type.String(), Type.Integer());
const TenantQuery = { tenant: PageQuery.tenant };

export const TrendQuery = Type.Object({
  ...TenantQuery,
  days: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'Days back, today included' }),
  ),
});

export const PostureTrend = Type.Object({
  tenantId: Type.String(),
  from: Type.String({ description: 'First day (UTC, YYYY-MM-DD)' }),
  to: Type.String({ description: 'Last day: today (UTC)' }),
  points: Type.Array(Type.Object({ day: Type.String(), total: Type.Integer(), bySeverity: Counts, byType: Counts })),
});

export const TopRiskQuery = Type.Object({
  ...PageQuery,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
  kind: Type.Optional(
    Type.Union([
      Type.Literal('host'),
      Type.Literal('vm'),
      Type.Literal('container'),
      Type.Literal('pod'),
      Type.Literal('function'),
    ]),
  ),
  provider: Type.Optional(
    Type.Union([
      Type.Literal('aws'),
      Type.Literal('azure'),
      Type.Literal('gcp'),
      Type.Literal('on-prem'),
      Type.Literal('other'),
    ]),
  ),
  cluster: Type.Optional(Type.String({ maxLength: 200 })),
  namespace: Type.Optional(Type.String({ maxLength: 200 })),
});

export const WorkloadRisk = Type.Object({
  workload: Type.Object({
    id: Type.String(),
    tenantId: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    provider: Nullable(Type.String()),
    cluster: Nullable(Type.String()),
    namespace: Nullable(Type.String()),
    imageDigest: Nullable(Type.String()),
  }),
  score: Type.Integer({
    description:
      'critical×10 + high×5 + medium×2 + low×1 (exposure findings ×2) + alerts of the last 24 h by priority (critical 10, error 5, warning 3, notice 1)',
  }),
  counts: Type.Object({
    critical: Type.Integer(),
    high: Type.Integer(),
    medium: Type.Integer(),
    low: Type.Integer(),
    unknown: Type.Integer(),
    exposure: Type.Integer(),
    alerts24h: Type.Integer(),
  }),
});

export const ImageQuery = Type.Object({
  ...PageQuery,
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of the digest' })),
});

export const ImageSummary = Type.Object({
  digest: Type.String(),
  workloads: Type.Integer(),
  lastSeen: Type.String(),
  vulnerabilities: Type.Object({ total: Type.Integer(), bySeverity: Counts }),
});

export const DigestParams = Type.Object({
  digest: Type.String({ minLength: 1, maxLength: 200, description: 'Image digest, e.g. sha256:…' }),
});

export const ImageVulnerabilityQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('fixed'), Type.Literal('suppressed')])),
  severity: Type.Optional(Type.String({ description: 'Comma-separated: HIGH,CRITICAL', maxLength: 100 })),
  packageName: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ImageVulnerability = Type.Object({
  ruleId: Type.String(),
  packageName: Nullable(Type.String()),
  installedVersion: Nullable(Type.String()),
  fixedVersion: Nullable(Type.String()),
  severity: Type.String(),
  title: Type.String(),
  firstSeen: Type.String(),
  workloadCount: Type.Integer(),
  workloads: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: Type.String(),
      cluster: Nullable(Type.String()),
      namespace: Nullable(Type.String()),
    }),
  ),
});
