// Recursive-descent parser for Falco's condition language (and/or/not, comparisons, lists,
// field arguments, transformers, val()). Every error names the 0-based offset where it went wrong.

import { InputError } from '@palisade/core';
import {
  BARE_STOP,
  type BinaryOperator,
  type ConditionNode,
  type FieldRef,
  LIST_OPERATORS,
  type ListValue,
  type Operand,
  type Operator,
  type StringValue,
  TRANSFORMERS,
  type Transformer,
} from './condition-ast.js';

export class ConditionSyntaxError extends InputError {
  override name = 'ConditionSyntaxError';
  constructor(
    readonly reason: string,
    readonly pos: number,
  ) {
    super(`syntax error at position ${pos}: ${reason}`);
  }
}

const SYMBOL_OPERATORS: readonly BinaryOperator[] = ['==', '!=', '<=', '>=', '=', '<', '>'];
const WORD_OPERATORS: readonly Operator[] = [
  'bstartswith',
  'startswith',
  'bcontains',
  'icontains',
  'contains',
  'endswith',
  'intersects',
  'pmatch',
  'iglob',
  'glob',
  'regex',
  'exists',
  'in',
];
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_.]/;
const WORD_CHAR = /[A-Za-z0-9_.]/;
const MAX_DEPTH = 256;
const TRANSFORMER_SET: ReadonlySet<string> = new Set(TRANSFORMERS);

class ConditionParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  parse(): ConditionNode {
    const node = this.parseOr();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected '${this.s.slice(this.i, this.i + 12)}'`);
    return node;
  }

  private fail(reason: string, pos = this.i): never {
    throw new ConditionSyntaxError(reason, pos);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  /** Matches a keyword only when it is a whole word. */
  private keyword(word: string): boolean {
    this.ws();
    if (!this.s.startsWith(word, this.i)) return false;
    const next = this.s[this.i + word.length];
    if (next !== undefined && WORD_CHAR.test(next)) return false;
    this.i += word.length;
    return true;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested deeper than ${MAX_DEPTH} levels`);
  }

  private parseOr(): ConditionNode {
    this.ws();
    const pos = this.i;
    const args = [this.parseAnd()];
    while (this.keyword('or')) args.push(this.parseAnd());
    return args.length === 1 ? args[0]! : { kind: 'or', args, pos };
  }

  private parseAnd(): ConditionNode {
    this.ws();
    const pos = this.i;
    const args = [this.parseNot()];
    while (this.keyword('and')) args.push(this.parseNot());
    return args.length === 1 ? args[0]! : { kind: 'and', args, pos };
  }

  private parseNot(): ConditionNode {
    this.ws();
    const pos = this.i;
    if (this.keyword('not')) {
      this.enter();
      const arg = this.parseNot();
      this.depth--;
      return { kind: 'not', arg, pos };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    this.ws();
    if (this.i >= this.s.length) this.fail('unexpected end of condition, expected a field, macro or "("');
    if (this.s[this.i] === '(') {
      this.enter();
      this.i++;
      const inner = this.parseOr();
      this.ws();
      if (this.s[this.i] !== ')') this.fail('expected ")"');
      this.i++;
      this.depth--;
      return inner;
    }
    const pos = this.i;
    const name = this.identifier();
    this.ws();
    if (!name.includes('.') && !(TRANSFORMER_SET.has(name) && this.s[this.i] === '(')) {
      if (name === 'and' || name === 'or') this.fail(`unexpected keyword "${name}"`, pos);
      return { kind: 'macro', name, pos };
    }
    const field = this.fieldRest(name, pos);
    const op = this.operator();
    if (op === 'exists') return { kind: 'compare', field, op, pos };
    const value = this.operand(op);
    return { kind: 'compare', field, op, value, pos };
  }

  private identifier(): string {
    const start = this.i;
    if (this.i >= this.s.length || !IDENT_START.test(this.s[this.i]!)) {
      this.fail(`expected a field or macro name, got '${this.s.slice(this.i, this.i + 12)}'`);
    }
    while (this.i < this.s.length && IDENT_CHAR.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  /** Field name already read; reads `[arg]` or, for a transformer, `(field)`. */
  private fieldRest(name: string, pos: number): FieldRef {
    if (TRANSFORMER_SET.has(name) && this.s[this.i] === '(') {
      this.enter();
      this.i++;
      this.ws();
      const innerPos = this.i;
      const inner = this.fieldRest(this.identifier(), innerPos);
      this.ws();
      if (this.s[this.i] !== ')') this.fail(`expected ")" after the argument of ${name}()`);
      this.i++;
      this.depth--;
      return { ...inner, transformers: [...(inner.transformers ?? []), name as Transformer], pos };
    }
    if (!name.includes('.')) this.fail(`"${name}" is not a field name`, pos);
    if (this.s[this.i] === '[') {
      const close = this.s.indexOf(']', this.i + 1);
      if (close < 0) this.fail('unterminated field argument, expected "]"');
      const arg = this.s.slice(this.i + 1, close);
      this.i = close + 1;
      return { name, arg, pos };
    }
    return { name, pos };
  }

  private operator(): Operator {
    this.ws();
    for (const sym of SYMBOL_OPERATORS) {
      if (this.s.startsWith(sym, this.i)) {
        this.i += sym.length;
        return sym;
      }
    }
    for (const word of WORD_OPERATORS) if (this.keyword(word)) return word;
    if (this.i >= this.s.length) this.fail('unexpected end of condition, expected an operator');
    return this.fail(`expected an operator, got '${this.s.slice(this.i, this.i + 12)}'`);
  }

  private operand(op: Operator): Operand {
    this.ws();
    const pos = this.i;
    if (LIST_OPERATORS.has(op)) {
      if (this.s[this.i] !== '(') this.fail(`operator "${op}" expects a list "(a, b)"`);
      return this.list();
    }
    const word = /^[a-z0-9]+(?=\s*\()/.exec(this.s.slice(this.i, this.i + 16))?.[0];
    if (word !== undefined && TRANSFORMER_SET.has(word)) {
      this.i += word.length;
      this.ws();
      return { kind: 'field', field: this.fieldRest(word, pos), pos };
    }
    if (this.keyword('val')) {
      this.ws();
      if (this.s[this.i] !== '(') this.fail('expected "(" after val');
      this.i++;
      this.ws();
      const fieldPos = this.i;
      const field = this.fieldRest(this.identifier(), fieldPos);
      this.ws();
      if (this.s[this.i] !== ')') this.fail('expected ")" closing val(');
      this.i++;
      return { kind: 'field', field, pos };
    }
    return this.scalar();
  }

  private list(): ListValue {
    const pos = this.i;
    this.i++; // (
    const items: StringValue[] = [];
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return { kind: 'list', items, pos };
    }
    for (;;) {
      items.push(this.scalar());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ')') {
        this.i++;
        return { kind: 'list', items, pos };
      }
      this.fail(c === undefined ? 'unterminated list, expected ")"' : `expected "," or ")" in list, got '${c}'`);
    }
  }

  private scalar(): StringValue {
    this.ws();
    const pos = this.i;
    const c = this.s[this.i];
    if (c === '"' || c === "'") return { kind: 'string', value: this.quoted(c), quoted: true, pos };
    while (this.i < this.s.length && !BARE_STOP.test(this.s[this.i]!)) this.i++;
    if (this.i === pos)
      this.fail(c === undefined ? 'unexpected end of condition, expected a value' : `expected a value, got '${c}'`);
    return { kind: 'string', value: this.s.slice(pos, this.i), quoted: false, pos };
  }

  private quoted(q: string): string {
    const start = this.i;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++]!;
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      if (e === undefined) break;
      if (e === 'n') out += '\n';
      else if (e === 't') out += '\t';
      else if (e === 'r') out += '\r';
      else if (e === 'b') out += '\b';
      else if (e === 'f') out += '\f';
      else if (e === 'x') {
        const hex = this.s.slice(this.i, this.i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('bad \\x escape in string', this.i - 2);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 2;
      } else if (e === 'u') {
        const hex = this.s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape in string', this.i - 2);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 4;
      } else out += e;
    }
    return this.fail('unterminated string', start);
  }
}

/** Parses a condition; throws ConditionSyntaxError (an InputError) with the offending offset. */
export function parseCondition(text: string): ConditionNode {
  return new ConditionParser(text).parse();
}
