// Test support for the language analyzers: runs one analyzer over a fixture file (or raw bytes)
// and returns the packages and warnings, and locates fixtures under packages/scanner/test/fixtures/lang.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Package } from '@palisade/core';
import type { AnalysisResult, Analyzer } from '../../types.js';

export const langFixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../test/fixtures/lang',
);

export function fixture(...parts: string[]): Buffer {
  return readFileSync(path.join(langFixtures, ...parts));
}

export interface Run {
  result: AnalysisResult | undefined;
  packages: Package[];
  warnings: string[];
}

export async function run(analyzer: Analyzer, filePath: string, content: Buffer | string, mode = 0o100644): Promise<Run> {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const warnings: string[] = [];
  const result = await analyzer.analyze(
    { path: filePath, size: buf.length, mode, content: buf },
    { warn: (m) => warnings.push(m) },
  );
  const packages = result?.packageSets?.flatMap((s) => s.packages) ?? [];
  return { result, packages, warnings };
}

/** "name@version" strings, sorted, for comparing against a tool's own listing. */
export function ids(packages: Package[]): string[] {
  return packages.map((p) => `${p.name}@${p.version}`).sort();
}
