// Compiles a parsed condition once into JavaScript closures: macros inlined, lists expanded into
// Sets or path tries, values converted to the field's type. Also derives the evt.type set a rule can match.

import { isIP } from 'node:net';
import type { ConditionNode, FieldRef, Operand, Operator, StringValue } from './condition-ast.js';
import type { EventContext } from './event-context.js';
import {
  type Extractor,
  FieldArgError,
  type FieldType,
  type FieldValue,
  isMultiValued,
  resolveField,
} from './fields.js';
import { compileAddressSet } from './ip-match.js';

export type Predicate = (c: EventContext) => boolean;

export type CompileErrorCode =
  | 'unknown-field'
  | 'unsupported-operator'
  | 'undefined-macro'
  | 'undefined-list'
  | 'macro-cycle'
  | 'bad-value'
  | 'syntax';

export interface CompileProblem {
  code: CompileErrorCode;
  message: string;
  /** Offset in the condition text of the rule or of the macro named in `macro`. */
  pos: number;
  macro?: string;
  field?: string;
}

export class ConditionCompileError extends Error {
  constructor(readonly problems: CompileProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

/** A macro as the compiler sees it: parsed tree, or the syntax error that stopped parsing it. */
export interface MacroSource {
  ast?: ConditionNode;
  syntaxError?: { message: string; pos: number };
}

export interface CompileEnv {
  macros: ReadonlyMap<string, MacroSource>;
  /** Raw list items as written in YAML; `"quoted"` items are literals, bare ones may name lists. */
  lists: ReadonlyMap<string, readonly string[]>;
  /** When given, filled with the macro and list names conditions refer to (for unused warnings). */
  used?: { macros: Set<string>; lists: Set<string> };
  /**
   * When given, shared by every condition compiled with this env (one ruleset): a macro's result
   * is computed once per event however many rules use it (`open_read` sits in a dozen rules).
   */
  macroMemo?: Map<string, MacroMemo>;
}

/** The last event a macro was evaluated on (its context and generation) and the result. */
export interface MacroMemo {
  ctx: EventContext | undefined;
  generation: number;
  value: boolean;
}

export interface CompiledCondition {
  test: Predicate;
  /** Event types the condition can match, or null when it may match any type. */
  evtTypes: Set<string> | null;
  /** Every field the condition reads (after macro expansion). */
  fields: Set<string>;
}

interface Part {
  test: Predicate;
  types: Set<string> | null;
}

const ALWAYS_FALSE: Predicate = () => false;

/** The predicate, evaluated at most once per event (extractors are pure functions of the event). */
function memoized(test: Predicate, memo: MacroMemo): Predicate {
  return (c) => {
    if (memo.ctx === c && memo.generation === c.generation) return memo.value;
    const v = test(c);
    memo.ctx = c;
    memo.generation = c.generation;
    memo.value = v;
    return v;
  };
}

interface Literal {
  value: string;
  quoted: boolean;
}

function unquoteListItem(raw: string): Literal {
  const t = raw.trim();
  if (t.length >= 2 && ((t[0] === '"' && t.endsWith('"')) || (t[0] === "'" && t.endsWith("'")))) {
    return { value: t.slice(1, -1).replace(/\\(.)/g, '$1'), quoted: true };
  }
  return { value: t, quoted: false };
}

const OPS_BY_TYPE: Record<FieldType, ReadonlySet<Operator>> = {
  string: new Set<Operator>([
    '=',
    '==',
    '!=',
    '<',
    '<=',
    '>',
    '>=',
    'contains',
    'icontains',
    'startswith',
    'endswith',
    'glob',
    'iglob',
    'regex',
    'pmatch',
    'in',
    'intersects',
    'exists',
  ]),
  number: new Set<Operator>(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists']),
  bool: new Set<Operator>(['=', '==', '!=', 'in', 'intersects', 'exists']),
  ip: new Set<Operator>(['=', '==', '!=', 'in', 'intersects', 'exists']),
  ipnet: new Set<Operator>(['=', '==', '!=', 'in', 'intersects', 'exists']),
  bytes: new Set<Operator>(['=', '==', '!=', 'bcontains', 'bstartswith', 'contains', 'startswith', 'exists']),
};

/** fnmatch(3) without FNM_PATHNAME: `*` also crosses `/`, as Falco's glob does. */
export function globToRegExp(glob: string, flags = '', star = '.*'): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += star;
    else if (c === '?') re += star === '.*' ? '.' : '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`, `s${flags}`);
}

function applyTransformers(ex: Extractor, ts: readonly string[]): Extractor {
  let out = ex;
  for (const t of ts) {
    const inner = out;
    const f = (v: string | number): string | number => {
      const s = String(v);
      switch (t) {
        case 'tolower':
          return s.toLowerCase();
        case 'toupper':
          return s.toUpperCase();
        case 'basename':
          return s.slice(s.lastIndexOf('/') + 1);
        case 'b64':
          return Buffer.from(s, 'base64').toString('latin1');
        default:
          return s.length;
      }
    };
    out = (c) => {
      const v = inner(c);
      if (v === undefined || typeof v === 'boolean') return v === undefined ? v : f(String(v));
      if (Array.isArray(v)) return t === 'len' ? v.length : v.map(f);
      return f(v as string | number);
    };
  }
  return out;
}

/** `fd.name pmatch (/etc, /var/*.d)`: a Set of exact prefixes walked component by component, plus globs. */
function compilePathPrefixes(prefixes: string[]): (v: string) => boolean {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of prefixes) {
    const norm = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    if (/[*?[]/.test(norm))
      globs.push(new RegExp(`${globToRegExp(norm, '', '[^/]*').source.slice(0, -1)}(?:/|$)`, 's'));
    else exact.add(norm);
  }
  const hasRoot = exact.has('/');
  return (v) => {
    if (hasRoot && v.startsWith('/')) return true;
    if (exact.has(v)) return true;
    for (let i = v.indexOf('/', 1); i > 0; i = v.indexOf('/', i + 1)) if (exact.has(v.slice(0, i))) return true;
    for (const g of globs) if (g.test(v)) return true;
    return false;
  };
}

/**
 * One closure instead of extractor + test for the hot, single-valued cases (`=`, `!=`, `in`,
 * string prefix/suffix/substring). Values are already validated by scalarTest.
 */
function fastPredicate(ex: Extractor, op: Operator, lits: Literal[], type: FieldType): Predicate | undefined {
  const conv = (l: Literal): string | number | boolean =>
    type === 'number' ? Number(l.value) : type === 'bool' ? l.value.toLowerCase() === 'true' : l.value;
  if (op === 'in' || op === 'intersects') {
    const set = new Set<FieldValue>(lits.map(conv));
    return (c) => set.has(ex(c));
  }
  const rhs = lits[0] === undefined ? undefined : conv(lits[0]);
  if (rhs === undefined) return undefined;
  switch (op) {
    case '=':
    case '==':
      return (c) => ex(c) === rhs;
    case '!=':
      return (c) => {
        const v = ex(c);
        return v !== undefined && v !== rhs;
      };
  }
  if (type !== 'string' || typeof rhs !== 'string') return undefined;
  switch (op) {
    case 'startswith':
      return (c) => {
        const v = ex(c);
        return typeof v === 'string' && v.startsWith(rhs);
      };
    case 'endswith':
      return (c) => {
        const v = ex(c);
        return typeof v === 'string' && v.endsWith(rhs);
      };
    case 'contains':
      return (c) => {
        const v = ex(c);
        return typeof v === 'string' && v.includes(rhs);
      };
    default:
      return undefined;
  }
}

class ConditionCompiler {
  readonly problems: CompileProblem[] = [];
  readonly fields = new Set<string>();
  private readonly macroStack: string[] = [];
  private readonly listCache = new Map<string, Literal[]>();

  constructor(private readonly env: CompileEnv) {}

  private problem(code: CompileErrorCode, message: string, pos: number, field?: string): void {
    const macro = this.macroStack[this.macroStack.length - 1];
    this.problems.push({ code, message, pos, ...(macro ? { macro } : {}), ...(field ? { field } : {}) });
  }

  compile(n: ConditionNode): Part {
    switch (n.kind) {
      case 'and': {
        const parts = n.args.map((a) => this.compile(a));
        const tests = parts.map((p) => p.test);
        let types = null as Set<string> | null;
        for (const p of parts) {
          const pt = p.types;
          if (!pt) continue;
          types = types ? new Set([...types].filter((t) => pt.has(t))) : new Set(pt);
        }
        const test: Predicate =
          tests.length === 2
            ? (
                (a, b) => (c) =>
                  a(c) && b(c)
              )(tests[0]!, tests[1]!)
            : (c) => {
                for (let i = 0; i < tests.length; i++) if (!tests[i]!(c)) return false;
                return true;
              };
        return { test, types };
      }
      case 'or': {
        const parts = n.args.map((a) => this.compile(a));
        const tests = parts.map((p) => p.test);
        let types: Set<string> | null = new Set();
        for (const p of parts) {
          if (!p.types) {
            types = null;
            break;
          }
          for (const t of p.types) types.add(t);
        }
        const test: Predicate =
          tests.length === 2
            ? (
                (a, b) => (c) =>
                  a(c) || b(c)
              )(tests[0]!, tests[1]!)
            : (c) => {
                for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
                return false;
              };
        return { test, types };
      }
      case 'not': {
        const inner = this.compile(n.arg).test;
        return { test: (c) => !inner(c), types: null };
      }
      case 'macro':
        return this.compileMacro(n.name, n.pos);
      case 'compare':
        return this.compileCompare(n.field, n.op, n.value, n.pos);
    }
  }

  private compileMacro(name: string, pos: number): Part {
    const m = this.env.macros.get(name);
    this.env.used?.macros.add(name);
    if (!m) {
      this.problem('undefined-macro', `undefined macro "${name}"`, pos);
      return { test: ALWAYS_FALSE, types: null };
    }
    if (this.macroStack.includes(name)) {
      this.problem('macro-cycle', `macro "${name}" refers to itself (${[...this.macroStack, name].join(' → ')})`, pos);
      return { test: ALWAYS_FALSE, types: null };
    }
    if (!m.ast) {
      this.problem(
        'syntax',
        `macro "${name}" has a syntax error: ${m.syntaxError?.message ?? 'unknown'}`,
        m.syntaxError?.pos ?? 0,
      );
      return { test: ALWAYS_FALSE, types: null };
    }
    this.macroStack.push(name);
    let part: Part;
    try {
      part = this.compile(m.ast);
    } finally {
      this.macroStack.pop();
    }
    // A lone comparison costs no more than the memo check; only compound macros are remembered.
    const memos = this.env.macroMemo;
    if (!memos || m.ast.kind === 'compare') return part;
    let memo = memos.get(name);
    if (!memo) {
      memo = { ctx: undefined, generation: -1, value: false };
      memos.set(name, memo);
    }
    return { test: memoized(part.test, memo), types: part.types };
  }

  /** Expands bare list names (recursively, lists inside lists) into literals. */
  private expandItems(items: readonly Literal[], seen: string[]): Literal[] {
    const out: Literal[] = [];
    for (const it of items) {
      const list = it.quoted ? undefined : this.env.lists.get(it.value);
      if (list === undefined) {
        out.push(it);
        continue;
      }
      this.env.used?.lists.add(it.value);
      if (seen.includes(it.value)) {
        this.problem('macro-cycle', `list "${it.value}" refers to itself`, 0);
        continue;
      }
      let cached = this.listCache.get(it.value);
      if (!cached) {
        // Lists named inside this list count as used even when the expansion is cached.
        for (const inner of list) {
          const u = unquoteListItem(inner);
          if (!u.quoted && this.env.lists.has(u.value)) this.env.used?.lists.add(u.value);
        }
        cached = this.expandItems(list.map(unquoteListItem), [...seen, it.value]);
        this.listCache.set(it.value, cached);
      }
      out.push(...cached);
    }
    return out;
  }

  private extractor(f: FieldRef): { ex: Extractor; type: FieldType; multi: boolean } | undefined {
    let resolved: ReturnType<typeof resolveField>;
    try {
      resolved = resolveField(f.name, f.arg);
    } catch (err) {
      if (err instanceof FieldArgError) {
        this.problem('bad-value', err.message, f.pos, f.name);
        return undefined;
      }
      throw err;
    }
    if (!resolved) {
      this.problem('unknown-field', `unknown field "${f.name}"`, f.pos, f.name);
      return undefined;
    }
    this.fields.add(resolved.key);
    let ex = resolved.def.make(resolved.arg);
    let type = resolved.def.type;
    const multi = isMultiValued(resolved.def.name, resolved.arg);
    if (f.transformers?.length) {
      ex = applyTransformers(ex, f.transformers);
      type = f.transformers[f.transformers.length - 1] === 'len' ? 'number' : 'string';
    }
    return { ex, type, multi };
  }

  private compileCompare(field: FieldRef, op: Operator, value: Operand | undefined, pos: number): Part {
    const fx = this.extractor(field);
    if (!fx) return { test: ALWAYS_FALSE, types: null };
    const { ex, type } = fx;
    if (!OPS_BY_TYPE[type].has(op)) {
      this.problem(
        'unsupported-operator',
        `operator "${op}" is not supported on ${type} field "${field.name}"`,
        pos,
        field.name,
      );
      return { test: ALWAYS_FALSE, types: null };
    }
    if (op === 'exists') {
      return {
        test: (c) => {
          const v = ex(c);
          return v !== undefined && (!Array.isArray(v) || v.length > 0);
        },
        types: null,
      };
    }
    if (!value) {
      this.problem('syntax', `operator "${op}" needs a value`, pos);
      return { test: ALWAYS_FALSE, types: null };
    }
    if (value.kind === 'field') return { test: this.compareFields(ex, type, op, value, pos), types: null };

    const literals =
      value.kind === 'list'
        ? this.expandItems(
            value.items.map((i) => ({ value: i.value, quoted: i.quoted })),
            [],
          )
        : [{ value: (value as StringValue).value, quoted: (value as StringValue).quoted }];
    const scalar = this.scalarTest(type, op, literals, field.name, value.pos);
    if (!scalar) return { test: ALWAYS_FALSE, types: null };
    const fast = fx.multi || type === 'ip' || type === 'ipnet' ? undefined : fastPredicate(ex, op, literals, type);

    let types: Set<string> | null = null;
    if (field.name === 'evt.type' && !field.transformers && (op === '=' || op === '==' || op === 'in')) {
      types = new Set(literals.map((l) => l.value));
    }
    const test: Predicate =
      fast ??
      ((c) => {
        const v = ex(c);
        if (v === undefined) return false;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) if (scalar(v[i])) return true;
          return false;
        }
        return scalar(v as string | number | boolean);
      });
    return { test, types };
  }

  private convert(type: FieldType, lit: Literal, field: string, pos: number): string | number | boolean | undefined {
    switch (type) {
      case 'number': {
        const n = lit.value.trim() === '' ? Number.NaN : Number(lit.value);
        if (!Number.isFinite(n)) {
          this.problem('bad-value', `field "${field}" is numeric, "${lit.value}" is not a number`, pos, field);
          return undefined;
        }
        return n;
      }
      case 'bool': {
        const l = lit.value.toLowerCase();
        if (l !== 'true' && l !== 'false') {
          this.problem(
            'bad-value',
            `field "${field}" is boolean, expected true or false, got "${lit.value}"`,
            pos,
            field,
          );
          return undefined;
        }
        return l === 'true';
      }
      case 'ip':
        if (!isIP(lit.value)) {
          this.problem('bad-value', `field "${field}" holds an IP address, "${lit.value}" is not one`, pos, field);
          return undefined;
        }
        return lit.value;
      case 'ipnet':
        if (!isIP(lit.value.split('/')[0]!)) {
          this.problem(
            'bad-value',
            `field "${field}" is matched against networks, "${lit.value}" is not a CIDR`,
            pos,
            field,
          );
          return undefined;
        }
        return lit.value;
      default:
        return lit.value;
    }
  }

  /** The test of one extracted scalar against the literal(s); built once, called per event. */
  private scalarTest(
    type: FieldType,
    op: Operator,
    lits: Literal[],
    field: string,
    pos: number,
  ): ((v: string | number | boolean) => boolean) | undefined {
    const vals = lits.map((l) => this.convert(type, l, field, pos));
    if (vals.some((v) => v === undefined)) return undefined;
    const values = vals as (string | number | boolean)[];

    if (type === 'ip' || type === 'ipnet') {
      const set = compileAddressSet(values as string[], type === 'ipnet');
      const has = (v: string | number | boolean): boolean => typeof v === 'string' && set(v);
      return op === '!=' ? (v) => !has(v) : has;
    }

    if (op === 'in' || op === 'intersects') {
      const set = new Set<string | number | boolean>(values);
      return (v) => set.has(v);
    }
    if (op === 'pmatch') {
      const m = compilePathPrefixes(values as string[]);
      return (v) => typeof v === 'string' && m(v);
    }
    const rhs = values[0]!;
    switch (op) {
      case '=':
      case '==':
        return (v) => v === rhs;
      case '!=':
        return (v) => v !== rhs;
      case '<':
        return (v) => v < rhs;
      case '<=':
        return (v) => v <= rhs;
      case '>':
        return (v) => v > rhs;
      case '>=':
        return (v) => v >= rhs;
    }
    const s = String(rhs);
    switch (op) {
      case 'contains':
        return (v) => typeof v === 'string' && v.includes(s);
      case 'icontains': {
        // A case-insensitive regex avoids lower-casing the field on every event.
        const re = new RegExp(s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), 'i');
        return (v) => typeof v === 'string' && re.test(v);
      }
      case 'startswith':
        return (v) => typeof v === 'string' && v.startsWith(s);
      case 'endswith':
        return (v) => typeof v === 'string' && v.endsWith(s);
      case 'bcontains':
      case 'bstartswith': {
        const hex = s.toLowerCase();
        if (!/^([0-9a-f]{2})*$/.test(hex)) {
          this.problem('bad-value', `operator "${op}" expects hex bytes, got "${s}"`, pos, field);
          return undefined;
        }
        // Compare on byte boundaries of the hex text.
        return op === 'bstartswith'
          ? (v) => typeof v === 'string' && v.toLowerCase().startsWith(hex)
          : (v) => {
              if (typeof v !== 'string') return false;
              const h = v.toLowerCase();
              for (let i = h.indexOf(hex); i >= 0; i = h.indexOf(hex, i + 1)) if (i % 2 === 0) return true;
              return false;
            };
      }
      case 'glob':
      case 'iglob': {
        const re = globToRegExp(s, op === 'iglob' ? 'i' : '');
        return (v) => typeof v === 'string' && re.test(v);
      }
      case 'regex': {
        let re: RegExp;
        try {
          re = new RegExp(`^(?:${s})$`, 's');
        } catch (err) {
          this.problem('bad-value', `invalid regular expression "${s}": ${(err as Error).message}`, pos, field);
          return undefined;
        }
        return (v) => typeof v === 'string' && re.test(v);
      }
    }
    this.problem('unsupported-operator', `operator "${op}" is not supported`, pos, field);
    return undefined;
  }

  /** `proc.name = val(proc.pname)`: both sides extracted per event. */
  private compareFields(
    ex: Extractor,
    type: FieldType,
    op: Operator,
    value: Operand & { kind: 'field' },
    pos: number,
  ): Predicate {
    const rx = this.extractor(value.field);
    if (!rx) return ALWAYS_FALSE;
    const cmp = (a: string | number | boolean, b: string | number | boolean): boolean => {
      switch (op) {
        case '=':
        case '==':
          return a === b;
        case '!=':
          return a !== b;
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case 'contains':
          return String(a).includes(String(b));
        case 'icontains':
          return String(a).toLowerCase().includes(String(b).toLowerCase());
        case 'startswith':
          return String(a).startsWith(String(b));
        case 'endswith':
          return String(a).endsWith(String(b));
        default:
          return false;
      }
    };
    if (!['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'startswith', 'endswith'].includes(op)) {
      this.problem('unsupported-operator', `operator "${op}" cannot compare with val()`, pos);
      return ALWAYS_FALSE;
    }
    void type;
    const first = (v: FieldValue): string | number | boolean | undefined => (Array.isArray(v) ? v[0] : (v as string));
    return (c) => {
      const a = ex(c);
      const b = first(rx.ex(c));
      if (a === undefined || b === undefined) return false;
      if (Array.isArray(a)) return a.some((x) => cmp(x, b));
      return cmp(a as string | number | boolean, b);
    };
  }
}

/** Compiles a condition tree; throws ConditionCompileError listing every problem found. */
export function compileCondition(ast: ConditionNode, env: CompileEnv): CompiledCondition {
  const compiler = new ConditionCompiler(env);
  const part = compiler.compile(ast);
  if (compiler.problems.length > 0) throw new ConditionCompileError(compiler.problems);
  return { test: part.test, evtTypes: part.types, fields: compiler.fields };
}

export { unquoteListItem };
