// Which rules files the agent loads and reading them: the files named by --rules (or Palisade's
// default ruleset when none are), then every *.yaml in --rules-dir, in name order, as Falco does.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@palisade/core';
import { DEFAULT_RULES_PATH, type RulesFileInput } from '@palisade/runtime';

/** Palisade's default ruleset (the runtime package's rules/palisade_rules.yaml), when installed. */
export function defaultRulesFile(): string | undefined {
  if (existsSync(DEFAULT_RULES_PATH)) return DEFAULT_RULES_PATH;
  try {
    // Bundled into the `palisade` bin, the runtime's own path points into the bundle; resolve the
    // installed package instead (its src/ and dist/ both sit beside rules/).
    const entry = fileURLToPath(import.meta.resolve('@palisade/runtime'));
    const file = path.resolve(path.dirname(entry), '..', 'rules', 'palisade_rules.yaml');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The paths in load order; throws InputError when nothing is left to load. */
export function listRulesFiles(files: readonly string[], dir?: string): string[] {
  const out = [...files];
  if (out.length === 0) {
    const def = defaultRulesFile();
    if (def) out.push(def);
  }
  if (dir) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw new InputError(`cannot read rules directory ${dir}: ${(err as Error).message}`);
    }
    for (const n of names.sort()) if (/\.ya?ml$/.test(n)) out.push(path.join(dir, n));
  }
  if (out.length === 0)
    throw new InputError(
      'no rules to load: give --rules FILE or --rules-dir DIR (the default ruleset is not installed)',
    );
  return out;
}

export function readRulesFiles(paths: readonly string[]): RulesFileInput[] {
  return paths.map((p) => {
    try {
      return { path: p, text: readFileSync(p, 'utf8') };
    } catch (err) {
      throw new InputError(`cannot read rules file ${p}: ${(err as Error).message}`);
    }
  });
}
