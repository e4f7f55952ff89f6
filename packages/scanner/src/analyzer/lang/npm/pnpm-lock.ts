// pnpm-lock.yaml 5.x ("/name/1.0.0_peer"), 6.x ("/name@1.0.0(peer)") and 9.x ("name@1.0.0" plus a
// "snapshots" graph from which dev-only packages are derived), read with the fast pnpm-yaml reader.

import type { Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import { baseName, dedupePackages, isRecord, keep, langResult, npmPackage, underFolder } from '../lang-package.js';
import { parsePnpmYaml } from './pnpm-yaml.js';

/** "name@1.0.0(peer@2)" or "@scope/name@1.0.0" → [name, version] (peer suffix dropped). */
function splitAtKey(key: string): [string, string] | undefined {
  const paren = key.indexOf('(');
  const bare = paren >= 0 ? key.slice(0, paren) : key;
  const at = bare.indexOf('@', bare.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return [bare.slice(0, at), bare.slice(at + 1)];
}

/** v5 key "/name/1.0.0_peer@2" or "/@scope/name/1.0.0" → [name, version]. */
function splitSlashKey(key: string): [string, string] | undefined {
  const body = key.slice(1);
  const slash = body.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const version = body.slice(slash + 1);
  const underscore = version.indexOf('_');
  return [body.slice(0, slash), underscore >= 0 ? version.slice(0, underscore) : version];
}

const isSemverish = (v: string) => /^\d+\.\d+\.\d+/.test(v);

function lockfileMajor(doc: Record<string, unknown>): number {
  const v = doc.lockfileVersion;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseFloat(v) : Number.NaN;
  return Number.isFinite(n) ? Math.floor(n) : 0;
}

/** v5/v6: every package carries its own "dev" flag. */
function fromV5V6(packages: Record<string, unknown>, major: number, filePath: string): Package[] {
  const out: Package[] = [];
  for (const key in packages) {
    // Registry entries start with '/'; file:, link: and git entries are keyed by their source.
    if (!key.startsWith('/')) continue;
    const nv = major >= 6 ? splitAtKey(key.slice(1)) : splitSlashKey(key);
    if (!nv || !isSemverish(nv[1])) continue;
    const entry = packages[key];
    keep(out, npmPackage(nv[0], nv[1], filePath, isRecord(entry) && entry.dev === true));
  }
  return out;
}

/** The snapshot key a dependency entry points to: "name@version" or the alias target itself. */
function depKey(name: string, ref: unknown): string | undefined {
  if (typeof ref !== 'string' || ref.startsWith('link:') || ref.startsWith('file:')) return undefined;
  // An alias points at "real@1.0.0"; a plain version may still carry "(peer@2.0.0)" suffixes.
  const paren = ref.indexOf('(');
  const head = paren >= 0 ? ref.slice(0, paren) : ref;
  return head.indexOf('@', 1) > 0 ? ref : `${name}@${ref}`;
}

function depRefs(entry: unknown, fields: string[]): string[] {
  const keys: string[] = [];
  if (!isRecord(entry)) return keys;
  for (const field of fields) {
    const deps = entry[field];
    if (!isRecord(deps)) continue;
    for (const name in deps) {
      const spec = deps[name];
      // importers write {specifier, version}; snapshots write the version string directly.
      const key = depKey(name, isRecord(spec) ? spec.version : spec);
      if (key) keys.push(key);
    }
  }
  return keys;
}

/** v9: packages have no dev flag; a package is dev when no production importer edge reaches it. */
function fromV9(doc: Record<string, unknown>, filePath: string): Package[] {
  const packages = isRecord(doc.packages) ? doc.packages : {};
  const snapshots = isRecord(doc.snapshots) ? doc.snapshots : {};
  const importers = isRecord(doc.importers) ? doc.importers : {};
  const prodRoots: string[] = [];
  for (const name in importers) prodRoots.push(...depRefs(importers[name], ['dependencies', 'optionalDependencies']));
  const prod = new Set<string>();
  const stack = prodRoots;
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (prod.has(key)) continue;
    prod.add(key);
    stack.push(...depRefs(snapshots[key], ['dependencies', 'optionalDependencies']));
  }
  const prodBare = new Set<string>();
  for (const key of prod) {
    const paren = key.indexOf('(');
    prodBare.add(paren >= 0 ? key.slice(0, paren) : key);
  }
  const out: Package[] = [];
  for (const key in packages) {
    const nv = splitAtKey(key);
    if (!nv || !isSemverish(nv[1])) continue;
    keep(out, npmPackage(nv[0], nv[1], filePath, !prodBare.has(key)));
  }
  return out;
}

export function parsePnpmLock(input: AnalyzerInput, ctx: AnalyzerContext): Package[] | undefined {
  const text = input.content.toString('utf8');
  if (text.includes('\0')) {
    ctx.warn(`${input.path}: not a pnpm lockfile (binary content)`);
    return undefined;
  }
  const doc = parsePnpmYaml(text);
  if (!isRecord(doc) || doc.lockfileVersion === undefined) {
    ctx.warn(`${input.path}: not a pnpm lockfile (no lockfileVersion)`);
    return undefined;
  }
  const major = lockfileMajor(doc);
  if (major >= 9) return dedupePackages(fromV9(doc, input.path));
  return dedupePackages(isRecord(doc.packages) ? fromV5V6(doc.packages, major, input.path) : []);
}

export const pnpmLockAnalyzer: Analyzer = {
  name: 'pnpm-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'pnpm-lock.yaml' && !underFolder(path, 'node_modules'),
  async analyze(input, ctx) {
    const packages = parsePnpmLock(input, ctx);
    return packages && langResult('pnpm', input.path, packages);
  },
};
