// yarn.lock in both dialects: yarn v1 (its own indented format) and yarn berry v2+ (YAML with a
// __metadata block). Read line by line, not with a YAML parser: lockfiles run to 100k lines.

import type { Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import { baseName, dedupePackages, keep, langResult, npmPackage, underFolder } from '../lang-package.js';

/** Splits "name@rest" where the name may be scoped ("@scope/name@rest"). */
function splitNameAt(spec: string): [string, string] | undefined {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return [spec.slice(0, at), spec.slice(at + 1)];
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** yarn v1 ranges that do not resolve from the registry. */
const NON_REGISTRY_RANGE =
  /^(?:file:|link:|portal:|workspace:|git\+|git:|github:|gitlab:|bitbucket:|https?:|\.{0,2}\/)/;
const NON_REGISTRY_RESOLVED = /^(?:file:|git\+|git:|github:)|codeload\.github\.com|\.git(?:#|$)/;

interface V1Entry {
  name: string;
  range: string;
  version?: string;
  resolved?: string;
}

function finishV1(e: V1Entry | undefined, filePath: string, out: Package[]): void {
  if (!e?.version || NON_REGISTRY_RANGE.test(e.range)) return;
  if (e.resolved && NON_REGISTRY_RESOLVED.test(e.resolved)) return;
  keep(out, npmPackage(e.name, e.version, filePath));
}

export function parseYarnV1(text: string, filePath: string): Package[] {
  const out: Package[] = [];
  let cur: V1Entry | undefined;
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.charCodeAt(0) !== 32) {
      finishV1(cur, filePath, out);
      cur = undefined;
      const first = unquote(line.replace(/:\s*$/, '').split(',')[0] ?? '');
      const parts = splitNameAt(first);
      if (!parts) continue;
      let [name, range] = parts;
      if (range.startsWith('npm:')) {
        // alias@npm:real@range: the installed package is "real".
        const real = splitNameAt(range.slice(4));
        if (real) [name, range] = real;
      }
      cur = { name, range };
    } else if (cur && line.startsWith('  ') && line.charCodeAt(2) !== 32) {
      if (line.startsWith('  version ')) cur.version = unquote(line.slice(10));
      else if (line.startsWith('  resolved ')) cur.resolved = unquote(line.slice(11));
    }
  }
  finishV1(cur, filePath, out);
  return out;
}

/** A berry "resolution": name@npm:version, or a patch of one (name@patch:name@npm%3Aversion#…). */
function berryResolution(resolution: string): [string, string] | undefined {
  const parts = splitNameAt(resolution);
  if (!parts) return undefined;
  const [name, rest] = parts;
  if (rest.startsWith('npm:')) {
    const version = rest.slice(4);
    // An aliased resolution names the real package: alias@npm:real@1.0.0.
    const aliased = version.includes('@') ? splitNameAt(version) : undefined;
    return aliased ?? [name, version];
  }
  if (rest.startsWith('patch:')) {
    const inner = rest.slice(6);
    const hash = inner.indexOf('#');
    try {
      return berryResolution(decodeURIComponent(hash >= 0 ? inner.slice(0, hash) : inner));
    } catch {
      return undefined;
    }
  }
  return undefined; // workspace:, link:, portal:, file:, git, exec: — not registry packages
}

export function parseYarnBerry(text: string, filePath: string): Package[] {
  const out: Package[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('  resolution: ')) continue;
    const resolved = berryResolution(unquote(line.slice(14)));
    if (resolved && /^\d/.test(resolved[1])) keep(out, npmPackage(resolved[0], resolved[1], filePath));
  }
  return out;
}

export function parseYarnLock(input: AnalyzerInput, ctx: AnalyzerContext): Package[] | undefined {
  const text = input.content.toString('utf8');
  if (text.includes('\0')) {
    ctx.warn(`${input.path}: not a yarn lockfile (binary content)`);
    return undefined;
  }
  const berry = /^__metadata:/m.test(text);
  if (!berry && !/^\S.*:\s*$/m.test(text)) {
    if (text.trim().length > 0 && !/^#/.test(text.trim())) ctx.warn(`${input.path}: not a yarn lockfile (no entries)`);
    return [];
  }
  return dedupePackages(berry ? parseYarnBerry(text, input.path) : parseYarnV1(text, input.path));
}

export const yarnLockAnalyzer: Analyzer = {
  name: 'yarn-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'yarn.lock' && !underFolder(path, 'node_modules'),
  async analyze(input, ctx) {
    const packages = parseYarnLock(input, ctx);
    return packages && langResult('yarn', input.path, packages);
  },
};
