// The login throttle with a hand-driven clock: budgets per name and per address, the window
// moving on, success clearing a name, and the map staying bounded.

import { describe, expect, it } from 'vitest';
import { LoginThrottle, TooManyLoginsError } from './login-throttle.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('LoginThrottle', () => {
  it('refuses a name after its failures, for names that exist or not alike, until the window moves on', () => {
    const c = clock();
    const throttle = new LoginThrottle({ perName: 3, perAddress: 100, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(() => throttle.check('Alice', '10.0.0.1')).not.toThrow();
      throttle.failed('Alice', '10.0.0.1');
      c.advance(1000);
    }
    let refusal: unknown;
    try {
      throttle.check('alice', '10.0.0.2');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(TooManyLoginsError);
    // The oldest failure leaves the window 60 s after it happened: 57 s from now.
    expect((refusal as TooManyLoginsError).retryAfterSeconds).toBe(57);
    expect(() => throttle.check('bob', '10.0.0.1')).not.toThrow();
    c.advance(57_000);
    expect(() => throttle.check('alice', '10.0.0.1')).not.toThrow();
  });

  it('refuses an address after its failures across names', () => {
    const c = clock();
    const throttle = new LoginThrottle({ perName: 100, perAddress: 4, windowMs: 60_000, now: c.now });
    for (const name of ['a', 'b', 'c', 'd']) throttle.failed(name, '10.0.0.9');
    expect(() => throttle.check('e', '10.0.0.9')).toThrow(TooManyLoginsError);
    expect(() => throttle.check('e', '10.0.0.10')).not.toThrow();
  });

  it("clears a name's failures on success but keeps the address's", () => {
    const c = clock();
    const throttle = new LoginThrottle({ perName: 2, perAddress: 3, windowMs: 60_000, now: c.now });
    throttle.failed('carol', '10.0.0.3');
    throttle.failed('carol', '10.0.0.3');
    expect(() => throttle.check('carol', '10.0.0.4')).toThrow(TooManyLoginsError);
    throttle.succeeded('carol');
    expect(() => throttle.check('carol', '10.0.0.4')).not.toThrow();
    throttle.failed('dave', '10.0.0.3');
    expect(() => throttle.check('erin', '10.0.0.3')).toThrow(TooManyLoginsError);
  });

  it('forgets expired keys once many are tracked', () => {
    const c = clock();
    const throttle = new LoginThrottle({ windowMs: 1000, now: c.now });
    for (let i = 0; i < 10_001; i++) throttle.failed(`user-${i}`, `addr-${i}`);
    c.advance(2000);
    throttle.failed('last', 'addr-last');
    expect((throttle as unknown as { failures: Map<string, number[]> }).failures.size).toBe(2);
  });
});
