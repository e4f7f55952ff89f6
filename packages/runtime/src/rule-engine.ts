// The runtime rule engine: holds one compiled ruleset indexed by evt.type and turns each
// RuntimeEvent into Falco-shaped alerts. Reload swaps the ruleset only if the new files are sound.

import { type Alert, RULE_PRIORITIES, type RuntimeEvent } from '@palisade/core';
import { globToRegExp } from './rules/compile-condition.js';
import { type CompiledRule, type CompiledRuleset, compileRuleset, type RuleCheck } from './rules/compile-ruleset.js';
import { EventContext } from './rules/event-context.js';
import { formatClock, formatIsoTime } from './rules/fields.js';
import { renderOutput } from './rules/output-template.js';
import { type LoadProblem, loadRulesFiles, parsePriority, type RulesFileInput } from './rules/rules-loader.js';

export interface RuleEngineOptions {
  /** Falco's `rule_matching`: `first` (Falco's default) stops at the first matching rule, `all` reports each. */
  ruleMatching?: 'first' | 'all';
  /** Rules below this priority are not loaded (Falco's `priority` setting). */
  minPriority?: string;
  /** Hostname for alerts; defaults to the event's `host`. */
  hostname?: string;
  /**
   * Falco's `rules:` setting: enable/disable commands applied in order after the files load,
   * by rule name (wildcards `*`) or by tag, e.g. [{ disable: { rule: '*' } }, { enable: { tag: 'network' } }].
   */
  rules?: RuleSelection[];
}

export type RuleSelector = { rule: string; tag?: undefined } | { tag: string; rule?: undefined };
export type RuleSelection =
  | { enable: RuleSelector; disable?: undefined }
  | { disable: RuleSelector; enable?: undefined };

function applySelection(rules: CompiledRule[], selection: readonly RuleSelection[]): Set<CompiledRule> {
  const on = new Set(rules.filter((r) => r.enabled));
  for (const cmd of selection) {
    const sel = cmd.enable ?? cmd.disable;
    const nameRe = sel.rule !== undefined ? globToRegExp(sel.rule) : undefined;
    for (const r of rules) {
      const hit = nameRe ? nameRe.test(r.name) : r.tags.includes(sel.tag!);
      if (!hit) continue;
      if (cmd.enable) on.add(r);
      else on.delete(r);
    }
  }
  return on;
}

export interface LoadResult {
  engine: RuleEngine;
  errors: LoadProblem[];
  warnings: LoadProblem[];
}

export interface ReloadResult {
  /** False when a file could not be read as rules; the previous ruleset stays in force. */
  applied: boolean;
  errors: LoadProblem[];
  warnings: LoadProblem[];
}

interface IndexedRuleset {
  byType: Map<string, CompiledRule[]>;
  /** Rules that do not restrict evt.type, tested against events of any other type. */
  anyType: CompiledRule[];
  all: CompiledRule[];
  checks: RuleCheck[];
}

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

function indexRules(rules: CompiledRule[], checks: RuleCheck[]): IndexedRuleset {
  const anyType = rules.filter((r) => r.evtTypes === null);
  const types = new Set<string>();
  for (const r of rules) for (const t of r.evtTypes ?? []) types.add(t);
  const byType = new Map<string, CompiledRule[]>();
  // Each bucket keeps load order, so `first` matching picks the same rule Falco would.
  for (const t of types)
    byType.set(
      t,
      rules.filter((r) => r.evtTypes === null || r.evtTypes.has(t)),
    );
  return { byType, anyType, all: rules, checks };
}

function buildRuleset(files: readonly RulesFileInput[], opts: RuleEngineOptions): CompiledRuleset {
  const compiled = compileRuleset(loadRulesFiles(files));
  const enabled = applySelection(compiled.rules, opts.rules ?? []);
  const min = opts.minPriority ? parsePriority(opts.minPriority) : undefined;
  const rank = min ? RULE_PRIORITIES.indexOf(min) : RULE_PRIORITIES.length;
  compiled.rules = compiled.rules.filter((r) => enabled.has(r) && r.priorityRank <= rank);
  return compiled;
}

export class RuleEngine {
  private ruleset: IndexedRuleset;
  private readonly ctx = new EventContext();

  private constructor(
    ruleset: CompiledRuleset,
    private readonly opts: RuleEngineOptions,
  ) {
    this.ruleset = indexRules(ruleset.rules, ruleset.checks);
  }

  /** Loads rules files in order. Broken rules are reported in `errors`; the rest load. */
  static load(files: readonly RulesFileInput[], opts: RuleEngineOptions = {}): LoadResult {
    const compiled = buildRuleset(files, opts);
    return { engine: new RuleEngine(compiled, opts), errors: compiled.errors, warnings: compiled.warnings };
  }

  /** Replaces the ruleset unless a file is not readable as rules (bad YAML, wrong shape). */
  reload(files: readonly RulesFileInput[]): ReloadResult {
    const compiled = buildRuleset(files, this.opts);
    if (compiled.errors.some((e) => e.fatal))
      return { applied: false, errors: compiled.errors, warnings: compiled.warnings };
    this.ruleset = indexRules(compiled.rules, compiled.checks);
    return { applied: true, errors: compiled.errors, warnings: compiled.warnings };
  }

  /** Names of the enabled, compiled rules in load order. */
  get ruleNames(): string[] {
    return this.ruleset.all.map((r) => r.name);
  }

  get checks(): readonly RuleCheck[] {
    return this.ruleset.checks;
  }

  /** Tests the event against the rules that can match its evt.type. The returned array must not be mutated. */
  evaluate(ev: RuntimeEvent): readonly Alert[] {
    const rules = this.ruleset.byType.get(ev.type) ?? this.ruleset.anyType;
    if (rules.length === 0) return NO_ALERTS;
    const ctx = this.ctx.reset(ev);
    let out: Alert[] | undefined;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.test(ctx)) continue;
      if (out === undefined) out = [];
      out.push(this.alert(r, ctx));
      if (this.opts.ruleMatching !== 'all') break;
    }
    return out ?? NO_ALERTS;
  }

  private alert(r: CompiledRule, ctx: EventContext): Alert {
    const { text, fields } = renderOutput(r.output, ctx);
    const ev = ctx.ev;
    return {
      time: formatIsoTime(ev.ts),
      rule: r.name,
      priority: r.priority,
      output: `${formatClock(ev.ts)}: ${r.priority} ${text}`,
      output_fields: fields,
      tags: r.tags,
      hostname: this.opts.hostname ?? ev.host,
      source: r.source,
    };
  }
}
