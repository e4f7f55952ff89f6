// Applies the user's result policy to a ScanReport: severity and unfixed filters drop findings;
// ignore rules and VEX statements mark them suppressed (kept, so SBOM/VEX outputs can report them).

import {
  type ArtifactInfo,
  type Finding,
  parsePurl,
  type ScanReport,
  type ScanResult,
  type Suppression,
} from '@palisade/core';
import { purlMatches } from './purl-match.js';
import type { FilterOptions, IgnoreRule, IgnoreRules, VexDocument, VexProduct } from './types.js';

export function filterReport(report: ScanReport, opts: FilterOptions): ScanReport {
  const today = (opts.now ?? new Date()).toISOString().slice(0, 10);
  const warnings = [...report.warnings];
  const ignore = opts.ignore ? activeRules(opts.ignore, today, warnings) : undefined;
  const vexIndex = indexVex(opts.vex ?? []);
  const isArtifact = artifactMatcher(report.artifact);
  const results: ScanResult[] = report.results.map((result) => ({
    ...result,
    findings: result.findings
      .filter((f) => !opts.severities || opts.severities.has(f.severity))
      .filter((f) => !opts.ignoreUnfixed || f.type !== 'vulnerability' || Boolean(f.fixedVersion))
      .map((f) => suppress(f, result, ignore, vexIndex, isArtifact))
      .map((f) =>
        opts.baseline && f.status !== 'suppressed' && opts.baseline.ids.has(f.id)
          ? inBaseline(f, opts.baseline.file)
          : f,
      ),
  }));
  return { ...report, results, warnings };
}

/** Unexpired rules per finding kind, by id, so matching a finding does not scan every rule. */
interface ActiveRules {
  vulnerabilities: Map<string, IgnoreRule[]>;
  misconfigurations: Map<string, IgnoreRule[]>;
  secrets: Map<string, IgnoreRule[]>;
}

/** Drops expired rules, with one warning each, so that a forgotten exception resurfaces loudly. */
function activeRules(rules: IgnoreRules, today: string, warnings: string[]): ActiveRules {
  const reported = new Set<IgnoreRule>();
  const keep = (list: IgnoreRule[]) => {
    const byId = new Map<string, IgnoreRule[]>();
    for (const r of list) {
      if (r.expires && r.expires < today) {
        if (!reported.has(r)) {
          reported.add(r);
          warnings.push(`${rules.file}: ignore rule for ${r.id} expired on ${r.expires} and no longer applies`);
        }
        continue;
      }
      const same = byId.get(r.id) ?? [];
      same.push(r);
      byId.set(r.id, same);
    }
    return byId;
  };
  return {
    vulnerabilities: keep(rules.vulnerabilities),
    misconfigurations: keep(rules.misconfigurations),
    secrets: keep(rules.secrets),
  };
}

interface IndexedStatement {
  /** Position across all documents: a later statement overrides an earlier one. */
  seq: number;
  products: VexProduct[];
  status: string;
  reason?: string;
  file: string;
}

/** Statements by vulnerability id (and alias), in document order so a later statement wins. */
function indexVex(docs: VexDocument[]): Map<string, IndexedStatement[]> {
  const index = new Map<string, IndexedStatement[]>();
  let seq = 0;
  for (const doc of docs) {
    for (const s of doc.statements) {
      const entry: IndexedStatement = { seq: seq++, products: s.products, status: s.status, file: doc.file };
      if (s.reason) entry.reason = s.reason;
      for (const id of s.vulnerabilityIds) {
        const list = index.get(id) ?? [];
        list.push(entry);
        index.set(id, list);
      }
    }
  }
  return index;
}

function suppress(
  f: Finding,
  result: ScanResult,
  ignore: ActiveRules | undefined,
  vex: Map<string, IndexedStatement[]>,
  isArtifact: (productId: string) => boolean,
): Finding {
  if (f.status === 'suppressed') return f;
  const ids = [f.ruleId, ...(f.aliases ?? [])];
  const rule = ignore ? ignoreRuleFor(f, ids, result, ignore) : undefined;
  if (rule) {
    const suppression: Suppression = { source: 'ignorefile' };
    if (rule.reason) suppression.reason = rule.reason;
    if (rule.expires) suppression.expires = rule.expires;
    return { ...f, status: 'suppressed', suppression };
  }
  if (f.type === 'vulnerability' && f.package && vex.size > 0) {
    const statement = vexStatementFor(ids, f.package.purl, vex, isArtifact);
    if (statement && (statement.status === 'not_affected' || statement.status === 'fixed')) {
      const suppression: Suppression = { source: 'vex', reason: statement.reason ?? statement.status };
      return { ...f, status: 'suppressed', suppression };
    }
  }
  return f;
}

function inBaseline(f: Finding, file: string): Finding {
  return { ...f, status: 'suppressed', suppression: { source: 'baseline', reason: `accepted in ${file}` } };
}

function ignoreRuleFor(f: Finding, ids: string[], result: ScanResult, rules: ActiveRules): IgnoreRule | undefined {
  const list =
    f.type === 'vulnerability' ? rules.vulnerabilities : f.type === 'secret' ? rules.secrets : rules.misconfigurations;
  const path = (f.target.path ?? f.package?.filePath ?? result.target).replace(/^\/+/, '');
  for (const id of ids) {
    const rule = list
      .get(id)
      ?.find(
        (r) =>
          (!r.purls || (f.package !== undefined && r.purls.some((p) => purlMatches(p, f.package!.purl)))) &&
          (!r.paths || r.paths.some((g) => globToRegExp(g).test(path))),
      );
    if (rule) return rule;
  }
  return undefined;
}

/** The last statement about any of the ids that covers the package (no products: all packages). */
function vexStatementFor(
  ids: string[],
  purl: string,
  vex: Map<string, IndexedStatement[]>,
  isArtifact: (productId: string) => boolean,
): IndexedStatement | undefined {
  let found: IndexedStatement | undefined;
  for (const id of ids) {
    for (const s of vex.get(id) ?? []) {
      if (found && found.seq > s.seq) continue;
      if (s.products.length === 0 || s.products.some((p) => productCovers(p, purl, isArtifact))) found = s;
    }
  }
  return found;
}

/**
 * A product covers a package when it is the package, or when it is the scanned artifact and
 * either names no subcomponents (the whole artifact) or names the package among them.
 */
function productCovers(p: VexProduct, purl: string, isArtifact: (productId: string) => boolean): boolean {
  if (p.subcomponents) return isArtifact(p.id) && p.subcomponents.some((s) => purlMatches(s, purl));
  return purlMatches(p.id, purl) || isArtifact(p.id);
}

/**
 * Whether a VEX product id names the scanned artifact. Images are matched by digest
 * (`pkg:oci/name@sha256:…`), since registries and tags differ between VEX authors and scanners.
 * Without a digest to compare nothing is the artifact: a statement never widens by guesswork.
 */
function artifactMatcher(artifact: ArtifactInfo): (productId: string) => boolean {
  const image = artifact.image;
  const digests = new Set<string>(
    [image?.id, ...(image?.repoDigests ?? []).map((d) => d.split('@')[1])].filter((d): d is string => Boolean(d)),
  );
  return (productId) => {
    let type: string;
    let version: string | undefined;
    try {
      ({ type, version } = parsePurl(productId));
    } catch {
      return false;
    }
    if (type !== 'oci') return false;
    return version !== undefined && digests.has(version);
  };
}

const globCache = new Map<string, RegExp>();

/** `**` crosses directories, `*` and `?` do not; a leading slash is ignored. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .replace(/^\/+/, '')
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => {
        if (part === '**/') return '(?:.*/)?';
        if (part === '**') return '.*';
        if (part === '*') return '[^/]*';
        if (part === '?') return '[^/]';
        return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}
