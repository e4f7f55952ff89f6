// Azure checks: NSG rules open to the internet on admin ports, storage accounts allowing public
// blobs or plain HTTP, database firewalls open to all addresses, activity log profiles not kept.

import type { IacIssue } from '../../iac/iac-resource.js';
import type { JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import {
  adminPortsIn,
  blocksAt,
  boolOf,
  CIS_AZURE,
  isWorld,
  numberOf,
  portRange,
  strings,
  typedRule,
} from './define.js';

function nsgRuleIssues(owner: string, rule: JsonObject, path: DocPath): IacIssue[] {
  if (String(rule.direction ?? '').toLowerCase() !== 'inbound' || String(rule.access ?? '').toLowerCase() !== 'allow')
    return [];
  const sources = [
    ...strings(rule.source_address_prefix).map((v) => ({ v, key: 'source_address_prefix' })),
    ...strings(rule.source_address_prefixes).map((v) => ({ v, key: 'source_address_prefixes' })),
  ];
  const world = sources.find((s) => isWorld(s.v));
  if (!world) return [];
  const ports = [...strings(rule.destination_port_range), ...strings(rule.destination_port_ranges)]
    .map(portRange)
    .flatMap((r) => (r ? adminPortsIn(r[0], r[1]) : []));
  if (ports.length === 0) return [];
  return [
    {
      path: [...path, world.key],
      detail: `${owner} rule "${String(rule.name ?? '')}" allows ${world.v} to ${ports.slice(0, 3).join(', ')}`,
    },
  ];
}

export const nsgOpenAdminPorts = typedRule(
  {
    id: 'PAL-AZU-001',
    severity: 'CRITICAL',
    title: 'Network security group open to the internet on an administration or database port',
    rationale: 'RDP, SSH and database ports open to * or Internet are brute-forced continuously.',
    remediation: 'Limit the source to known ranges, or use Azure Bastion / just-in-time VM access.',
    references: ['https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview', CIS_AZURE],
    frameworks: { cis: ['Azure 6.1', 'Azure 6.2'], mitre: ['T1133', 'T1190'] },
    tags: ['exposure'],
  },
  ['azurerm_network_security_rule', 'azurerm_network_security_group'],
  (r) =>
    r.type === 'azurerm_network_security_rule'
      ? nsgRuleIssues(r.name, r.attrs, [])
      : blocksAt(r.attrs, 'security_rule').flatMap(({ block, path }) => nsgRuleIssues(r.name, block, path)),
);

export const storagePublicAccess = typedRule(
  {
    id: 'PAL-AZU-002',
    severity: 'HIGH',
    title: 'Azure storage allows public blob access',
    rationale:
      'With public access allowed, one container set to "blob" or "container" exposes its data to anyone with the URL.',
    remediation:
      'Set allow_nested_items_to_be_public = false on the account and container_access_type = "private" on containers.',
    references: ['https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent', CIS_AZURE],
    frameworks: { cis: ['Azure 3.7'], mitre: ['T1530'] },
  },
  ['azurerm_storage_account', 'azurerm_storage_container'],
  (r): IacIssue[] => {
    if (r.type === 'azurerm_storage_container') {
      const t = r.attrs.container_access_type;
      return t === 'blob' || t === 'container'
        ? [{ path: ['container_access_type'], detail: `${r.name} has container_access_type "${t}"` }]
        : [];
    }
    // AzureRM v3 defaults allow_nested_items_to_be_public to true; v2 spelt it allow_blob_public_access.
    for (const key of ['allow_nested_items_to_be_public', 'allow_blob_public_access']) {
      if (boolOf(r.attrs[key]) === true) return [{ path: [key], detail: `${r.name} sets ${key} = true` }];
      if (boolOf(r.attrs[key]) === false) return [];
    }
    return r.source === 'terraform'
      ? [
          {
            path: [],
            detail: `${r.name} does not set allow_nested_items_to_be_public = false (the provider default allows it)`,
          },
        ]
      : [];
  },
);

export const storageInsecureTransport = typedRule(
  {
    id: 'PAL-AZU-003',
    severity: 'MEDIUM',
    title: 'Azure storage accepts unencrypted or outdated-TLS connections',
    rationale: 'Plain HTTP or TLS 1.0/1.1 lets a network attacker read or alter storage traffic.',
    remediation: 'Set https_traffic_only_enabled = true and min_tls_version = "TLS1_2".',
    references: ['https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer', CIS_AZURE],
    frameworks: { cis: ['Azure 3.1', 'Azure 3.15'], mitre: ['T1557'] },
  },
  ['azurerm_storage_account'],
  (r): IacIssue[] => {
    const out: IacIssue[] = [];
    for (const key of ['https_traffic_only_enabled', 'enable_https_traffic_only']) {
      if (boolOf(r.attrs[key]) === false)
        out.push({ path: [key], detail: `${r.name} allows plain HTTP (${key} = false)` });
    }
    const tls = r.attrs.min_tls_version;
    if (tls === 'TLS1_0' || tls === 'TLS1_1')
      out.push({ path: ['min_tls_version'], detail: `${r.name} accepts ${tls}` });
    return out;
  },
);

const SQL_FIREWALLS = [
  'azurerm_mssql_firewall_rule',
  'azurerm_sql_firewall_rule',
  'azurerm_postgresql_firewall_rule',
  'azurerm_postgresql_flexible_server_firewall_rule',
  'azurerm_mysql_firewall_rule',
  'azurerm_mysql_flexible_server_firewall_rule',
  'azurerm_mariadb_firewall_rule',
];

export const sqlFirewallOpen = typedRule(
  {
    id: 'PAL-AZU-004',
    severity: 'CRITICAL',
    title: 'Azure database firewall open to all addresses',
    rationale:
      'A rule starting at 0.0.0.0 admits the whole internet (to 255.255.255.255) or every Azure tenant (0.0.0.0 to 0.0.0.0), not just yours.',
    remediation: 'Allow only the client ranges that need access, or use private endpoints.',
    references: ['https://learn.microsoft.com/azure/azure-sql/database/firewall-configure', CIS_AZURE],
    frameworks: { cis: ['Azure 4.1.2'], mitre: ['T1190'] },
    tags: ['exposure'],
  },
  SQL_FIREWALLS,
  (r): IacIssue[] => {
    const start = r.attrs.start_ip_address;
    const end = r.attrs.end_ip_address;
    if (start !== '0.0.0.0') return [];
    const what =
      end === '255.255.255.255'
        ? 'the whole internet'
        : end === '0.0.0.0'
          ? 'every Azure service of any tenant'
          : `0.0.0.0-${String(end)}`;
    return [{ path: ['start_ip_address'], detail: `${r.name} admits ${what}` }];
  },
);

export const activityLogRetention = typedRule(
  {
    id: 'PAL-AZU-005',
    severity: 'MEDIUM',
    title: 'Azure activity log not retained',
    rationale:
      'The activity log records control-plane changes; a profile without retention or missing categories loses the evidence.',
    remediation:
      'Keep Write, Delete and Action categories with retention_policy enabled for at least 365 days (or export to a workspace).',
    references: ['https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log', CIS_AZURE],
    frameworks: { cis: ['Azure 5.1.1', 'Azure 5.1.2'], mitre: ['T1562.008'] },
  },
  ['azurerm_monitor_log_profile'],
  (r): IacIssue[] => {
    const out: IacIssue[] = [];
    const cats = new Set(strings(r.attrs.categories).map((c) => c.toLowerCase()));
    const missing = ['write', 'delete', 'action'].filter((c) => !cats.has(c));
    if (missing.length > 0) out.push({ path: ['categories'], detail: `${r.name} does not log ${missing.join(', ')}` });
    const rp = blocksAt(r.attrs, 'retention_policy')[0];
    const days = numberOf(rp?.block.days);
    if (!rp || boolOf(rp.block.enabled) !== true || (days !== undefined && days > 0 && days < 365)) {
      out.push({ path: rp ? rp.path : [], detail: `${r.name} does not retain the activity log for 365 days` });
    }
    return out;
  },
);
