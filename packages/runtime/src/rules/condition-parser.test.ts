import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_OPERATORS,
  type ConditionNode,
  type FieldRef,
  LIST_OPERATORS,
  type Operand,
  type Operator,
  printCondition,
  type StringValue,
  stripPositions,
  TRANSFORMERS,
  type Transformer,
} from './condition-ast.js';
import { ConditionSyntaxError, parseCondition } from './condition-parser.js';

function syntaxError(text: string): ConditionSyntaxError {
  try {
    parseCondition(text);
  } catch (err) {
    if (err instanceof ConditionSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected a syntax error for: ${text}`);
}

describe('parseCondition', () => {
  it('parses precedence: not binds tighter than and, and tighter than or', () => {
    const ast = parseCondition('a or not b and c');
    expect(stripPositions(ast)).toEqual({
      kind: 'or',
      args: [
        { kind: 'macro', name: 'a' },
        {
          kind: 'and',
          args: [
            { kind: 'not', arg: { kind: 'macro', name: 'b' } },
            { kind: 'macro', name: 'c' },
          ],
        },
      ],
    });
  });

  it('parses field arguments, lists with quoted items, val() and transformers', () => {
    const ast = parseCondition(
      `proc.aname[2] in (sshd, "puma reactor", 'x y', runc:[0:PARENT]) and tolower(proc.name) = val(proc.pname) and fd.name exists`,
    );
    expect(stripPositions(ast)).toEqual({
      kind: 'and',
      args: [
        {
          kind: 'compare',
          field: { name: 'proc.aname', arg: '2' },
          op: 'in',
          value: {
            kind: 'list',
            items: [
              { kind: 'string', value: 'sshd', quoted: false },
              { kind: 'string', value: 'puma reactor', quoted: true },
              { kind: 'string', value: 'x y', quoted: true },
              { kind: 'string', value: 'runc:[0:PARENT]', quoted: false },
            ],
          },
        },
        {
          kind: 'compare',
          field: { name: 'proc.name', transformers: ['tolower'] },
          op: '=',
          value: { kind: 'field', field: { name: 'proc.pname' } },
        },
        { kind: 'compare', field: { name: 'fd.name' }, op: 'exists' },
      ],
    });
  });

  it('reads symbol operators without spaces and bare values with slashes and dashes', () => {
    const ast = parseCondition('fd.num>=0 and proc.name!="sshd" and fd.net != 127.0.0.0/8 and fd.num=-1');
    expect(printCondition(ast)).toBe('fd.num >= 0 and proc.name != "sshd" and fd.net != 127.0.0.0/8 and fd.num = -1');
  });

  it('keeps keywords whole: "order" is not "or", "android" is a macro', () => {
    expect(stripPositions(parseCondition('order and android'))).toEqual({
      kind: 'and',
      args: [
        { kind: 'macro', name: 'order' },
        { kind: 'macro', name: 'android' },
      ],
    });
  });

  it('reports precise positions', () => {
    expect(syntaxError('proc.name = ').pos).toBe(12);
    expect(syntaxError('proc.name foo').pos).toBe(10);
    expect(syntaxError('(a and b').pos).toBe(8);
    expect(syntaxError('proc.name in (a, b').pos).toBe(18);
    expect(syntaxError('proc.name in a').message).toContain('expects a list');
    expect(syntaxError('proc.name = "abc').pos).toBe(12);
    expect(syntaxError('a and and b').pos).toBe(6);
    expect(syntaxError('a b').message).toContain("unexpected 'b'");
    expect(syntaxError('').pos).toBe(0);
  });

  it('rejects absurd nesting with an error instead of overflowing the stack', () => {
    expect(syntaxError(`${'('.repeat(5000)}a${')'.repeat(5000)}`).message).toContain('nested deeper');
    expect(syntaxError(`${'not '.repeat(5000)}a`).message).toContain('nested deeper');
  });

  it('fuzz: any input parses or fails with a position inside the text, never anything else', () => {
    const alphabet = fc.constantFrom(
      ...'()[],=<>!"\' \t\nabcnotrpx._-0123456789/'.split(''),
      'and ',
      'or ',
      'not ',
      'proc.name',
      ' in ',
      ' contains ',
      'val(',
      'tolower(',
      ' exists',
      '\\',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (s) => {
        try {
          parseCondition(s);
        } catch (err) {
          expect(err).toBeInstanceOf(ConditionSyntaxError);
          const pos = (err as ConditionSyntaxError).pos;
          expect(pos).toBeGreaterThanOrEqual(0);
          expect(pos).toBeLessThanOrEqual(s.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: printing a generated tree and parsing it back gives the same tree', () => {
    const KEYWORDS = new Set(['and', 'or', 'not', 'val', ...TRANSFORMERS, ...BINARY_OPERATORS, 'exists']);
    const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((s) => !KEYWORDS.has(s));
    const field: fc.Arbitrary<FieldRef> = fc
      .record({
        name: fc.constantFrom(
          'proc.name',
          'fd.name',
          'proc.aname',
          'evt.type',
          'user.uid',
          'k8s.pod.label',
          'evt.arg.flags',
        ),
        arg: fc.option(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,6}$/), { nil: undefined }),
        transformers: fc.array(fc.constantFrom(...TRANSFORMERS), { maxLength: 2 }),
      })
      .map(({ name, arg, transformers }) => ({
        name,
        ...(arg !== undefined ? { arg } : {}),
        ...(transformers.length ? { transformers: transformers as Transformer[] } : {}),
        pos: 0,
      }));
    const bare = fc.stringMatching(/^[A-Za-z0-9_/.:*\-[\]]{1,10}$/).filter((s) => !KEYWORDS.has(s));
    const str: fc.Arbitrary<StringValue> = fc.oneof(
      bare.map((value) => ({ kind: 'string' as const, value, quoted: false, pos: 0 })),
      fc.string({ maxLength: 10 }).map((value) => ({ kind: 'string' as const, value, quoted: true, pos: 0 })),
    );
    const list: fc.Arbitrary<Operand> = fc
      .array(str, { maxLength: 4 })
      .map((items) => ({ kind: 'list', items, pos: 0 }));
    const fieldVal: fc.Arbitrary<Operand> = field.map((f) => ({ kind: 'field', field: f, pos: 0 }));
    const compare: fc.Arbitrary<ConditionNode> = fc
      .tuple(field, fc.constantFrom<Operator>(...BINARY_OPERATORS, 'exists'), str, list, fieldVal, fc.boolean())
      .map(([f, op, s, l, fv, useField]) => {
        if (op === 'exists') return { kind: 'compare', field: f, op, pos: 0 };
        const value = LIST_OPERATORS.has(op) ? l : useField ? fv : s;
        return { kind: 'compare', field: f, op, value, pos: 0 };
      });
    const { tree } = fc.letrec<{ tree: ConditionNode }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        compare,
        ident.map((name) => ({ kind: 'macro' as const, name, pos: 0 })),
        fc.record({ kind: fc.constant('not' as const), arg: tie('tree'), pos: fc.constant(0) }),
        fc.record({
          kind: fc.constantFrom('and' as const, 'or' as const),
          args: fc.array(tie('tree'), { minLength: 2, maxLength: 3 }),
          pos: fc.constant(0),
        }),
      ) as fc.Arbitrary<ConditionNode>,
    }));
    fc.assert(
      fc.property(tree, (ast) => {
        const text = printCondition(ast);
        expect(stripPositions(parseCondition(text))).toEqual(stripPositions(ast));
      }),
      { numRuns: 1000 },
    );
  });
});
