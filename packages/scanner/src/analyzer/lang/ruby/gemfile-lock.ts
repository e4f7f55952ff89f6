// Gemfile.lock: the gems under "GEM / specs:" (four-space indent; six-space lines are their
// dependencies). GIT and PATH sections are the project's own or forked code and are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, dedupePackages, gemPackage, keep, langResult } from '../lang-package.js';

// "    nokogiri (1.15.4-x86_64-linux)": version, then an optional platform after the first '-'.
const SPEC = /^ {4}([A-Za-z0-9][\w.-]*) \(([0-9][\w.]*)(?:-([\w.-]+))?\)\s*$/;

export function parseGemfileLock(text: string, filePath: string): Package[] {
  const out: Package[] = [];
  let section = '';
  let inSpecs = false;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    if (line.charCodeAt(0) !== 32) {
      section = line.trim();
      inSpecs = false;
      continue;
    }
    if (line === '  specs:') {
      inSpecs = true;
      continue;
    }
    if (!inSpecs || section !== 'GEM') continue;
    const m = SPEC.exec(line);
    if (m) keep(out, gemPackage(m[1]!, m[2]!, filePath, m[3]));
  }
  return dedupePackages(out);
}

export const gemfileLockAnalyzer: Analyzer = {
  name: 'gemfile-lock',
  category: 'lang',
  required: (path) => baseName(path) === 'Gemfile.lock' || baseName(path) === 'gems.locked',
  async analyze(input, ctx) {
    if (input.content.includes(0)) {
      ctx.warn(`${input.path}: not a Gemfile.lock (binary content)`);
      return undefined;
    }
    return langResult('bundler', input.path, parseGemfileLock(input.content.toString('utf8'), input.path));
  },
};
