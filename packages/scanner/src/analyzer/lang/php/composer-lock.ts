// Composer: composer.lock ("packages" and "packages-dev") in source trees and
// vendor/composer/installed.json (a bare array in Composer 1, {packages, dev-package-names} in 2).

import type { Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import {
  baseName,
  composerPackage,
  dedupePackages,
  isRecord,
  keep,
  langResult,
  readJson,
  str,
  underFolder,
} from '../lang-package.js';

function collect(list: unknown, filePath: string, isDev: (name: string) => boolean, out: Package[]): void {
  if (!Array.isArray(list)) return;
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    const name = str(entry.name);
    const version = str(entry.version);
    // Path repositories and dev branches ("dev-main") have no release an advisory could name.
    if (!name || !version || version.startsWith('dev-') || (isRecord(entry.dist) && entry.dist.type === 'path'))
      continue;
    keep(out, composerPackage(name, version, filePath, isDev(name)));
  }
}

export function parseComposerLock(input: AnalyzerInput, ctx: AnalyzerContext): Package[] | undefined {
  const doc = readJson(input, ctx);
  if (doc === undefined) return undefined;
  const out: Package[] = [];
  if (Array.isArray(doc)) {
    collect(doc, input.path, () => false, out);
  } else if (isRecord(doc) && (Array.isArray(doc.packages) || Array.isArray(doc['packages-dev']))) {
    const devNames = new Set(Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'] : []);
    collect(doc.packages, input.path, (n) => devNames.has(n), out);
    collect(doc['packages-dev'], input.path, () => true, out);
  } else {
    ctx.warn(`${input.path}: not a Composer lock or installed.json (no packages list)`);
    return undefined;
  }
  return dedupePackages(out);
}

export const composerLockAnalyzer: Analyzer = {
  name: 'composer-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'composer.lock' && !underFolder(path, 'vendor'),
  async analyze(input, ctx) {
    const packages = parseComposerLock(input, ctx);
    return packages && langResult('composer', input.path, packages);
  },
};

export const composerInstalledAnalyzer: Analyzer = {
  name: 'composer-installed',
  category: 'lang',
  required: (path) => path === 'vendor/composer/installed.json' || path.endsWith('/vendor/composer/installed.json'),
  async analyze(input, ctx) {
    const packages = parseComposerLock(input, ctx);
    return packages && langResult('composer-vendor', input.path, packages);
  },
};
