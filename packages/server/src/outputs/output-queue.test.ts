import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './output-queue.js';

describe('backoffDelay', () => {
  const retry = { attempts: 10, initialDelayMs: 100, maxDelayMs: 5000 };

  it('doubles per attempt up to the cap, with half of it jittered', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(retry, a, () => 0))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((a) => backoffDelay(retry, a, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(retry, 30, () => 1)).toBe(5000);
  });

  it('stays within [base/2, base] for any attempt and random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
        const d = backoffDelay(retry, attempt, () => r);
        expect(d).toBeGreaterThanOrEqual(base / 2);
        expect(d).toBeLessThanOrEqual(base);
      }),
    );
  });
});
