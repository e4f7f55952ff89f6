// Turns loaded definitions into compiled rules: macros parsed once, each rule's condition plus
// its exceptions compiled to a closure, outputs compiled; every rule gets a status saying why.

import type { RulePriority } from '@palisade/core';
import { RULE_PRIORITIES } from '@palisade/core';
import {
  type CompileEnv,
  type CompileProblem,
  ConditionCompileError,
  compileCondition,
  type MacroSource,
  type Predicate,
  unquoteListItem,
} from './compile-condition.js';
import {
  BINARY_OPERATORS,
  type ConditionNode,
  LIST_OPERATORS,
  type Operator,
  type StringValue,
} from './condition-ast.js';
import { ConditionSyntaxError, parseCondition } from './condition-parser.js';
import { type CompiledOutput, compileOutput, OutputTemplateError } from './output-template.js';
import type { ExceptionDef, LoadProblem, RuleDef, RulesDefinition } from './rules-loader.js';

export interface CompiledRule {
  name: string;
  priority: RulePriority;
  /** 0 = Emergency … 7 = Debug. */
  priorityRank: number;
  tags: string[];
  source: string;
  test: Predicate;
  evtTypes: Set<string> | null;
  output: CompiledOutput;
  /** As the files left it; RuleEngine options may still switch it. */
  enabled: boolean;
}

export type RuleLoadStatus = 'loaded' | 'disabled' | 'failed' | 'unsupported' | 'skipped';

export interface RuleCheck {
  name: string;
  file: string;
  line: number;
  status: RuleLoadStatus;
  /** Why the rule did not load, one line each. */
  reasons: string[];
  missingFields: string[];
  unsupportedOperators: string[];
  evtTypes: string[] | null;
}

export interface CompiledRuleset {
  /** Every rule that compiled, enabled or not, in load order. */
  rules: CompiledRule[];
  checks: RuleCheck[];
  errors: LoadProblem[];
  warnings: LoadProblem[];
}

/** Falco's exceptions become `and not ((f1 c1 v1 and f2 c2 v2) or …)` on the rule's tree. */
function exceptionNode(ex: ExceptionDef): ConditionNode | string | undefined {
  if (ex.values.length === 0) return undefined;
  const single = typeof ex.fields === 'string';
  const fields = single ? [ex.fields as string] : (ex.fields as string[]);
  const comps =
    ex.comps === undefined
      ? fields.map(() => (single ? 'in' : '='))
      : typeof ex.comps === 'string'
        ? [ex.comps]
        : ex.comps;
  for (const c of comps) {
    if (!(BINARY_OPERATORS as readonly string[]).includes(c))
      return `exception "${ex.name}": unsupported comparison "${c}"`;
  }
  const lit = (v: unknown, listOp: boolean): StringValue => {
    const raw = typeof v === 'string' ? v : String(v);
    const u = unquoteListItem(raw);
    return { kind: 'string', value: u.value, quoted: listOp ? u.quoted : true, pos: 0 };
  };
  const compare = (field: string, comp: string, v: unknown): ConditionNode => {
    const m = /^([^[]+)(?:\[(.*)\])?$/.exec(field);
    const fieldRef = { name: m?.[1] ?? field, ...(m?.[2] !== undefined ? { arg: m[2] } : {}), pos: 0 };
    const op = comp as Operator;
    if (LIST_OPERATORS.has(op)) {
      const items = (Array.isArray(v) ? v : [v]).map((x) => lit(x, true));
      return { kind: 'compare', field: fieldRef, op, value: { kind: 'list', items, pos: 0 }, pos: 0 };
    }
    return { kind: 'compare', field: fieldRef, op, value: lit(v, false), pos: 0 };
  };
  if (single) return compare(fields[0]!, comps[0]!, ex.values);
  const tuples: ConditionNode[] = [];
  for (const t of ex.values) {
    if (!Array.isArray(t) || t.length !== fields.length) {
      return `exception "${ex.name}": each value must be a list of ${fields.length} item(s) matching fields`;
    }
    const parts = fields.map((f, i) => compare(f, comps[i]!, t[i]));
    tuples.push(parts.length === 1 ? parts[0]! : { kind: 'and', args: parts, pos: 0 });
  }
  return tuples.length === 1 ? tuples[0]! : { kind: 'or', args: tuples, pos: 0 };
}

function describe(p: CompileProblem): string {
  return p.macro ? `${p.message} (in macro "${p.macro}" at position ${p.pos})` : `${p.message} (at position ${p.pos})`;
}

export function compileRuleset(def: RulesDefinition): CompiledRuleset {
  const errors = [...def.errors];
  const warnings = [...def.warnings];
  const macros = new Map<string, MacroSource>();
  for (const m of def.macros.values()) {
    try {
      macros.set(m.name, { ast: parseCondition(m.condition) });
    } catch (err) {
      if (!(err instanceof ConditionSyntaxError)) throw err;
      macros.set(m.name, { syntaxError: { message: err.reason, pos: err.pos } });
    }
  }
  const lists = new Map<string, readonly string[]>();
  for (const l of def.lists.values()) lists.set(l.name, l.items);
  const used = { macros: new Set<string>(), lists: new Set<string>() };
  const env: CompileEnv = { macros, lists, used, macroMemo: new Map() };

  const rules: CompiledRule[] = [];
  const checks: RuleCheck[] = [];
  for (const r of def.rules.values()) {
    const check = compileOne(r, env);
    checks.push(check.check);
    const problem = (code: LoadProblem['code'], message: string): LoadProblem => ({
      file: r.file,
      line: r.conditionLine,
      itemType: 'rule',
      name: r.name,
      code,
      message: `${r.file}:${r.line}: rule "${r.name}": ${message}`,
    });
    if (check.check.status === 'failed') {
      // A disabled rule that does not compile cannot fire; it is worth a warning, not an error.
      const sink = r.enabled ? errors : warnings;
      for (const reason of check.check.reasons) sink.push(problem(check.code ?? 'syntax', reason));
    } else if (check.check.status === 'unsupported' || check.check.status === 'skipped') {
      for (const reason of check.check.reasons) warnings.push(problem(check.code ?? 'plugin-source', reason));
    } else if (check.rule) {
      if (!check.rule.evtTypes && r.warnEvttypes)
        warnings.push(problem('no-evttype', 'condition does not restrict evt.type; it is tested against every event'));
      rules.push(check.rule);
    }
  }
  // Like Falco, point out definitions nothing refers to: often a typo in a name.
  for (const m of def.macros.values()) {
    if (!used.macros.has(m.name)) {
      warnings.push({
        file: m.file,
        line: m.line,
        itemType: 'macro',
        name: m.name,
        code: 'unused',
        message: `${m.file}:${m.line}: macro "${m.name}" is not used`,
      });
    }
  }
  for (const l of def.lists.values()) {
    if (!used.lists.has(l.name)) {
      warnings.push({
        file: l.file,
        line: l.line,
        itemType: 'list',
        name: l.name,
        code: 'unused',
        message: `${l.file}:${l.line}: list "${l.name}" is not used`,
      });
    }
  }
  return { rules, checks, errors, warnings };
}

function compileOne(
  r: RuleDef,
  env: CompileEnv,
): { check: RuleCheck; rule?: CompiledRule; code?: LoadProblem['code'] } {
  const base = { name: r.name, file: r.file, line: r.line };
  const fail = (
    status: RuleLoadStatus,
    reasons: string[],
    code: LoadProblem['code'],
    missingFields: string[] = [],
    unsupportedOperators: string[] = [],
  ) => ({ check: { ...base, status, reasons, missingFields, unsupportedOperators, evtTypes: null }, code });

  if (r.source !== 'syscall') {
    return fail(
      'unsupported',
      [`source "${r.source}" needs a plugin; only syscall rules are supported`],
      'plugin-source',
    );
  }
  let ast: ConditionNode;
  try {
    ast = parseCondition(r.condition);
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err;
    return fail('failed', [`condition ${err.message}`], 'syntax');
  }
  const exceptionNodes: ConditionNode[] = [];
  for (const ex of r.exceptions) {
    const n = exceptionNode(ex);
    if (typeof n === 'string') return fail('failed', [n], 'schema');
    if (n) exceptionNodes.push(n);
  }
  if (exceptionNodes.length) {
    const exc: ConditionNode =
      exceptionNodes.length === 1 ? exceptionNodes[0]! : { kind: 'or', args: exceptionNodes, pos: 0 };
    ast = { kind: 'and', args: [ast, { kind: 'not', arg: exc, pos: 0 }], pos: 0 };
  }
  let compiled: ReturnType<typeof compileCondition>;
  try {
    compiled = compileCondition(ast, env);
  } catch (err) {
    if (!(err instanceof ConditionCompileError)) throw err;
    const missing = [...new Set(err.problems.filter((p) => p.code === 'unknown-field').map((p) => p.field!))];
    const ops = [...new Set(err.problems.filter((p) => p.code === 'unsupported-operator').map((p) => p.message))];
    const code = err.problems[0]!.code;
    const reasons = [...new Set(err.problems.map(describe))];
    if (r.skipIfUnknownFilter && err.problems.every((p) => p.code === 'unknown-field')) {
      return fail('skipped', reasons, 'unknown-field', missing, ops);
    }
    return fail('failed', reasons, code, missing, ops);
  }
  let output: CompiledOutput;
  try {
    output = compileOutput(r.output);
  } catch (err) {
    if (!(err instanceof OutputTemplateError)) throw err;
    return fail('failed', [err.message], 'output', err.unknownFields);
  }
  const rule: CompiledRule = {
    name: r.name,
    priority: r.priority,
    priorityRank: RULE_PRIORITIES.indexOf(r.priority),
    enabled: r.enabled,
    tags: r.tags,
    source: r.source,
    test: compiled.test,
    evtTypes: compiled.evtTypes,
    output,
  };
  return {
    check: {
      ...base,
      status: r.enabled ? 'loaded' : 'disabled',
      reasons: [],
      missingFields: [],
      unsupportedOperators: [],
      evtTypes: compiled.evtTypes ? [...compiled.evtTypes].sort() : null,
    },
    rule,
  };
}
