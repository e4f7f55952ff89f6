// The syntax tree of a Falco condition and its printer. Positions are 0-based offsets into the
// condition text; the printer's output parses back to the same tree (positions aside).

export const BINARY_OPERATORS = [
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'regex',
  'pmatch',
  'in',
  'intersects',
] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];
export type Operator = BinaryOperator | 'exists';

/** Operators whose right-hand side is a list `(a, b, c)`. */
export const LIST_OPERATORS: ReadonlySet<string> = new Set(['in', 'intersects', 'pmatch']);

/** Field transformers Falco accepts around a field: `tolower(proc.name)`. */
export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;
export type Transformer = (typeof TRANSFORMERS)[number];

export interface FieldRef {
  name: string;
  arg?: string;
  /** Outermost last: `tolower(basename(fd.name))` → ['basename', 'tolower']. */
  transformers?: Transformer[];
  pos: number;
}

/** A literal; `quoted` matters because a bare word inside a list may name another list. */
export interface StringValue {
  kind: 'string';
  value: string;
  quoted: boolean;
  pos: number;
}
export interface ListValue {
  kind: 'list';
  items: StringValue[];
  pos: number;
}
export interface FieldValue {
  kind: 'field';
  field: FieldRef;
  pos: number;
}
export type Operand = StringValue | ListValue | FieldValue;

export type ConditionNode =
  | { kind: 'and'; args: ConditionNode[]; pos: number }
  | { kind: 'or'; args: ConditionNode[]; pos: number }
  | { kind: 'not'; arg: ConditionNode; pos: number }
  | { kind: 'macro'; name: string; pos: number }
  | { kind: 'compare'; field: FieldRef; op: Operator; value?: Operand; pos: number };

/** Characters that end a bare word; anything else (incl. `[`, `:`, `/`) may appear in one. */
export const BARE_STOP = /[\s(),"'=<>!]/;

export function printFieldRef(f: FieldRef): string {
  let out = f.arg === undefined ? f.name : `${f.name}[${f.arg}]`;
  for (const t of f.transformers ?? []) out = `${t}(${out})`;
  return out;
}

function printString(v: StringValue): string {
  if (v.quoted) return JSON.stringify(v.value);
  return v.value;
}

function printOperand(v: Operand): string {
  if (v.kind === 'string') return printString(v);
  if (v.kind === 'field')
    return v.field.transformers?.length ? printFieldRef(v.field) : `val(${printFieldRef(v.field)})`;
  return `(${v.items.map(printString).join(', ')})`;
}

/** Prints a tree as condition text; every nested boolean gets parentheses so precedence is explicit. */
export function printCondition(n: ConditionNode): string {
  switch (n.kind) {
    case 'and':
    case 'or':
      return n.args
        .map((a) => (a.kind === 'and' || a.kind === 'or' ? `(${printCondition(a)})` : printCondition(a)))
        .join(` ${n.kind} `);
    case 'not':
      return n.arg.kind === 'and' || n.arg.kind === 'or'
        ? `not (${printCondition(n.arg)})`
        : `not ${printCondition(n.arg)}`;
    case 'macro':
      return n.name;
    case 'compare':
      if (n.op === 'exists' || !n.value) return `${printFieldRef(n.field)} exists`;
      return `${printFieldRef(n.field)} ${n.op} ${printOperand(n.value)}`;
  }
}

/** A copy of a tree without positions, for structural comparison. */
export function stripPositions(n: unknown): unknown {
  if (Array.isArray(n)) return n.map(stripPositions);
  if (n && typeof n === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) if (k !== 'pos') out[k] = stripPositions(v);
    return out;
  }
  return n;
}
