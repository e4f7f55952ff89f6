// Pipfile.lock (pipenv): JSON with "default" and "develop" maps of name → {version: "==x"}.
// Entries pinned to a VCS or a path carry no version and are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, dedupePackages, isRecord, keep, langResult, pypiPackage, readJson, str } from '../lang-package.js';

export const pipfileLockAnalyzer: Analyzer = {
  name: 'pipfile-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'Pipfile.lock',
  async analyze(input, ctx) {
    const doc = readJson(input, ctx);
    if (doc === undefined) return undefined;
    if (!isRecord(doc) || (!isRecord(doc.default) && !isRecord(doc.develop))) {
      ctx.warn(`${input.path}: not a Pipfile.lock (no "default" or "develop" section)`);
      return undefined;
    }
    const out: Package[] = [];
    for (const [section, dev] of [
      ['default', false],
      ['develop', true],
    ] as const) {
      const deps = doc[section];
      if (!isRecord(deps)) continue;
      for (const name in deps) {
        const entry = deps[name];
        const version = isRecord(entry) ? str(entry.version) : undefined;
        if (!version?.startsWith('==')) continue;
        keep(out, pypiPackage(name, version.replace(/^===?/, ''), input.path, dev));
      }
    }
    return langResult('pipenv', input.path, dedupePackages(out));
  },
};
