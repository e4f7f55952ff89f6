// The scan pipeline: artifact → analyzers (layers applied) → OS package identity → detectors →
// ScanReport. Filtering, formats and exit codes happen after this, in result/, report and the CLI.

import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Finding, InputError, NotFoundError, type ScanReport, type ScanResult } from '@palisade/core';
import { type ArtifactKind, analyzeArtifact, type ScanProgress } from './analyze-artifact.js';
import { analyzersFor } from './analyzer/index.js';
import { finalizeOsPackages } from './analyzer/pkg/index.js';
import type { ArtifactAnalysis, PackageSet } from './analyzer/types.js';
import { readSbom } from './artifact/sbom/index.js';
import { detectVulnerabilities } from './detector/vuln/index.js';
import { listListeningSockets, publishedPortFindings, socketFindings } from './exposure/index.js';
import { type K8sRule, loadUserRules, scanImageConfig, scanTerraformTree } from './misconfig/index.js';
import { scanFunctionConfigSecrets, scanGitHistory, scanImageConfigSecrets } from './secret/index.js';
import { VulnDb } from './vulndb/index.js';
import { vulnDbPath } from './vulndb-path.js';

export type ScanTargetKind = ArtifactKind | 'sbom';

/** vuln: known vulnerabilities of packages; secret: credentials in files, layers, config env and git
 * history; config: misconfigurations of Kubernetes manifests, Dockerfiles and image configs;
 * exposure: listening sockets and published container ports of the live host (`rootfs /`). */
export type ScannerName = 'vuln' | 'secret' | 'config' | 'exposure';

export interface ScanOptions {
  kind: ScanTargetKind;
  target: string;
  cacheDir: string;
  scanners: readonly ScannerName[];
  skipDirs?: string[];
  skipFiles?: string[];
  functionConfig?: string;
  /** User rule files in CEL (`--rules-config`), run by the config scanner beside the built-in rules. */
  rulesConfig?: readonly string[];
  /** `--values` files for Helm charts rendered during fs/repo config scans. */
  helmValues?: readonly string[];
  onProgress?: (p: ScanProgress) => void;
}

export async function scanArtifact(opts: ScanOptions): Promise<ScanReport> {
  // Rule files are checked first: a typo in a rule should fail before any artifact is read.
  const userRules = loadRulesConfig(opts.rulesConfig);
  // Open the database first: a missing database should fail before minutes of image reading.
  const db = opts.scanners.includes('vuln') ? openVulnDb(opts.cacheDir) : undefined;
  try {
    const analysis = await analyze(opts, userRules);
    const os = analysis.artifact.os;
    const results: ScanResult[] = aggregateInstalledPackages(analysis.packageSets).map((set) => {
      const finalSet = set.class === 'os-pkgs' ? finalizeOsPackages(set, os) : set;
      const findings: Finding[] = db ? detectVulnerabilities(db, os, finalSet) : [];
      return {
        target: resultTarget(finalSet, analysis),
        class: finalSet.class,
        type: finalSet.type,
        packages: finalSet.packages,
        findings,
      };
    });
    results.push(
      ...(await secretResults(analysis, opts)),
      ...(await configResults(analysis, opts)),
      ...(await exposureResults(analysis, opts)),
    );
    return {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      artifact: analysis.artifact,
      results,
      warnings: analysis.warnings,
    };
  } finally {
    db?.close();
  }
}

function openVulnDb(cacheDir: string): VulnDb {
  const file = vulnDbPath(cacheDir);
  try {
    return VulnDb.open(file, { readonly: true });
  } catch {
    throw new NotFoundError(
      `no vulnerability database in ${path.dirname(file)}: run "palisade db update" (or "palisade db import PATH" offline), or scan with --scanners none to list packages only`,
    );
  }
}

function loadRulesConfig(files: readonly string[] | undefined): readonly K8sRule[] {
  if (!files || files.length === 0) return [];
  const { rules, errors } = loadUserRules(files);
  if (errors.length > 0) throw new InputError(`invalid rules config:\n  ${errors.join('\n  ')}`);
  return rules;
}

async function analyze(opts: ScanOptions, userRules: readonly K8sRule[]): Promise<ArtifactAnalysis> {
  if (opts.kind === 'sbom') return readSbom(opts.target);
  const tempDir = await mkdtemp(path.join(opts.cacheDir, 'tmp-'));
  try {
    return await analyzeArtifact(opts.kind, opts.target, {
      analyzers: analyzersFor(opts.kind, opts.scanners, {
        userRules,
        // Charts are rendered from disk, so only for directory targets.
        sourceRoot: opts.kind === 'fs' || opts.kind === 'repo' ? opts.target : undefined,
        helmValues: opts.helmValues,
      }),
      tempDir,
      skipDirs: opts.skipDirs,
      skipFiles: opts.skipFiles,
      functionConfig: opts.functionConfig,
      onProgress: opts.onProgress,
    });
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** One result per file with secrets, plus the image or function configuration and git history. */
async function secretResults(analysis: ArtifactAnalysis, opts: ScanOptions): Promise<ScanResult[]> {
  if (!opts.scanners.includes('secret')) return [];
  const found = [...(analysis.secrets ?? [])];
  if (analysis.artifact.image) found.push(...scanImageConfigSecrets(analysis.artifact.image));
  if (analysis.functionConfig) found.push(...scanFunctionConfigSecrets(analysis.functionConfig));
  if (opts.kind === 'repo') {
    // A secret still in the working tree is also in history: keep the history copy, which names
    // the commit that added it (same path and secret give the same id).
    const history = await scanGitHistory(opts.target);
    const historyIds = new Set(history.map((f) => f.id));
    return groupByPath([...found.filter((f) => !historyIds.has(f.id)), ...history], 'secret', 'secret');
  }
  return groupByPath(found, 'secret', 'secret');
}

/** One result per misconfigured file, plus the image configuration. */
async function configResults(analysis: ArtifactAnalysis, opts: ScanOptions): Promise<ScanResult[]> {
  if (!opts.scanners.includes('config')) return [];
  let sets = analysis.misconfigurations ?? [];
  if (opts.kind === 'fs' || opts.kind === 'repo') {
    // Terraform is judged per module directory (all files together, local modules followed),
    // which replaces the per-file view the analyzer had.
    const tree = await scanTerraformTree(opts.target);
    sets = [...sets.filter((m) => m.type !== 'terraform'), ...tree.sets];
    analysis.warnings.push(...tree.warnings);
  }
  const results: ScanResult[] = sets.map((m) => ({
    target: m.filePath,
    class: 'config',
    type: m.type,
    packages: [],
    findings: m.findings,
  }));
  if (analysis.artifact.image)
    results.push(...groupByPath(scanImageConfig(analysis.artifact.image), 'config', 'image-config'));
  return results;
}

/** Listening sockets and published ports belong to the running host, so only `rootfs /` has them. */
async function exposureResults(analysis: ArtifactAnalysis, opts: ScanOptions): Promise<ScanResult[]> {
  if (!opts.scanners.includes('exposure')) return [];
  if (opts.kind !== 'rootfs' || path.resolve(opts.target) !== '/') {
    analysis.warnings.push('exposure scanning looks at the running host: use it with "scan rootfs /"');
    return [];
  }
  const [sockets, published] = await Promise.all([listListeningSockets(), publishedPortFindings()]);
  return [
    {
      target: 'listening sockets',
      class: 'exposure',
      type: 'sockets',
      packages: [],
      findings: socketFindings(sockets),
    },
    { target: 'published container ports', class: 'exposure', type: 'podman', packages: [], findings: published },
  ];
}

function groupByPath(findings: Finding[], cls: 'secret' | 'config', type: string): ScanResult[] {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.target.path ?? '';
    const list = byPath.get(key);
    if (list) list.push(f);
    else byPath.set(key, [f]);
  }
  return [...byPath].map(([target, list]) => ({
    target,
    class: cls,
    type,
    packages: [],
    findings: list.sort((a, b) => (a.target.line ?? 0) - (b.target.line ?? 0)),
  }));
}

/**
 * Installed language packages are found one manifest per package (thousands of node_modules
 * package.json files in an image): report them as one result per ecosystem, as Trivy does, each
 * package keeping its own file path.
 */
const AGGREGATED_TYPES: ReadonlyMap<string, string> = new Map([
  ['node-pkg', 'Node.js'],
  ['python-pkg', 'Python'],
  ['gemspec', 'Ruby'],
  ['jar', 'Java'],
]);

function aggregateInstalledPackages(sets: PackageSet[]): PackageSet[] {
  const merged = new Map<string, PackageSet>();
  const out: PackageSet[] = [];
  for (const set of sets) {
    const label = AGGREGATED_TYPES.get(set.type);
    if (!label) {
      out.push(set);
      continue;
    }
    let target = merged.get(set.type);
    if (!target) {
      target = { class: set.class, type: set.type, filePath: label, packages: [] };
      merged.set(set.type, target);
      out.push(target);
    }
    target.packages.push(...set.packages);
  }
  return out;
}

/** "debian 12.5 (dpkg)" for OS packages, the lockfile's path for language packages. */
function resultTarget(set: PackageSet, analysis: ArtifactAnalysis): string {
  const os = analysis.artifact.os;
  if (set.class === 'os-pkgs' && os) return `${analysis.artifact.name} (${os.family} ${os.version})`;
  return set.filePath;
}
