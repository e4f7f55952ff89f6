// uv.lock: [[package]] tables with a "source" saying where each came from. Only registry packages
// are reported; dev is derived by walking the graph from the project's own (editable/virtual) packages.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import {
  baseName,
  dedupePackages,
  isRecord,
  keep,
  langResult,
  normalizePypiName,
  pypiPackage,
  str,
} from '../lang-package.js';
import { packageTables, readToml } from '../toml-file.js';

function depNames(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const d of list) if (isRecord(d) && typeof d.name === 'string') names.push(normalizePypiName(d.name));
  return names;
}

/** Names in the tables of a map of lists (optional-dependencies, dev-dependencies: group → deps). */
function groupedDepNames(groups: unknown): string[] {
  if (!isRecord(groups)) return [];
  return Object.values(groups).flatMap(depNames);
}

export const uvLockAnalyzer: Analyzer = {
  name: 'uv-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'uv.lock',
  async analyze(input, ctx) {
    const doc = readToml(input, ctx);
    if (!doc) return undefined;
    const tables = packageTables(doc);
    const edges = new Map<string, string[]>();
    const prodRoots: string[] = [];
    let hasRoot = false;
    for (const t of tables) {
      const name = str(t.name);
      if (!name) continue;
      const norm = normalizePypiName(name);
      const deps = [...depNames(t.dependencies), ...groupedDepNames(t['optional-dependencies'])];
      edges.set(norm, [...(edges.get(norm) ?? []), ...deps]);
      const source = isRecord(t.source) ? t.source : {};
      if ('editable' in source || 'virtual' in source) {
        hasRoot = true;
        prodRoots.push(...deps);
      }
    }
    const prod = new Set<string>();
    const stack = [...prodRoots];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (prod.has(n)) continue;
      prod.add(n);
      stack.push(...(edges.get(n) ?? []));
    }
    const out: Package[] = [];
    for (const t of tables) {
      const name = str(t.name);
      const version = str(t.version);
      if (!name || !version || !isRecord(t.source) || !('registry' in t.source)) continue;
      keep(out, pypiPackage(name, version, input.path, hasRoot && !prod.has(normalizePypiName(name))));
    }
    return langResult('uv', input.path, dedupePackages(out));
  },
};
