// Builders shared by the language analyzers: one Package per ecosystem with the purl the purl spec
// asks for and OSV's ecosystem name, plus the small input helpers every lockfile parser needs.

import { type Ecosystem, formatPurl, type Package } from '@palisade/core';
import type { AnalysisResult, AnalyzerContext, AnalyzerInput } from '../types.js';

/** The last '/'-separated part of an artifact path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Names and versions are printable tokens; anything else is a corrupt file, not a package. */
function plausible(s: string, max: number): boolean {
  return s.length > 0 && s.length <= max && !/[\s\x00-\x1f\x7f]/.test(s);
}

/** True when a path runs through a folder of that exact name (node_modules, vendor …). */
export function underFolder(path: string, folder: string): boolean {
  return path.startsWith(`${folder}/`) || path.includes(`/${folder}/`);
}

function pkg(
  ecosystem: Ecosystem,
  name: string,
  version: string,
  purl: () => string,
  filePath: string,
  dev: boolean | undefined,
): Package | undefined {
  if (!plausible(name, 512) || !plausible(version, 256)) return undefined;
  let id: string;
  try {
    id = purl();
  } catch {
    return undefined; // the purl library rejects what the purl spec cannot express
  }
  const p: Package = { name, version, ecosystem, purl: id, filePath };
  if (dev) p.dev = true;
  return p;
}

/** Appends a package that could be built; drops the undefined a corrupt entry yields. */
export function keep(out: Package[], p: Package | undefined): void {
  if (p) out.push(p);
}

export function npmPackage(name: string, version: string, filePath: string, dev?: boolean): Package | undefined {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const purl = () =>
    slash > 0
      ? formatPurl({ type: 'npm', namespace: name.slice(0, slash), name: name.slice(slash + 1), version })
      : formatPurl({ type: 'npm', name, version });
  return pkg('npm', name, version, purl, filePath, dev);
}

/** PEP 503 normalisation: runs of '-', '_', '.' become one '-', all lower case (the purl spec's rule for pypi). */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export function pypiPackage(name: string, version: string, filePath: string, dev?: boolean): Package | undefined {
  const purl = () => formatPurl({ type: 'pypi', name: normalizePypiName(name), version });
  return pkg('PyPI', name, version, purl, filePath, dev);
}

/**
 * Go modules: versions are kept without the leading 'v' (as OSV writes them); the purl keeps the
 * module's own 'v'. The Go toolchain itself is the package "stdlib", as Trivy and OSV name it.
 */
export function goPackage(modulePath: string, version: string, filePath: string): Package | undefined {
  const bare = version.startsWith('v') ? version.slice(1) : version;
  const slash = modulePath.lastIndexOf('/');
  const purl = () =>
    slash > 0
      ? formatPurl({
          type: 'golang',
          namespace: modulePath.slice(0, slash),
          name: modulePath.slice(slash + 1),
          version: `v${bare}`,
        })
      : formatPurl({ type: 'golang', name: modulePath, version: `v${bare}` });
  return pkg('Go', modulePath, bare, purl, filePath, undefined);
}

/** "go1.22.3", "go1.22.3 X:boringcrypto", "1.21" → "1.22.3" / "1.21"; undefined when not a Go version. */
export function goToolchainVersion(raw: string): string | undefined {
  const m = /^(?:go)?(\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)/.exec(raw.trim());
  return m ? m[1] : undefined;
}

export function cargoPackage(name: string, version: string, filePath: string): Package | undefined {
  return pkg('crates.io', name, version, () => formatPurl({ type: 'cargo', name, version }), filePath, undefined);
}

export function mavenPackage(
  groupId: string,
  artifactId: string,
  version: string,
  filePath: string,
  dev?: boolean,
): Package | undefined {
  if (!groupId || !artifactId) return undefined;
  const purl = () => formatPurl({ type: 'maven', namespace: groupId, name: artifactId, version });
  return pkg('Maven', `${groupId}:${artifactId}`, version, purl, filePath, dev);
}

export function gemPackage(name: string, version: string, filePath: string, platform?: string): Package | undefined {
  const purl = () => formatPurl({ type: 'gem', name, version, ...(platform ? { qualifiers: { platform } } : {}) });
  return pkg('RubyGems', name, version, purl, filePath, undefined);
}

export function composerPackage(name: string, version: string, filePath: string, dev?: boolean): Package | undefined {
  const slash = name.indexOf('/');
  const purl = () =>
    slash > 0
      ? formatPurl({ type: 'composer', namespace: name.slice(0, slash), name: name.slice(slash + 1), version })
      : formatPurl({ type: 'composer', name, version });
  return pkg('Packagist', name, version, purl, filePath, dev);
}

export function nugetPackage(name: string, version: string, filePath: string): Package | undefined {
  return pkg('NuGet', name, version, () => formatPurl({ type: 'nuget', name, version }), filePath, undefined);
}

/** One lang-pkgs set, or nothing when the file declared no packages. */
export function langResult(type: string, filePath: string, packages: Package[]): AnalysisResult | undefined {
  if (packages.length === 0) return undefined;
  return { packageSets: [{ class: 'lang-pkgs', type, filePath, packages }] };
}

/** Collapses repeated entries (same purl); a package is dev only if every occurrence is. */
export function dedupePackages(packages: Package[]): Package[] {
  const seen = new Map<string, Package>();
  for (const p of packages) {
    const prev = seen.get(p.purl);
    if (!prev) seen.set(p.purl, p);
    else if (prev.dev && !p.dev) prev.dev = undefined;
  }
  for (const p of seen.values()) if (!p.dev) delete p.dev;
  return [...seen.values()];
}

/** Parses a JSON file, telling the user (not throwing) when it is not JSON. */
export function readJson(input: AnalyzerInput, ctx: AnalyzerContext): unknown {
  try {
    return JSON.parse(input.content.toString('utf8'));
  } catch (err) {
    ctx.warn(`${input.path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
