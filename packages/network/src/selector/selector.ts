// The Calico label selector language: lexer, recursive-descent parser to an AST, canonical printer
// and compiler to closures. Parse once, match many times; errors carry the character position.

import { InputError } from '@palisade/core';

export type Labels = Readonly<Record<string, string>>;

export type SelectorAst =
  | { readonly kind: 'all' }
  | { readonly kind: 'global' }
  | { readonly kind: 'has'; readonly key: string }
  | {
      readonly kind: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';
      readonly key: string;
      readonly value: string;
    }
  | { readonly kind: 'in' | 'notIn'; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: 'not'; readonly expr: SelectorAst }
  | { readonly kind: 'and' | 'or'; readonly items: readonly SelectorAst[] };

/** A compiled selector: `isGlobal` says the labelled object is not namespaced (for `global()`). */
export type SelectorMatcher = (labels: Labels, isGlobal?: boolean) => boolean;

export class SelectorError extends InputError {
  override name = 'SelectorError';
  constructor(
    readonly selector: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid selector at position ${position}: ${reason} in "${selector}"`);
  }
}

type Token =
  | { t: 'word'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: '(' | ')' | '{' | '}' | ',' | '==' | '!=' | '!' | '&&' | '||' | 'eof'; pos: number };

// Label keys follow Kubernetes (optional DNS prefix + '/' + name); we accept the character set and
// leave length rules to the schema, as Calico's own lexer does.
const WORD = /[A-Za-z0-9_./-]/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '&&' || two === '||') {
      out.push({ t: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',' || c === '!') {
      out.push({ t: c, pos: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new SelectorError(src, i, 'unterminated string');
      out.push({ t: 'str', v: src.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < src.length && WORD.test(src[i]!)) i++;
      out.push({ t: 'word', v: src.slice(start, i), pos: start });
      continue;
    }
    throw new SelectorError(src, i, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ t: 'eof', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.t !== 'eof') this.i++;
    return t;
  }
  private fail(t: Token, reason: string): never {
    throw new SelectorError(this.src, t.pos, reason);
  }
  private expect(kind: Token['t'], what: string): Token {
    const t = this.next();
    if (t.t !== kind) this.fail(t, `expected ${what}`);
    return t;
  }
  private isWord(t: Token, v: string): boolean {
    return t.t === 'word' && t.v === v;
  }

  parseAll(): SelectorAst {
    if (this.peek().t === 'eof') return { kind: 'all' }; // Calico: an empty selector selects everything
    const ast = this.parseOr();
    const t = this.peek();
    if (t.t !== 'eof') this.fail(t, 'expected && or || or end of selector');
    return ast;
  }

  // Precedence, loosest first: ||, &&, unary !.
  private parseOr(): SelectorAst {
    const items = [this.parseAnd()];
    while (this.peek().t === '||') {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private parseAnd(): SelectorAst {
    const items = [this.parseUnary()];
    while (this.peek().t === '&&') {
      this.next();
      items.push(this.parseUnary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private parseUnary(): SelectorAst {
    const t = this.peek();
    if (t.t === '!') {
      this.next();
      return { kind: 'not', expr: this.parseUnary() };
    }
    if (t.t === '(') {
      this.next();
      const inner = this.parseOr();
      this.expect(')', "')'");
      return inner;
    }
    if (t.t !== 'word') this.fail(t, t.t === 'eof' ? 'unexpected end of selector' : 'expected a label or a function');
    // Function names are only keywords when followed by '(' so labels may be called "has" etc.
    if (this.peek(1).t === '(' && (t.v === 'all' || t.v === 'global' || t.v === 'has')) {
      this.next();
      this.next();
      if (t.v === 'has') {
        const key = this.expect('word', 'a label name inside has()') as { v: string };
        this.expect(')', "')'");
        return { kind: 'has', key: key.v };
      }
      this.expect(')', `')' after ${t.v}(`);
      return { kind: t.v === 'all' ? 'all' : 'global' };
    }
    this.next();
    return this.parseComparison(t.v);
  }

  private parseComparison(key: string): SelectorAst {
    const op = this.next();
    const str = (what: string): string => (this.expect('str', `a quoted string after ${what}`) as { v: string }).v;
    if (op.t === '==') return { kind: 'eq', key, value: str('==') };
    if (op.t === '!=') return { kind: 'ne', key, value: str('!=') };
    if (this.isWord(op, 'in')) return { kind: 'in', key, values: this.parseSet() };
    if (this.isWord(op, 'not')) {
      const t = this.next();
      if (!this.isWord(t, 'in')) this.fail(t, "expected 'in' after 'not'");
      return { kind: 'notIn', key, values: this.parseSet() };
    }
    if (this.isWord(op, 'contains')) return { kind: 'contains', key, value: str('contains') };
    if (this.isWord(op, 'starts') || this.isWord(op, 'ends')) {
      const w = this.next();
      if (!this.isWord(w, 'with')) this.fail(w, `expected 'with' after '${(op as { v: string }).v}'`);
      const kind = this.isWord(op, 'starts') ? 'startsWith' : 'endsWith';
      return { kind, key, value: str(`${(op as { v: string }).v} with`) };
    }
    this.fail(op, `expected an operator (==, !=, in, not in, contains, starts with, ends with) after label ${key}`);
  }

  private parseSet(): string[] {
    this.expect('{', "'{'");
    const values: string[] = [];
    if (this.peek().t === '}') {
      this.next();
      return values;
    }
    for (;;) {
      values.push((this.expect('str', 'a quoted string in the set') as { v: string }).v);
      const t = this.next();
      if (t.t === '}') return values;
      if (t.t !== ',') this.fail(t, "expected ',' or '}'");
    }
  }
}

export function parseSelector(src: string): SelectorAst {
  return new Parser(src, tokenize(src)).parseAll();
}

function quote(v: string): string {
  return v.includes("'") ? `"${v}"` : `'${v}'`;
}

/** Canonical text; `parseSelector(printSelector(a))` gives back `a`. */
export function printSelector(ast: SelectorAst): string {
  switch (ast.kind) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${ast.key})`;
    case 'eq':
      return `${ast.key} == ${quote(ast.value)}`;
    case 'ne':
      return `${ast.key} != ${quote(ast.value)}`;
    case 'contains':
      return `${ast.key} contains ${quote(ast.value)}`;
    case 'startsWith':
      return `${ast.key} starts with ${quote(ast.value)}`;
    case 'endsWith':
      return `${ast.key} ends with ${quote(ast.value)}`;
    case 'in':
    case 'notIn':
      return `${ast.key} ${ast.kind === 'in' ? 'in' : 'not in'} {${ast.values.map(quote).join(', ')}}`;
    case 'not': {
      const inner = printSelector(ast.expr);
      return ast.expr.kind === 'and' || ast.expr.kind === 'or' ? `!(${inner})` : `!${inner}`;
    }
    case 'and':
    case 'or': {
      const sep = ast.kind === 'and' ? ' && ' : ' || ';
      // Any nested and/or is bracketed so that the printed text parses back to the same tree.
      return ast.items
        .map((i) => (i.kind === 'and' || i.kind === 'or' ? `(${printSelector(i)})` : printSelector(i)))
        .join(sep);
    }
  }
}

/** Calico's absent-label rule: only `!=`, `not in` and negations match when the label is missing. */
export function compileSelectorAst(ast: SelectorAst): SelectorMatcher {
  switch (ast.kind) {
    case 'all':
      return () => true;
    case 'global':
      return (_l, g) => g === true;
    case 'has': {
      const k = ast.key;
      return (l) => Object.hasOwn(l, k);
    }
    case 'eq': {
      const { key, value } = ast;
      return (l) => Object.hasOwn(l, key) && l[key] === value;
    }
    case 'ne': {
      const { key, value } = ast;
      return (l) => !Object.hasOwn(l, key) || l[key] !== value;
    }
    case 'contains': {
      const { key, value } = ast;
      return (l) => Object.hasOwn(l, key) && l[key]!.includes(value);
    }
    case 'startsWith': {
      const { key, value } = ast;
      return (l) => Object.hasOwn(l, key) && l[key]!.startsWith(value);
    }
    case 'endsWith': {
      const { key, value } = ast;
      return (l) => Object.hasOwn(l, key) && l[key]!.endsWith(value);
    }
    case 'in': {
      const { key } = ast;
      const set = new Set(ast.values);
      return (l) => Object.hasOwn(l, key) && set.has(l[key]!);
    }
    case 'notIn': {
      const { key } = ast;
      const set = new Set(ast.values);
      return (l) => !Object.hasOwn(l, key) || !set.has(l[key]!);
    }
    case 'not': {
      const inner = compileSelectorAst(ast.expr);
      return (l, g) => !inner(l, g);
    }
    case 'and': {
      const items = ast.items.map(compileSelectorAst);
      return (l, g) => items.every((m) => m(l, g));
    }
    case 'or': {
      const items = ast.items.map(compileSelectorAst);
      return (l, g) => items.some((m) => m(l, g));
    }
  }
}

const compiledCache = new Map<string, SelectorMatcher>();

/** Parses and compiles, memoised by source text (policies repeat the same selectors a lot). */
export function compileSelector(src: string): SelectorMatcher {
  let m = compiledCache.get(src);
  if (!m) {
    m = compileSelectorAst(parseSelector(src));
    if (compiledCache.size > 10_000) compiledCache.clear();
    compiledCache.set(src, m);
  }
  return m;
}
