// Helpers every cloud rule file uses: the rule constructor, reading Terraform/CloudFormation
// values (booleans written as strings, nested blocks as lists), and world-open network ranges.

import type { IacContext, IacIssue, IacResource } from '../../iac/iac-resource.js';
import { isExpression } from '../../iac/terraform/resolve-expressions.js';
import { asArray, isObject, type JsonObject } from '../../kubernetes-resource.js';
import type { DocPath, IacRule, RuleMeta } from '../../types.js';

export function iacRule(meta: RuleMeta, check: (r: IacResource, ctx: IacContext) => IacIssue[]): IacRule {
  return { ...meta, target: 'iac', check };
}

/** A rule about certain resource types only. */
export function typedRule(
  meta: RuleMeta,
  types: readonly string[],
  check: (r: IacResource, ctx: IacContext) => IacIssue[],
): IacRule {
  const set = new Set(types);
  return iacRule(meta, (r, ctx) => (set.has(r.type) ? check(r, ctx) : []));
}

/** true / false as Terraform and CloudFormation write them ("true", "True"); undefined when unknown. */
export function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/** A value a rule can judge: present and not an unresolved `${…}` or CloudFormation intrinsic. */
export function isKnown(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (isExpression(v)) return false;
  if (isObject(v) && Object.keys(v).some((k) => k === 'Ref' || k.startsWith('Fn::'))) return false;
  return true;
}

/** Nested blocks: Terraform gives a list of objects, CloudFormation and plans an object or a list. */
export function blocksAt(attrs: JsonObject, key: string): { block: JsonObject; path: DocPath }[] {
  const v = attrs[key];
  if (isObject(v)) return [{ block: v, path: [key] }];
  return asArray(v).flatMap((b, i) => (isObject(b) ? [{ block: b, path: [key, i] }] : []));
}

/** The first block under a path of keys (`metadata_options` → its object), with its path. */
export function firstBlock(
  attrs: JsonObject,
  keys: readonly string[],
): { block: JsonObject; path: DocPath } | undefined {
  let node: JsonObject = attrs;
  const path: (string | number)[] = [];
  for (const key of keys) {
    const b = blocksAt(node, key)[0];
    if (!b) return undefined;
    node = b.block;
    path.push(...b.path);
  }
  return { block: node, path };
}

export function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return asArray(v).filter((x): x is string => typeof x === 'string');
}

const WORLD = new Set(['0.0.0.0/0', '::/0', '*', 'internet', 'any', '0.0.0.0']);

/** An address range that means "anyone on the internet". */
export function isWorld(cidr: unknown): boolean {
  return typeof cidr === 'string' && WORLD.has(cidr.trim().toLowerCase());
}

/** Remote administration and database ports an internet-wide rule must not open. */
export const ADMIN_PORTS: ReadonlyMap<number, string> = new Map([
  [22, 'SSH'],
  [23, 'Telnet'],
  [3389, 'RDP'],
  [5985, 'WinRM'],
  [5986, 'WinRM'],
  [2375, 'Docker API'],
  [2376, 'Docker API'],
  [6443, 'Kubernetes API'],
  [3306, 'MySQL'],
  [5432, 'PostgreSQL'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [27017, 'MongoDB'],
  [6379, 'Redis'],
  [9200, 'Elasticsearch'],
  [11211, 'Memcached'],
  [5984, 'CouchDB'],
  [9042, 'Cassandra'],
]);

/** Admin ports inside [from, to], named ("SSH (22)"); every one of them for an all-ports rule. */
export function adminPortsIn(from: number, to: number): string[] {
  const out: string[] = [];
  for (const [port, name] of ADMIN_PORTS) if (port >= from && port <= to) out.push(`${name} (${port})`);
  return out;
}

/** "22", "20-25", "*" (Azure/GCP port specs) → [from, to]; undefined when not a port spec. */
export function portRange(spec: unknown): [number, number] | undefined {
  if (typeof spec === 'number') return [spec, spec];
  if (typeof spec !== 'string') return undefined;
  const s = spec.trim();
  if (s === '*') return [0, 65535];
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

/** Resources of the same scan that mention `r` (by Terraform address or CFN logical id) in any attribute. */
export function referencesTo(r: IacResource, ctx: IacContext, types: readonly string[]): IacResource[] {
  const set = new Set(types);
  const local = r.name
    .replace(/\[[^\]]*\]$/, '')
    .split('.')
    .slice(-2)
    .join('.');
  const needles = [`\${${local}.`, `"Ref":"${r.name}"`];
  // Plans carry names, not references: the bucket's name is what links them there.
  const ownName = typeof r.attrs.bucket === 'string' && !isExpression(r.attrs.bucket) ? r.attrs.bucket : undefined;
  return ctx.resources.filter((o) => {
    if (!set.has(o.type) || o === r) return false;
    const text = JSON.stringify(o.attrs);
    return needles.some((n) => text.includes(n)) || (ownName !== undefined && o.attrs.bucket === ownName);
  });
}

export const AWS_SECURITY_HUB = 'https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html';
export const CIS_AWS = 'https://www.cisecurity.org/benchmark/amazon_web_services';
export const CIS_AZURE = 'https://www.cisecurity.org/benchmark/azure';
export const CIS_GCP = 'https://www.cisecurity.org/benchmark/google_cloud_computing_platform';
