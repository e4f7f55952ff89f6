// poetry.lock: [[package]] tables. Poetry 1.x marks dev packages with category = "dev"; Poetry 2
// lists dependency groups instead (dev when "main" is not among them). git/path sources are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, isRecord, keep, langResult, pypiPackage, str } from '../lang-package.js';
import { packageTables, readToml } from '../toml-file.js';

const LOCAL_SOURCES = new Set(['git', 'directory', 'file', 'url']);

export const poetryLockAnalyzer: Analyzer = {
  name: 'poetry-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'poetry.lock',
  async analyze(input, ctx) {
    const doc = readToml(input, ctx);
    if (!doc) return undefined;
    const out: Package[] = [];
    for (const t of packageTables(doc)) {
      const name = str(t.name);
      const version = str(t.version);
      if (!name || !version) continue;
      if (isRecord(t.source) && LOCAL_SOURCES.has(String(t.source.type))) continue;
      const groups = Array.isArray(t.groups) ? t.groups : undefined;
      const dev = t.category === 'dev' || (groups !== undefined && groups.length > 0 && !groups.includes('main'));
      keep(out, pypiPackage(name, version, input.path, dev));
    }
    return langResult('poetry', input.path, out);
  },
};
