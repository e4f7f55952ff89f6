import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResponsePolicy } from './response-policy.js';
import { TokenBuckets } from './token-bucket.js';

const POLICY = `
apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: enforce
  rateLimit: { burst: 2, perMinute: 1 }
  stopTimeoutSeconds: 3
  responses:
    - rules: ["Cryptominer process started"]
      actions: [kill]
      killTarget: group
    - tags: [T1611]
      actions: [stop]
      mode: audit
    - minPriority: critical
      actions: [pause]
`;

describe('parseResponsePolicy', () => {
  it('reads modes, rate limits and matchers', () => {
    const p = parseResponsePolicy(POLICY, 'policy.yaml');
    expect(p.mode).toBe('enforce');
    expect(p.rateLimit).toEqual({ burst: 2, perMinute: 1 });
    expect(p.stopTimeoutSeconds).toBe(3);
    expect(p.responses).toEqual([
      { rules: ['Cryptominer process started'], tags: [], actions: ['kill'], killTarget: 'group' },
      { rules: [], tags: ['T1611'], actions: ['stop'], killTarget: 'process', mode: 'audit' },
      { rules: [], tags: [], actions: ['pause'], killTarget: 'process', minPriority: 'Critical' },
    ]);
  });

  it('defaults to audit mode', () => {
    expect(parseResponsePolicy('apiVersion: palisade.dev/v1\nkind: ResponsePolicy\n').mode).toBe('audit');
  });

  it.each([
    ['kind: Other\napiVersion: palisade.dev/v1', /kind must be ResponsePolicy/],
    ['apiVersion: v2\nkind: ResponsePolicy', /apiVersion/],
    ['apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec: {mode: yes}', /spec.mode/],
    [
      'apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec: {responses: [{rules: [x], actions: [explode]}]}',
      /unknown action "explode"/,
    ],
    ['apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec: {responses: [{actions: [kill]}]}', /needs rules, tags/],
    ['apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec: {rateLimit: {burst: -1}}', /burst/],
    ['{{{', /not YAML/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseResponsePolicy(text, 'p.yaml')).toThrow(InputError);
    expect(() => parseResponsePolicy(text, 'p.yaml')).toThrow(msg);
    expect(() => parseResponsePolicy(text, 'p.yaml')).toThrow(/^p\.yaml: /);
  });

  it('fuzz: any text either parses or throws InputError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[*&!|>%@:\-[\]{}#a-z ]{0,12}$/),
          fc.json().map((j) => `apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec: ${j}`),
        ),
        (t) => {
          try {
            parseResponsePolicy(t);
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the configured rate, per key', () => {
    let now = 0;
    const b = new TokenBuckets({ burst: 2, perMinute: 1 }, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([true, true, false]);
    expect(b.take('b')).toBe(true);
    now += 30_000;
    expect(b.take('a')).toBe(false);
    now += 30_000;
    expect(b.take('a')).toBe(true);
    now += 10 * 60_000;
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([true, true, false]);
  });

  it('bounds the number of keys it remembers', () => {
    const b = new TokenBuckets({ burst: 1, perMinute: 0 }, () => 0, 3);
    for (const k of ['a', 'b', 'c', 'd']) expect(b.take(k)).toBe(true);
    // 'a' was evicted to make room, so it starts with a fresh bucket.
    expect(b.take('a')).toBe(true);
    expect(b.take('d')).toBe(false);
  });
});
