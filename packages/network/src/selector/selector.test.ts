import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSelector, parseSelector, printSelector, type SelectorAst, SelectorError } from './selector.js';

const labels = { app: 'web', tier: 'frontend', 'k8s.io/name': 'nginx-1' };

describe('selector matching (Calico semantics)', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["app == 'web'", labels, true],
    ["app == 'db'", labels, false],
    ["app != 'db'", labels, true],
    ["missing != 'x'", labels, true], // absent label matches !=
    ["missing == 'x'", labels, false],
    ["app in {'web', 'api'}", labels, true],
    ['app in {}', labels, false],
    ["missing in {'a'}", labels, false],
    ["app not in {'web'}", labels, false],
    ["missing not in {'web'}", labels, true], // absent label matches not in
    ['has(app)', labels, true],
    ['!has(app)', labels, false],
    ['!has(missing)', labels, true],
    ["k8s.io/name contains 'inx'", labels, true],
    ["k8s.io/name starts with 'ngi'", labels, true],
    ["k8s.io/name ends with '-1'", labels, true],
    ["missing contains ''", labels, false],
    ['all()', labels, true],
    ['', labels, true],
    ['global()', labels, false],
    // && binds tighter than ||
    ["app == 'db' && tier == 'x' || has(tier)", labels, true],
    ["app == 'db' && (tier == 'x' || has(tier))", labels, false],
    ["!app == 'web' || has(tier)", labels, true],
    ["!(app == 'web') && has(tier)", labels, false],
    ['has(has)', { has: '1' }, true],
    ["all == 'x'", { all: 'x' }, true],
    ['"x" == "y"'.replace('"x"', 'k'), { k: 'y' }, true],
  ];
  it.each(cases)('%s', (sel, l, want) => {
    expect(compileSelector(sel)(l)).toBe(want);
  });

  it('global() matches only non-namespaced objects', () => {
    expect(compileSelector('global()')({}, true)).toBe(true);
    expect(compileSelector('!global()')({}, true)).toBe(false);
  });
});

describe('selector errors carry the position', () => {
  const bad: [string, number][] = [
    ["app = 'web'", 4],
    ['app == web', 7],
    ["app == 'web", 7],
    ["app == 'web' &&", 15],
    ["(app == 'web'", 13],
    ["app in {'a' 'b'}", 12],
    ["app not 'x'", 8],
    ['has(app', 7],
    ["app starts 'x'", 11],
    ['app', 3],
    ["app == 'x' $", 11],
    ['all(x)', 4],
  ];
  it.each(bad)('%s fails at %i', (sel, pos) => {
    try {
      parseSelector(sel);
      expect.unreachable('should not parse');
    } catch (err) {
      expect(err).toBeInstanceOf(SelectorError);
      expect((err as SelectorError).position).toBe(pos);
      expect((err as Error).message).toContain(`position ${pos}`);
    }
  });
});

const key = fc.stringMatching(/^[a-z][a-z0-9./-]{0,8}$/);
const value = fc.stringMatching(/^[a-zA-Z0-9 ._-]{0,6}$/);
const astArb: fc.Arbitrary<SelectorAst> = fc.letrec<{ node: SelectorAst }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant({ kind: 'all' } as const),
    fc.constant({ kind: 'global' } as const),
    fc.record({ kind: fc.constant('has' as const), key }),
    fc.record({ kind: fc.constantFrom('eq', 'ne', 'contains', 'startsWith', 'endsWith' as const), key, value }),
    fc.record({ kind: fc.constantFrom('in', 'notIn' as const), key, values: fc.array(value, { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('node') }),
    fc.record({
      kind: fc.constantFrom('and', 'or' as const),
      items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
    }),
  ) as fc.Arbitrary<SelectorAst>,
})).node;

describe('selector properties', () => {
  it('print then parse gives back the same tree', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        expect(parseSelector(printSelector(ast))).toEqual(ast);
      }),
      { numRuns: 500 },
    );
  });

  it('random text either parses or fails with a position inside the text, never crashes', () => {
    const alphabet = fc.constantFrom(
      ...'ab=!&|(){},\' "inotcasehwl'.split(''),
      'has(',
      ' in ',
      ' not in ',
      '&&',
      '||',
      '==',
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
        (src) => {
          try {
            const ast = parseSelector(src);
            expect(typeof compileSelector(src)({})).toBe('boolean');
            expect(parseSelector(printSelector(ast))).toEqual(ast);
          } catch (err) {
            expect(err).toBeInstanceOf(SelectorError);
            const pos = (err as SelectorError).position;
            expect(pos).toBeGreaterThanOrEqual(0);
            expect(pos).toBeLessThanOrEqual(src.length);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('!s matches exactly when s does not, and != is the negation of == on present labels', () => {
    fc.assert(
      fc.property(astArb, fc.dictionary(key, value, { maxKeys: 4 }), fc.boolean(), (ast, l, g) => {
        const s = printSelector(ast);
        const negated = ast.kind === 'and' || ast.kind === 'or' ? `!(${s})` : `!${s}`;
        expect(compileSelector(negated)(l, g)).toBe(!compileSelector(s)(l, g));
      }),
      { numRuns: 500 },
    );
  });
});
