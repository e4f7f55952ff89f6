// Google Cloud checks: firewall rules open to the internet on admin ports, Cloud SQL authorised
// for 0.0.0.0/0, public Cloud Storage grants, buckets without a customer-managed key, audit log exemptions.

import type { IacIssue } from '../../iac/iac-resource.js';
import {
  adminPortsIn,
  blocksAt,
  boolOf,
  CIS_GCP,
  firstBlock,
  isWorld,
  portRange,
  strings,
  typedRule,
} from './define.js';

export const firewallOpenAdminPorts = typedRule(
  {
    id: 'PAL-GCP-001',
    severity: 'CRITICAL',
    title: 'VPC firewall rule open to the internet on an administration or database port',
    rationale: 'SSH, RDP and database ports reachable from 0.0.0.0/0 are found and attacked within minutes.',
    remediation:
      'Restrict source_ranges, or use Identity-Aware Proxy TCP forwarding (35.235.240.0/20) for administration.',
    references: ['https://cloud.google.com/firewall/docs/firewalls', CIS_GCP],
    frameworks: { cis: ['GCP 3.6', 'GCP 3.7'], mitre: ['T1133', 'T1190'] },
    tags: ['exposure'],
  },
  ['google_compute_firewall'],
  (r): IacIssue[] => {
    const a = r.attrs;
    if (String(a.direction ?? 'INGRESS').toUpperCase() !== 'INGRESS' || boolOf(a.disabled) === true) return [];
    const world = strings(a.source_ranges).find(isWorld);
    if (!world) return [];
    const ports: string[] = [];
    for (const { block } of blocksAt(a, 'allow')) {
      const proto = String(block.protocol ?? '').toLowerCase();
      if (proto !== 'tcp' && proto !== 'all' && proto !== 'udp') continue;
      const specs = strings(block.ports);
      const ranges =
        specs.length === 0 ? [[0, 65535] as [number, number]] : specs.map(portRange).filter((x) => x !== undefined);
      for (const [from, to] of ranges) ports.push(...adminPortsIn(from, to));
    }
    if (ports.length === 0) return [];
    return [
      { path: ['source_ranges'], detail: `${r.name} allows ${world} to ${[...new Set(ports)].slice(0, 3).join(', ')}` },
    ];
  },
);

export const cloudSqlOpen = typedRule(
  {
    id: 'PAL-GCP-002',
    severity: 'CRITICAL',
    title: 'Cloud SQL instance authorises 0.0.0.0/0',
    rationale:
      "An authorised network of 0.0.0.0/0 lets any address on the internet connect to the database's public IP.",
    remediation: 'Remove the 0.0.0.0/0 authorised network; use private IP or the Cloud SQL Auth Proxy.',
    references: ['https://cloud.google.com/sql/docs/mysql/authorize-networks', CIS_GCP],
    frameworks: { cis: ['GCP 6.5'], mitre: ['T1190'] },
    tags: ['exposure'],
  },
  ['google_sql_database_instance'],
  (r): IacIssue[] => {
    const ip = firstBlock(r.attrs, ['settings', 'ip_configuration']);
    if (!ip) return [];
    return blocksAt(ip.block, 'authorized_networks')
      .filter(({ block }) => isWorld(block.value))
      .map(({ block, path }) => ({
        path: [...ip.path, ...path, 'value'],
        detail: `${r.name} authorises ${String(block.value)}`,
      }));
  },
);

const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

export const gcsPublic = typedRule(
  {
    id: 'PAL-GCP-003',
    severity: 'HIGH',
    title: 'Cloud Storage bucket granted to allUsers or allAuthenticatedUsers',
    rationale: 'allUsers is anyone on the internet; allAuthenticatedUsers is anyone with any Google account.',
    remediation: 'Grant roles to specific principals; enable public access prevention on the bucket.',
    references: ['https://cloud.google.com/storage/docs/public-access-prevention', CIS_GCP],
    frameworks: { cis: ['GCP 5.1'], mitre: ['T1530'] },
  },
  [
    'google_storage_bucket_iam_member',
    'google_storage_bucket_iam_binding',
    'google_storage_bucket_acl',
    'google_storage_default_object_acl',
  ],
  (r): IacIssue[] => {
    if (r.type === 'google_storage_bucket_iam_member') {
      return PUBLIC_MEMBERS.has(String(r.attrs.member))
        ? [{ path: ['member'], detail: `${r.name} grants ${String(r.attrs.role)} to ${String(r.attrs.member)}` }]
        : [];
    }
    const key = r.type === 'google_storage_bucket_iam_binding' ? 'members' : 'role_entity';
    const hit = strings(r.attrs[key]).find((m) => [...PUBLIC_MEMBERS].some((p) => m === p || m.endsWith(`:${p}`)));
    return hit ? [{ path: [key], detail: `${r.name} grants access to ${hit}` }] : [];
  },
);

export const gcsWithoutCmek = typedRule(
  {
    id: 'PAL-GCP-004',
    severity: 'LOW',
    title: 'Cloud Storage bucket without a customer-managed encryption key',
    rationale: 'Google-managed keys cannot be disabled or audited by you; regulated data usually requires a CMEK.',
    remediation: 'Set encryption { default_kms_key_name = … } where your data classification requires CMEK.',
    references: ['https://cloud.google.com/storage/docs/encryption/customer-managed-keys', CIS_GCP],
    frameworks: { mitre: ['T1530'] },
  },
  ['google_storage_bucket'],
  (r) => {
    const enc = firstBlock(r.attrs, ['encryption']);
    return typeof enc?.block.default_kms_key_name === 'string' && enc.block.default_kms_key_name !== ''
      ? []
      : [{ path: enc ? enc.path : [], detail: `${r.name} has no default_kms_key_name` }];
  },
);

export const auditLogExemptions = typedRule(
  {
    id: 'PAL-GCP-005',
    severity: 'MEDIUM',
    title: 'Cloud Audit Logs exempt principals',
    rationale:
      'exempted_members turns off data-access logging for exactly the principals an investigation would need to follow.',
    remediation: 'Remove exempted_members and log DATA_READ, DATA_WRITE and ADMIN_READ for allServices.',
    references: ['https://cloud.google.com/logging/docs/audit/configure-data-access', CIS_GCP],
    frameworks: { cis: ['GCP 2.1'], mitre: ['T1562.008'] },
  },
  ['google_project_iam_audit_config', 'google_organization_iam_audit_config', 'google_folder_iam_audit_config'],
  (r): IacIssue[] =>
    blocksAt(r.attrs, 'audit_log_config')
      .filter(({ block }) => strings(block.exempted_members).length > 0)
      .map(({ block, path }) => ({
        path: [...path, 'exempted_members'],
        detail: `${r.name} exempts ${strings(block.exempted_members).join(', ')} from ${String(block.log_type ?? '')} logs`,
      })),
);
