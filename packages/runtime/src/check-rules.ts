// `palisade rules check`: loads rules files the way the engine would and reports, per rule,
// whether it loads and why not (missing field, unsupported operator, plugin source, syntax).

import { compileRuleset, type RuleCheck } from './rules/compile-ruleset.js';
import { type LoadProblem, loadRulesFiles, type RulesFileInput } from './rules/rules-loader.js';

export interface RulesCheckReport {
  files: string[];
  rules: RuleCheck[];
  /** Every field a failed rule needs and the engine lacks, with how many rules need it. */
  missingFields: Record<string, number>;
  summary: { total: number; loaded: number; disabled: number; failed: number; unsupported: number; skipped: number };
  errors: LoadProblem[];
  warnings: LoadProblem[];
  requiredEngineVersions: { file: string; version: string }[];
  requiredPlugins: { file: string; name: string; version: string }[];
}

export function checkRules(files: readonly RulesFileInput[]): RulesCheckReport {
  const def = loadRulesFiles(files);
  const compiled = compileRuleset(def);
  const summary = { total: 0, loaded: 0, disabled: 0, failed: 0, unsupported: 0, skipped: 0 };
  const missingFields: Record<string, number> = {};
  for (const c of compiled.checks) {
    summary.total++;
    summary[c.status]++;
    for (const f of c.missingFields) missingFields[f] = (missingFields[f] ?? 0) + 1;
  }
  return {
    files: files.map((f) => f.path),
    rules: compiled.checks,
    missingFields,
    summary,
    errors: compiled.errors,
    warnings: compiled.warnings,
    requiredEngineVersions: def.requiredEngineVersions,
    requiredPlugins: def.requiredPlugins,
  };
}

/** Plain-text rendering of a report for `palisade rules check`: one line per rule, then totals. */
export function renderRulesCheck(report: RulesCheckReport): string {
  const lines: string[] = [];
  for (const r of report.rules) {
    const where = `${r.file}:${r.line}`;
    lines.push(`${r.status.padEnd(11)} ${r.name} (${where})`);
    for (const reason of r.reasons) lines.push(`            ${reason}`);
  }
  for (const e of report.errors.filter((e) => e.itemType !== 'rule')) lines.push(`error       ${e.message}`);
  // Reasons of rules that did not load are already printed under the rule.
  const shown = new Set(report.rules.filter((r) => r.reasons.length > 0).map((r) => r.name));
  for (const w of report.warnings) {
    if (!(w.itemType === 'rule' && w.name !== undefined && shown.has(w.name))) lines.push(`warning     ${w.message}`);
  }
  const s = report.summary;
  lines.push(
    `${s.total} rules: ${s.loaded} loaded, ${s.disabled} disabled, ${s.failed} failed, ${s.unsupported} unsupported, ${s.skipped} skipped`,
  );
  const missing = Object.entries(report.missingFields);
  if (missing.length) lines.push(`missing fields: ${missing.map(([f, n]) => `${f} (${n})`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
