import { versionSchemeFor } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OsvAffected } from '../../vulndb/osv-record.js';
import { compileAffected, evaluateAffected } from './osv-range.js';

const semver = versionSchemeFor('crates.io')!;
const version = fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)).map(([a, b, c]) => `${a}.${b}.${c}`);

function evaluate(affected: OsvAffected, v: string) {
  return evaluateAffected(compileAffected(affected, semver), semver, v);
}

describe('OSV range evaluation', () => {
  it('is affected exactly within [introduced, fixed) for one pair, whatever the event order', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, v) => {
        fc.pre(semver.compare(a, b) < 0);
        const events = [{ introduced: a }, { fixed: b }];
        for (const order of [events, [...events].reverse()]) {
          const verdict = evaluate({ ranges: [{ type: 'SEMVER', events: order }] }, v);
          const inside = semver.compare(v, a) >= 0 && semver.compare(v, b) < 0;
          expect(verdict.affected).toBe(inside);
          expect(verdict.fixes).toEqual(inside ? [b] : []);
        }
      }),
    );
  });

  it('is affected up to and including last_affected', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, v) => {
        fc.pre(semver.compare(a, b) <= 0);
        const verdict = evaluate(
          { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: a }, { last_affected: b }] }] },
          v,
        );
        expect(verdict.affected).toBe(semver.compare(v, a) >= 0 && semver.compare(v, b) <= 0);
        expect(verdict.fixes.every((f) => f === undefined)).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary events and versions', () => {
    const event = fc.oneof(
      fc.record({ introduced: fc.string() }),
      fc.record({ fixed: fc.string() }),
      fc.record({ last_affected: fc.string() }),
      fc.record({ limit: fc.string() }),
    );
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 6 }),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.string(),
        (events, versions, v) => {
          const verdict = evaluate({ ranges: [{ type: 'SEMVER', events }], versions }, v);
          expect(typeof verdict.affected).toBe('boolean');
        },
      ),
    );
  });

  it('treats introduced "0" as the lowest version, reports the fix of the branch the version is on', () => {
    const affected: OsvAffected = {
      ranges: [
        {
          type: 'SEMVER',
          events: [{ introduced: '2.0.0' }, { fixed: '2.0.3' }, { introduced: '0' }, { fixed: '1.4.1' }],
        },
      ],
    };
    expect(evaluate(affected, '0.0.1')).toEqual({ affected: true, fixes: ['1.4.1'] });
    expect(evaluate(affected, '1.4.1')).toEqual({ affected: false, fixes: [] });
    expect(evaluate(affected, '2.0.2')).toEqual({ affected: true, fixes: ['2.0.3'] });
  });

  it('ignores GIT ranges and bounds by limit ("*" is no bound)', () => {
    expect(evaluate({ ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] }, '1.0.0').affected).toBe(false);
    const limited = (limit: string) => ({ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit }] }] });
    expect(evaluate(limited('2.0.0'), '1.9.9').affected).toBe(true);
    expect(evaluate(limited('2.0.0'), '2.0.0').affected).toBe(false);
    expect(evaluate(limited('*'), '9.0.0').affected).toBe(true);
  });
});
