// Reads Falco rules YAML files into ordered definitions (lists, macros, rules), applying
// append/override/enabled items in file order. Problems carry file, line and item name.

import { RULE_PRIORITIES, type RulePriority } from '@palisade/core';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';

export interface RulesFileInput {
  path: string;
  text: string;
}

export type LoadProblemCode =
  | 'yaml'
  | 'schema'
  | 'append-without-base'
  | 'unknown-item'
  | 'syntax'
  | 'unknown-field'
  | 'unsupported-operator'
  | 'undefined-macro'
  | 'undefined-list'
  | 'macro-cycle'
  | 'bad-value'
  | 'output'
  | 'plugin-source'
  | 'plugin-required'
  | 'engine-version'
  | 'no-evttype'
  | 'unused';

export interface LoadProblem {
  file: string;
  line?: number;
  itemType?: 'rule' | 'macro' | 'list' | 'required_engine_version' | 'required_plugin_versions';
  name?: string;
  code: LoadProblemCode;
  message: string;
  /** A fatal problem (file not YAML, wrong top-level shape) drops the whole file. */
  fatal?: boolean;
}

export interface ListDef {
  name: string;
  items: string[];
  file: string;
  line: number;
}

export interface MacroDef {
  name: string;
  condition: string;
  file: string;
  line: number;
  conditionLine: number;
}

export interface ExceptionDef {
  name: string;
  fields: string | string[];
  comps?: string | string[];
  values: unknown[];
}

export interface RuleDef {
  name: string;
  desc: string;
  condition: string;
  output: string;
  priority: RulePriority;
  tags: string[];
  enabled: boolean;
  source: string;
  exceptions: ExceptionDef[];
  skipIfUnknownFilter: boolean;
  /** Falco's `warn_evttypes`: false silences the "matches every event type" warning. */
  warnEvttypes: boolean;
  file: string;
  line: number;
  conditionLine: number;
}

export interface RulesDefinition {
  lists: Map<string, ListDef>;
  macros: Map<string, MacroDef>;
  rules: Map<string, RuleDef>;
  requiredEngineVersions: { file: string; version: string }[];
  requiredPlugins: { file: string; name: string; version: string }[];
  errors: LoadProblem[];
  warnings: LoadProblem[];
}

/** The engine version this implementation answers to, compared with `required_engine_version`. */
export const ENGINE_VERSION = '0.57.0';
/** Plugins whose fields the engine provides natively (Falco's container plugin → container.*). */
const NATIVE_PLUGINS = new Set(['container']);

const PRIORITY_BY_NAME = new Map<string, RulePriority>([
  ...RULE_PRIORITIES.map((p) => [p.toLowerCase(), p] as const),
  ['info', 'Informational'],
]);

export function parsePriority(s: unknown): RulePriority | undefined {
  return typeof s === 'string' ? PRIORITY_BY_NAME.get(s.trim().toLowerCase()) : undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

type OverrideMode = 'append' | 'replace';

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function toStringList(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  return v.map((x) => (x === null ? '' : String(x)));
}

function parseExceptions(v: unknown): ExceptionDef[] | string {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) return 'exceptions must be a list';
  const out: ExceptionDef[] = [];
  for (const e of v) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return 'each exception must be a mapping';
    const o = e as Record<string, unknown>;
    const name = str(o.name);
    if (!name) return 'an exception is missing its name';
    const fields = o.fields;
    if (fields !== undefined && typeof fields !== 'string' && !Array.isArray(fields)) {
      return `exception "${name}": fields must be a field name or a list of field names`;
    }
    const comps = o.comps;
    if (comps !== undefined && typeof comps !== 'string' && !Array.isArray(comps)) {
      return `exception "${name}": comps must be an operator or a list of operators`;
    }
    if (Array.isArray(fields) && Array.isArray(comps) && comps.length !== fields.length) {
      return `exception "${name}": fields and comps have different lengths`;
    }
    const values = o.values ?? [];
    if (!Array.isArray(values)) return `exception "${name}": values must be a list`;
    out.push({
      name,
      fields: (fields as string | string[] | undefined) ?? [],
      ...(comps !== undefined ? { comps: comps as string | string[] } : {}),
      values,
    });
  }
  return out;
}

function mergeExceptions(base: ExceptionDef[], extra: ExceptionDef[]): ExceptionDef[] {
  const out = base.map((e) => ({ ...e, values: [...e.values] }));
  for (const e of extra) {
    const existing = out.find((b) => b.name === e.name);
    if (existing) existing.values.push(...e.values);
    else out.push(e);
  }
  return out;
}

class RulesLoader {
  readonly def: RulesDefinition = {
    lists: new Map(),
    macros: new Map(),
    rules: new Map(),
    requiredEngineVersions: [],
    requiredPlugins: [],
    errors: [],
    warnings: [],
  };

  loadFile(file: RulesFileInput): void {
    const lc = new LineCounter();
    const doc = parseDocument(file.text, { lineCounter: lc, prettyErrors: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      this.def.errors.push({
        file: file.path,
        line: lc.linePos(e.pos[0]).line,
        code: 'yaml',
        message: `${file.path} is not valid YAML: ${e.message.split('\n')[0]}`,
        fatal: true,
      });
      return;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) return;
    if (!isSeq(root)) {
      this.def.errors.push({
        file: file.path,
        line: 1,
        code: 'schema',
        message: `${file.path}: the top level must be a list of rule, macro and list items`,
        fatal: true,
      });
      return;
    }
    for (const node of root.items) {
      const line =
        node && typeof node === 'object' && 'range' in node && node.range ? lc.linePos(node.range[0]).line : 1;
      if (!isMap(node)) {
        this.def.errors.push({
          file: file.path,
          line,
          code: 'schema',
          message: `${file.path}:${line}: each item must be a mapping`,
        });
        continue;
      }
      const item = node.toJSON() as Record<string, unknown>;
      const condNode = (node as YAMLMap).get('condition', true) as { range?: [number, number, number] } | undefined;
      const conditionLine = condNode?.range ? lc.linePos(condNode.range[0]).line : line;
      this.loadItem(file.path, line, conditionLine, item);
    }
  }

  private err(p: Omit<LoadProblem, 'message'> & { message: string }): void {
    this.def.errors.push({
      ...p,
      message: `${p.file}:${p.line ?? 1}: ${p.itemType ?? 'item'} "${p.name ?? ''}": ${p.message}`,
    });
  }

  private warn(p: LoadProblem): void {
    this.def.warnings.push(p);
  }

  private loadItem(file: string, line: number, conditionLine: number, item: Record<string, unknown>): void {
    if ('required_engine_version' in item) {
      const version = str(item.required_engine_version) ?? '';
      this.def.requiredEngineVersions.push({ file, version });
      if (compareVersions(version, ENGINE_VERSION) > 0) {
        this.warn({
          file,
          line,
          itemType: 'required_engine_version',
          code: 'engine-version',
          message: `${file}:${line}: requires engine version ${version}, this engine implements ${ENGINE_VERSION}`,
        });
      }
      return;
    }
    if ('required_plugin_versions' in item) {
      const plugins = Array.isArray(item.required_plugin_versions) ? item.required_plugin_versions : [];
      for (const p of plugins as Record<string, unknown>[]) {
        const name = str(p?.name) ?? '';
        this.def.requiredPlugins.push({ file, name, version: str(p?.version) ?? '' });
        if (!NATIVE_PLUGINS.has(name)) {
          this.warn({
            file,
            line,
            itemType: 'required_plugin_versions',
            name,
            code: 'plugin-required',
            message: `${file}:${line}: plugin "${name}" is not available; rules on its source will not load`,
          });
        }
      }
      return;
    }
    if ('list' in item) {
      this.loadList(file, line, item);
      return;
    }
    if ('macro' in item) {
      this.loadMacro(file, line, conditionLine, item);
      return;
    }
    if ('rule' in item) {
      this.loadRule(file, line, conditionLine, item);
      return;
    }
    this.warn({
      file,
      line,
      code: 'unknown-item',
      message: `${file}:${line}: unknown item with keys ${Object.keys(item).join(', ')}`,
    });
  }

  private overrides(
    file: string,
    line: number,
    itemType: 'rule' | 'macro' | 'list',
    name: string,
    item: Record<string, unknown>,
  ): Map<string, OverrideMode> | undefined {
    const o = item.override;
    if (o === undefined) return new Map();
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      this.err({
        file,
        line,
        itemType,
        name,
        code: 'schema',
        message: 'override must be a mapping of key: append|replace',
      });
      return undefined;
    }
    const out = new Map<string, OverrideMode>();
    for (const [k, v] of Object.entries(o)) {
      if (v !== 'append' && v !== 'replace') {
        this.err({ file, line, itemType, name, code: 'schema', message: `override.${k} must be append or replace` });
        return undefined;
      }
      if (!(k in item)) {
        this.err({
          file,
          line,
          itemType,
          name,
          code: 'schema',
          message: `override.${k} is set but the item has no ${k}`,
        });
        return undefined;
      }
      out.set(k, v);
    }
    if (item.append === true && out.size > 0) {
      this.err({ file, line, itemType, name, code: 'schema', message: 'append and override cannot be used together' });
      return undefined;
    }
    return out;
  }

  private loadList(file: string, line: number, item: Record<string, unknown>): void {
    const name = str(item.list);
    if (!name) {
      this.err({ file, line, itemType: 'list', code: 'schema', message: 'list name must be a string' });
      return;
    }
    const items = toStringList(item.items);
    if (!items) {
      this.err({ file, line, itemType: 'list', name, code: 'schema', message: 'items must be a list' });
      return;
    }
    const ov = this.overrides(file, line, 'list', name, item);
    if (!ov) return;
    const mode = item.append === true ? 'append' : ov.get('items');
    const existing = this.def.lists.get(name);
    if (mode === 'append') {
      if (!existing) {
        this.err({
          file,
          line,
          itemType: 'list',
          name,
          code: 'append-without-base',
          message: 'append to a list that is not defined',
        });
        return;
      }
      existing.items = [...existing.items, ...items];
      return;
    }
    if (mode === 'replace' && existing) {
      existing.items = items;
      return;
    }
    this.def.lists.set(name, { name, items, file, line });
  }

  private loadMacro(file: string, line: number, conditionLine: number, item: Record<string, unknown>): void {
    const name = str(item.macro);
    if (!name) {
      this.err({ file, line, itemType: 'macro', code: 'schema', message: 'macro name must be a string' });
      return;
    }
    const condition = str(item.condition);
    if (condition === undefined) {
      this.err({
        file,
        line,
        itemType: 'macro',
        name,
        code: 'schema',
        message: 'condition is missing or not a string',
      });
      return;
    }
    const ov = this.overrides(file, line, 'macro', name, item);
    if (!ov) return;
    const mode = item.append === true ? 'append' : ov.get('condition');
    const existing = this.def.macros.get(name);
    if (mode === 'append') {
      if (!existing) {
        this.err({
          file,
          line,
          itemType: 'macro',
          name,
          code: 'append-without-base',
          message: 'append to a macro that is not defined',
        });
        return;
      }
      existing.condition = `${existing.condition} ${condition}`;
      return;
    }
    if (mode === 'replace' && existing) {
      existing.condition = condition;
      return;
    }
    this.def.macros.set(name, { name, condition, file, line, conditionLine });
  }

  private loadRule(file: string, line: number, conditionLine: number, item: Record<string, unknown>): void {
    const name = str(item.rule);
    if (!name) {
      this.err({ file, line, itemType: 'rule', code: 'schema', message: 'rule name must be a string' });
      return;
    }
    const e = (message: string, code: LoadProblemCode = 'schema') =>
      this.err({ file, line, itemType: 'rule', name, code, message });
    const ov = this.overrides(file, line, 'rule', name, item);
    if (!ov) return;
    const existing = this.def.rules.get(name);
    let exceptions: ExceptionDef[] = [];
    if ('exceptions' in item) {
      const parsed = parseExceptions(item.exceptions);
      if (typeof parsed === 'string') {
        e(parsed);
        return;
      }
      exceptions = parsed;
    }
    let tags: string[] | undefined;
    if ('tags' in item) {
      tags = toStringList(item.tags);
      if (!tags) {
        e('tags must be a list');
        return;
      }
    }
    if ('enabled' in item && typeof item.enabled !== 'boolean') {
      e('enabled must be true or false');
      return;
    }
    let priority: RulePriority | undefined;
    if ('priority' in item) {
      priority = parsePriority(item.priority);
      if (!priority) {
        e(`unknown priority "${String(item.priority)}" (expected one of ${RULE_PRIORITIES.join(', ')})`);
        return;
      }
    }

    if (item.append === true || ov.size > 0) {
      if (!existing) {
        e('append/override of a rule that is not defined', 'append-without-base');
        return;
      }
      const modeOf = (k: string): OverrideMode | undefined =>
        item.append === true ? (k in item ? 'append' : undefined) : ov.get(k);
      for (const key of ['condition', 'output', 'desc'] as const) {
        const mode = modeOf(key);
        const v = str(item[key]);
        if (!mode || v === undefined) continue;
        existing[key] = mode === 'append' ? `${existing[key]} ${v}` : v;
      }
      const tagMode = modeOf('tags');
      if (tagMode && tags) existing.tags = tagMode === 'append' ? [...new Set([...existing.tags, ...tags])] : tags;
      const exMode = modeOf('exceptions');
      if (exMode)
        existing.exceptions = exMode === 'append' ? mergeExceptions(existing.exceptions, exceptions) : exceptions;
      if (priority && modeOf('priority')) existing.priority = priority;
      if (modeOf('enabled') && typeof item.enabled === 'boolean') existing.enabled = item.enabled;
      return;
    }

    // `- rule: X` with only `enabled` toggles an existing rule.
    const keys = Object.keys(item).filter((k) => k !== 'rule');
    if (keys.length === 1 && keys[0] === 'enabled') {
      if (!existing) {
        e('enabling/disabling a rule that is not defined', 'append-without-base');
        return;
      }
      existing.enabled = item.enabled as boolean;
      return;
    }

    const condition = str(item.condition);
    const output = str(item.output);
    const missing = [
      condition === undefined ? 'condition' : '',
      output === undefined ? 'output' : '',
      priority === undefined ? 'priority' : '',
    ].filter(Boolean);
    if (missing.length) {
      e(`missing ${missing.join(', ')}`);
      return;
    }
    const rule: RuleDef = {
      name,
      desc: str(item.desc) ?? '',
      condition: condition!,
      output: output!.trim(),
      priority: priority!,
      tags: tags ?? [],
      enabled: item.enabled !== false,
      source: str(item.source) ?? 'syscall',
      exceptions,
      skipIfUnknownFilter: item['skip-if-unknown-filter'] === true,
      warnEvttypes: item.warn_evttypes !== false,
      file,
      line,
      conditionLine,
    };
    if (existing) this.def.rules.delete(name); // a redefinition replaces the rule and moves it to its new place
    this.def.rules.set(name, rule);
  }
}

/** Loads files in order; later files may append to or override what earlier ones defined. */
export function loadRulesFiles(files: readonly RulesFileInput[]): RulesDefinition {
  const loader = new RulesLoader();
  for (const f of files) loader.loadFile(f);
  return loader.def;
}
