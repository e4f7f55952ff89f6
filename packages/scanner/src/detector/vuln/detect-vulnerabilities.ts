// The vulnerability detector: looks every package of a set up in the OSV store, evaluates the
// affected ranges, and merges records that name the same vulnerability (CVE ↔ GHSA ↔ GO-…) into one finding.

import {
  type Finding,
  fingerprint,
  type OsInfo,
  type Package,
  severityRank,
  type VersionScheme,
  versionSchemeFor,
} from '@palisade/core';
import type { PackageSet } from '../../analyzer/types.js';
import { ecosystemKey, packageKey } from '../../vulndb/osv-keys.js';
import type { OsvAffected, OsvRecord } from '../../vulndb/osv-record.js';
import type { AdvisoryCandidate, VulnDb } from '../../vulndb/vuln-db.js';
import { distroEcosystemKey, matchesBySourceName } from './distro-ecosystem.js';
import { type CompiledAffected, compileAffected, evaluateAffected } from './osv-range.js';
import { type RecordSeverity, recordSeverity, strongerSeverity } from './osv-severity.js';

/** Longest description kept on a finding; advisories with whole write-ups link to them anyway. */
const DESCRIPTION_LIMIT = 1000;

/** Errata that are not security advisories: bug-fix (BA) and enhancement (EA) releases. */
const NON_SECURITY_ERRATA = /^(?:ALBA|ALEA|RLBA|RLEA|RHBA|RHEA)-/;

/** Compiled ranges per affected entry (the store caches entry objects, so this is once per scan). */
const compiledEntries = new WeakMap<OsvAffected, CompiledAffected>();

function compiled(affected: OsvAffected, scheme: VersionScheme): CompiledAffected {
  let c = compiledEntries.get(affected);
  if (!c) {
    c = compileAffected(affected, scheme);
    compiledEntries.set(affected, c);
  }
  return c;
}

/** One record's verdict for one package. */
interface Match {
  record: OsvRecord;
  fixes: string[];
  severity: RecordSeverity;
  symbols: string[];
}

interface Lookup {
  ecosystem: string;
  name: string;
  version: string;
  scheme: VersionScheme;
}

/** Where and under what name and version a package is looked up; undefined when it cannot be matched. */
function lookupFor(
  pkg: Package,
  set: PackageSet,
  os: OsInfo | undefined,
  distroKeys: Map<string, string | undefined>,
): Lookup | undefined {
  const scheme = versionSchemeFor(pkg.ecosystem);
  if (!scheme) return undefined;
  if (set.class === 'os-pkgs') {
    let eco = distroKeys.get(pkg.ecosystem);
    if (!distroKeys.has(pkg.ecosystem)) {
      eco = distroEcosystemKey(pkg.ecosystem, os);
      distroKeys.set(pkg.ecosystem, eco);
    }
    if (!eco) return undefined;
    const bySource = matchesBySourceName(pkg.ecosystem);
    const name = bySource ? (pkg.srcName ?? pkg.name) : pkg.name;
    const version = bySource ? (pkg.srcVersion ?? pkg.version) : pkg.version;
    return { ecosystem: eco, name: packageKey(pkg.ecosystem, name), version, scheme };
  }
  let version = pkg.version;
  // Go toolchain versions may arrive as "go1.22.1"; OSV writes "1.22.1".
  if (pkg.ecosystem === 'Go' && (pkg.name === 'stdlib' || pkg.name === 'toolchain'))
    version = version.replace(/^go/, '');
  return { ecosystem: ecosystemKey(pkg.ecosystem), name: packageKey(pkg.ecosystem, pkg.name), version, scheme };
}

function matchCandidate(
  db: VulnDb,
  candidate: AdvisoryCandidate,
  lookup: Lookup,
  osPackage: boolean,
): Match | undefined {
  if (NON_SECURITY_ERRATA.test(candidate.id)) return undefined;
  let match: Match | undefined;
  for (const affected of candidate.affected) {
    const verdict = evaluateAffected(compiled(affected, lookup.scheme), lookup.scheme, lookup.version);
    if (!verdict.affected || !sameModularity(lookup, verdict.fixes)) continue;
    // Only now is the rest of the record worth inflating.
    const record = match?.record ?? db.record(candidate.ref);
    if (!record || record.withdrawn !== undefined) return undefined;
    const severity = recordSeverity(record, affected, osPackage);
    if (!match) match = { record, fixes: [], severity, symbols: [] };
    else match.severity = strongerSeverity(match.severity, severity);
    for (const f of verdict.fixes) if (f !== undefined) match.fixes.push(f);
    if (affected.ecosystem_specific?.imports) match.symbols.push(...goSymbols(affected));
  }
  return match;
}

/** RHEL-family module builds carry ".module_el8…" / ".module+el9…" in the release. */
const MODULE_BUILD = /\.module[_+]/;
const RPM_ECOSYSTEMS = new Set(['Red Hat', 'AlmaLinux', 'Rocky Linux']);

/**
 * A fix built for a module stream says nothing about the non-modular package of the same name, and
 * the other way round (AlmaLinux 8 ships both for podman, nodejs …). The package does not carry its
 * module stream, so this only separates modular from non-modular builds.
 */
function sameModularity(lookup: Lookup, fixes: (string | undefined)[]): boolean {
  if (!RPM_ECOSYSTEMS.has(lookup.ecosystem.split(':')[0] ?? '')) return true;
  const installedModular = MODULE_BUILD.test(lookup.version);
  return fixes.every((f) => f === undefined || MODULE_BUILD.test(f) === installedModular);
}

function goSymbols(affected: OsvAffected): string[] {
  const imports = affected.ecosystem_specific?.imports;
  if (!Array.isArray(imports)) return [];
  const out: string[] = [];
  for (const imp of imports) {
    const symbols = (imp as { symbols?: unknown }).symbols;
    if (Array.isArray(symbols)) for (const s of symbols) if (typeof s === 'string') out.push(s);
  }
  return out;
}

/** Groups matches that share an id or alias (union-find over ids), so CVE-X, GHSA-Y and GO-Z become one. */
function groupByAlias(matches: Match[]): Match[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const m of matches) {
    union(m.record.id, m.record.id);
    for (const alias of m.record.aliases ?? []) union(m.record.id, alias);
  }
  const groups = new Map<string, Match[]>();
  for (const m of matches) {
    const root = find(m.record.id);
    const g = groups.get(root);
    if (g) g.push(m);
    else groups.set(root, [m]);
  }
  return [...groups.values()];
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit);
  const space = cut.lastIndexOf(' ');
  return `${(space > limit * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function sortVersions(versions: string[], scheme: VersionScheme): string[] {
  if (versions.length === 1) return versions;
  return [...new Set(versions)].sort((a, b) => {
    try {
      return scheme.compare(a, b);
    } catch {
      return a < b ? -1 : 1;
    }
  });
}

function byTime(a: string | undefined, b: string | undefined, pickLater: boolean): string | undefined {
  if (!a) return b;
  if (!b) return a;
  const later = Date.parse(b) > Date.parse(a);
  return later === pickLater ? b : a;
}

/** What a finding says about the vulnerability itself, independent of the package it is found in. */
interface VulnerabilityText {
  ruleId: string;
  aliases: string[];
  title: string;
  description?: string;
  references: string[];
  publishedAt?: string;
  modifiedAt?: string;
}

/** Most groups are one record; its text is built once per record and shared by every package it hits. */
const singleRecordText = new WeakMap<OsvRecord, VulnerabilityText>();

function vulnerabilityText(records: OsvRecord[]): VulnerabilityText {
  const only = records.length === 1 ? records[0] : undefined;
  if (only) {
    const cached = singleRecordText.get(only);
    if (cached) return cached;
  }
  const ids = new Set<string>();
  for (const r of records) {
    ids.add(r.id);
    for (const a of r.aliases ?? []) ids.add(a);
  }
  const sortedIds = [...ids].sort();
  const sortedRecords = [...records].sort((a, b) => compareText(a.id, b.id));
  const ruleId = sortedIds.find((id) => id.startsWith('CVE-')) ?? sortedRecords[0]?.id ?? '';
  // Title and text from the record that has them, preferring the one named by ruleId.
  const primary =
    sortedRecords.find((r) => r.id === ruleId && r.summary) ?? sortedRecords.find((r) => r.summary) ?? sortedRecords[0];
  const references = new Set<string>();
  let publishedAt: string | undefined;
  let modifiedAt: string | undefined;
  for (const r of sortedRecords) {
    for (const ref of r.references ?? []) references.add(ref.url);
    publishedAt = byTime(publishedAt, r.published, false);
    modifiedAt = byTime(modifiedAt, r.modified, true);
  }
  const details = primary?.details?.trim();
  const text: VulnerabilityText = {
    ruleId,
    aliases: sortedIds.filter((id) => id !== ruleId),
    title: primary?.summary?.trim() || details?.split('\n')[0]?.trim() || ruleId,
    references: [...references],
  };
  if (details) text.description = truncate(details, DESCRIPTION_LIMIT);
  // Go's database writes a zero time when it has none.
  if (publishedAt && Date.parse(publishedAt) > 0) text.publishedAt = publishedAt;
  if (modifiedAt && Date.parse(modifiedAt) > 0) text.modifiedAt = modifiedAt;
  if (only) singleRecordText.set(only, text);
  return text;
}

function findingFor(group: Match[], pkg: Package, set: PackageSet, lookup: Lookup): Finding {
  const text = vulnerabilityText(group.map((m) => m.record));
  let severity = group[0]?.severity ?? { severity: 'UNKNOWN' as const, cvss: [] };
  for (const m of group.slice(1)) severity = strongerSeverity(severity, m.severity);
  const filePath = pkg.filePath ?? set.filePath;
  // Arrays are copied so a consumer editing one finding cannot change another.
  const finding: Finding = {
    id: fingerprint(text.ruleId, pkg.purl, filePath),
    type: 'vulnerability',
    ruleId: text.ruleId,
    severity: severity.severity,
    title: text.title,
    target: pkg.layer ? { path: filePath, layer: pkg.layer } : { path: filePath },
    package: pkg,
    installedVersion: pkg.version,
    references: text.references.slice(),
    status: 'open',
  };
  if (text.aliases.length > 0) finding.aliases = text.aliases.slice();
  if (severity.source) finding.severitySource = severity.source;
  if (text.description) finding.description = text.description;
  if (text.publishedAt) finding.publishedAt = text.publishedAt;
  if (text.modifiedAt) finding.modifiedAt = text.modifiedAt;
  if (group.length === 1) {
    const m = group[0] as Match;
    if (m.severity.cvss.length > 0) finding.cvss = m.severity.cvss.slice();
    if (m.fixes.length > 0) finding.fixedVersion = sortVersions(m.fixes, lookup.scheme).join(', ');
    if (pkg.ecosystem === 'Go' && m.symbols.length > 0) finding.symbols = [...new Set(m.symbols)].sort();
    return finding;
  }
  const cvss = new Map<string, NonNullable<Finding['cvss']>[number]>();
  const fixes: string[] = [];
  const symbols = new Set<string>();
  for (const m of group) {
    for (const c of m.severity.cvss) if (!cvss.has(c.vector)) cvss.set(c.vector, c);
    fixes.push(...m.fixes);
    for (const sym of m.symbols) symbols.add(sym);
  }
  if (cvss.size > 0) finding.cvss = [...cvss.values()];
  if (fixes.length > 0) finding.fixedVersion = sortVersions(fixes, lookup.scheme).join(', ');
  if (pkg.ecosystem === 'Go' && symbols.size > 0) finding.symbols = [...symbols].sort();
  return finding;
}

/**
 * Findings for one package set, in the set's package order. OS packages need `os` to pick the
 * distro release ("Debian:12"); without it (or for an ecosystem with no version scheme) a package is not matched.
 */
export function detectVulnerabilities(db: VulnDb, os: OsInfo | undefined, set: PackageSet): Finding[] {
  const findings: Finding[] = [];
  const osPackage = set.class === 'os-pkgs';
  const distroKeys = new Map<string, string | undefined>();
  for (const pkg of set.packages) {
    const lookup = lookupFor(pkg, set, os, distroKeys);
    if (!lookup?.scheme.isValid(lookup.version)) continue;
    // Packages of one source (libssl3, openssl …) share a lookup; the store caches it.
    const candidates = db.candidates(lookup.ecosystem, lookup.name);
    if (candidates.length === 0) continue;
    const matches: Match[] = [];
    for (const candidate of candidates) {
      const m = matchCandidate(db, candidate, lookup, osPackage);
      if (m) matches.push(m);
    }
    if (matches.length === 1) {
      findings.push(findingFor(matches, pkg, set, lookup));
      continue;
    }
    // Within a package: most severe first, then by id (plain code-unit order, locale-independent).
    const own = groupByAlias(matches).map((group) => findingFor(group, pkg, set, lookup));
    own.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || compareText(a.ruleId, b.ruleId));
    findings.push(...own);
  }
  return findings;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
