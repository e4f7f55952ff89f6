// Paths tests need: the repository root and the shared data folder that sits beside it
// (../shared/data, in a developer's checkout and in CI's fresh clone alike).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const sharedData = path.resolve(repoRoot, '../shared/data');

export function sharedDataPath(...parts: string[]): string {
  const p = path.join(sharedData, ...parts);
  if (!existsSync(p)) throw new Error(`shared data missing: ${p} (expected ../shared/data beside the repository)`);
  return p;
}
