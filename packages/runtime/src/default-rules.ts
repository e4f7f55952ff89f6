// Where Palisade's default Falco-format ruleset lives (rules/palisade_rules.yaml, shipped beside
// dist/ and src/), and a loader that hands it to RuleEngine.load in the usual file shape.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RulesFileInput } from './rules/rules-loader.js';

/** Absolute path of rules/palisade_rules.yaml (the same from src/ and dist/: both sit one level down). */
export const DEFAULT_RULES_PATH = fileURLToPath(new URL('../rules/palisade_rules.yaml', import.meta.url));

export function defaultRulesFile(): RulesFileInput {
  return { path: 'palisade_rules.yaml', text: readFileSync(DEFAULT_RULES_PATH, 'utf8') };
}
