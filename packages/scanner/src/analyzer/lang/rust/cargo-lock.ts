// Cargo.lock, versions 1 to 4: [[package]] tables. Packages without a source (workspace members,
// path dependencies) and git sources are skipped: only registry crates match advisories.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, cargoPackage, dedupePackages, keep, langResult, str } from '../lang-package.js';
import { packageTables, readToml } from '../toml-file.js';

export const cargoLockAnalyzer: Analyzer = {
  name: 'cargo-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'Cargo.lock',
  async analyze(input, ctx) {
    const doc = readToml(input, ctx);
    if (!doc) return undefined;
    const out: Package[] = [];
    for (const t of packageTables(doc)) {
      const name = str(t.name);
      const version = str(t.version);
      const source = str(t.source);
      if (!name || !version || !source) continue;
      if (!source.startsWith('registry+') && !source.startsWith('sparse+')) continue;
      keep(out, cargoPackage(name, version, input.path));
    }
    return langResult('cargo', input.path, dedupePackages(out));
  },
};
