import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_NESTING, parseEventBatch } from './events.js';

describe('parseEventBatch', () => {
  it('reads one event per non-empty line', () => {
    const events = parseEventBatch(
      '{"id":"a","ts":"t","type":"exec"}\n\n{"id":"b","ts":"t","type":"open","rule":"r"}\n',
    );
    expect(events.map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('names the line and the field that is wrong', () => {
    expect(() => parseEventBatch('{"id":"a","ts":"t","type":"exec"}\n[1]')).toThrow(
      'events batch line 2: expected a JSON object',
    );
    expect(() => parseEventBatch('{"ts":"t","type":"exec"}')).toThrow(/line 1: "id" must be/);
    expect(() => parseEventBatch('{"id":"a","ts":"t","type":"exec","rule":5}')).toThrow(
      /line 1: "rule" must be a string/,
    );
  });

  it('refuses a NUL in a column field, keeps it in the rest of the event', () => {
    expect(() => parseEventBatch('{"id":"a","ts":"t","type":"exec","output":"x\\u0000y"}')).toThrow(
      /line 1: "output" must not contain a NUL/,
    );
    const [e] = parseEventBatch('{"id":"a","ts":"t","type":"exec","proc":{"args":["x\\u0000y"]}}');
    expect(e?.proc).toEqual({ args: ['x\u0000y'] });
  });

  it('refuses events nested deeper than the stores keep, counting brackets in strings as text', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    const line = (depth: number) => `{"id":"a","ts":"t","type":"exec","deep":${nested(depth)}}`;
    expect(parseEventBatch(line(MAX_EVENT_NESTING - 1))).toHaveLength(1);
    expect(() => parseEventBatch(line(MAX_EVENT_NESTING))).toThrow(
      `events batch line 1: nested deeper than ${MAX_EVENT_NESTING} levels`,
    );
    const brackets = JSON.stringify({ id: 'b', ts: 't', type: 'exec', output: '{['.repeat(1000) });
    expect(parseEventBatch(brackets)).toHaveLength(1);
  });

  it('either returns well-formed events or throws InputError, for any input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fc.jsonValue()).map((xs) => xs.map((x) => JSON.stringify(x)).join('\n')),
        ),
        (body) => {
          try {
            for (const e of parseEventBatch(body)) {
              expect(typeof e.id).toBe('string');
              expect(typeof e.ts).toBe('string');
              expect(typeof e.type).toBe('string');
            }
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
    );
  });
});
