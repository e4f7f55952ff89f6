// npm's package-lock.json and npm-shrinkwrap.json, lockfile versions 1 (nested "dependencies"),
// 2 and 3 (flat "packages" keyed by node_modules path). Linked, file:, and git entries are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import {
  baseName,
  dedupePackages,
  isRecord,
  keep,
  langResult,
  npmPackage,
  readJson,
  str,
  underFolder,
} from '../lang-package.js';

const LOCK_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/** "resolved" values that do not come from a registry, so match no advisory. */
function isNonRegistry(spec: string): boolean {
  return /^(?:file:|link:|git\+|git:|github:|gitlab:|bitbucket:|\.{0,2}\/)/.test(spec);
}

/** Registry versions are semver; file:, git and tarball-URL "versions" are not. */
function isRegistryVersion(version: string): boolean {
  const c = version.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/** Lockfile v2/v3: every installed copy is a "packages" key ending in node_modules/<name>. */
function fromPackagesMap(packages: Record<string, unknown>, filePath: string): Package[] {
  const out: Package[] = [];
  for (const key in packages) {
    const entry = packages[key];
    if (!isRecord(entry) || entry.link === true) continue;
    const at = key.lastIndexOf('node_modules/');
    if (at < 0) continue; // the root project and workspace source folders
    const version = str(entry.version);
    if (!version || !isRegistryVersion(version)) continue;
    const resolved = str(entry.resolved);
    if (resolved && isNonRegistry(resolved)) continue;
    // An aliased install (npm i alias@npm:real) records the real name in "name".
    const name = str(entry.name) ?? key.slice(at + 'node_modules/'.length);
    keep(out, npmPackage(name, version, filePath, entry.dev === true));
  }
  return out;
}

/** Lockfile v1: a tree of "dependencies", each possibly with its own nested "dependencies". */
function fromDependencyTree(deps: Record<string, unknown>, filePath: string, out: Package[]): void {
  for (const name in deps) {
    const entry = deps[name];
    if (!isRecord(entry)) continue;
    let version = str(entry.version);
    let realName = name;
    if (version?.startsWith('npm:')) {
      const spec = version.slice(4);
      const at = spec.lastIndexOf('@');
      if (at > 0) {
        realName = spec.slice(0, at);
        version = spec.slice(at + 1);
      }
    }
    if (version && isRegistryVersion(version)) {
      const resolved = str(entry.resolved);
      if (!resolved || !isNonRegistry(resolved)) keep(out, npmPackage(realName, version, filePath, entry.dev === true));
    }
    if (isRecord(entry.dependencies)) fromDependencyTree(entry.dependencies, filePath, out);
  }
}

export function parseNpmLock(input: AnalyzerInput, ctx: AnalyzerContext): Package[] | undefined {
  const doc = readJson(input, ctx);
  if (doc === undefined) return undefined;
  if (!isRecord(doc)) {
    ctx.warn(`${input.path}: not an npm lockfile (top level is not an object)`);
    return undefined;
  }
  if (isRecord(doc.packages)) return dedupePackages(fromPackagesMap(doc.packages, input.path));
  if (isRecord(doc.dependencies)) {
    const out: Package[] = [];
    fromDependencyTree(doc.dependencies, input.path, out);
    return dedupePackages(out);
  }
  if (doc.lockfileVersion === undefined) {
    ctx.warn(`${input.path}: not an npm lockfile (no lockfileVersion, packages or dependencies)`);
    return undefined;
  }
  return [];
}

export const npmLockAnalyzer: Analyzer = {
  name: 'npm-lock',
  category: 'lang',
  required: (path) => LOCK_NAMES.has(baseName(path)) && !underFolder(path, 'node_modules'),
  async analyze(input, ctx) {
    const packages = parseNpmLock(input, ctx);
    return packages && langResult('npm', input.path, packages);
  },
};
