// pip requirements files (requirements*.txt): only exact pins (name==version) name a version a
// scanner can match. Options (-r, -c, -e, --hash, -i), URLs and ranges are skipped.

import type { Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import { baseName, dedupePackages, keep, langResult, pypiPackage } from '../lang-package.js';

// PEP 508 name, optional [extras], then == or === and a version with no wildcard.
const PINNED =
  /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*$/;

/** Physical lines joined across trailing backslashes, comments removed. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    out.push(pending + raw);
    pending = '';
  }
  if (pending) out.push(pending);
  return out.map((l) => {
    // pip treats '#' as a comment at line start or after whitespace.
    const hash = l.search(/(?:^|\s)#/);
    return (hash >= 0 ? l.slice(0, hash) : l).trim();
  });
}

export function parseRequirements(text: string, filePath: string): Package[] {
  const out: Package[] = [];
  for (const line of logicalLines(text)) {
    if (line.length === 0 || line.startsWith('-')) continue;
    // Drop environment markers and per-requirement options (--hash=…, --config-settings …).
    let spec = line;
    const semi = spec.indexOf(';');
    if (semi >= 0) spec = spec.slice(0, semi);
    const opt = spec.search(/\s--?[A-Za-z]/);
    if (opt >= 0) spec = spec.slice(0, opt);
    const m = PINNED.exec(spec.trim());
    if (!m) continue;
    keep(out, pypiPackage(m[1]!, m[2]!, filePath));
  }
  return dedupePackages(out);
}

export const requirementsAnalyzer: Analyzer = {
  name: 'pip-requirements',
  category: 'lang',
  required: (path, info) => {
    const base = baseName(path);
    return info.size < 8 * 1024 * 1024 && base.startsWith('requirements') && base.endsWith('.txt');
  },
  async analyze(input: AnalyzerInput, ctx: AnalyzerContext) {
    if (input.content.includes(0)) {
      ctx.warn(`${input.path}: not a requirements file (binary content)`);
      return undefined;
    }
    return langResult('pip', input.path, parseRequirements(input.content.toString('utf8'), input.path));
  },
};
