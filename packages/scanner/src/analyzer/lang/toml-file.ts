// TOML lockfiles (poetry.lock, uv.lock, Cargo.lock) parsed with smol-toml; a file that is not TOML
// becomes a warning naming the file, not an exception.

import { parse } from 'smol-toml';
import type { AnalyzerContext, AnalyzerInput } from '../types.js';
import { isRecord } from './lang-package.js';

export function readToml(input: AnalyzerInput, ctx: AnalyzerContext): Record<string, unknown> | undefined {
  try {
    const doc: unknown = parse(input.content.toString('utf8'));
    return isRecord(doc) ? doc : undefined;
  } catch (err) {
    ctx.warn(`${input.path}: not valid TOML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return undefined;
  }
}

/** The [[package]] array of tables, as records. */
export function packageTables(doc: Record<string, unknown>): Record<string, unknown>[] {
  const list = doc.package;
  return Array.isArray(list) ? list.filter(isRecord) : [];
}
