// Slows password guessing: failed logins are counted per login name and per client address over a
// window; past the limit every attempt for that name or from that address is refused (429) until
// the window moves on. Unknown names are counted like known ones, so refusals reveal nothing.

export interface LoginThrottleOptions {
  /** Failed attempts per name within the window before that name is refused. */
  perName?: number;
  /** Failed attempts per client address within the window before it is refused. */
  perAddress?: number;
  windowMs?: number;
  now?: () => number;
}

/** Thrown (and answered 429) while a name or address is over its budget. */
export class TooManyLoginsError extends Error {
  override name = 'TooManyLoginsError';
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed logins; try again in ${retryAfterSeconds} s`);
  }
}

// Beyond this many tracked keys, expired ones are swept so the map cannot grow without bound.
const SWEEP_AT = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly perName: number;
  private readonly perAddress: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.perName = opts.perName ?? 5;
    this.perAddress = opts.perAddress ?? 20;
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Throws TooManyLoginsError when the name or the address has used up its failures. */
  check(name: string, address: string): void {
    const t = this.now();
    let retryAt = 0;
    for (const [key, max] of this.keys(name, address)) {
      const recent = this.recent(key, t);
      if (recent.length >= max) retryAt = Math.max(retryAt, (recent[recent.length - max] ?? t) + this.windowMs);
    }
    if (retryAt > 0) throw new TooManyLoginsError(Math.max(1, Math.ceil((retryAt - t) / 1000)));
  }

  failed(name: string, address: string): void {
    const t = this.now();
    if (this.failures.size > SWEEP_AT) this.sweep(t);
    for (const [key] of this.keys(name, address)) this.failures.set(key, [...this.recent(key, t), t]);
  }

  /** A successful login clears the name's failures (the address keeps its count). */
  succeeded(name: string): void {
    this.failures.delete(`name:${name.trim().toLowerCase()}`);
  }

  private keys(name: string, address: string): [string, number][] {
    return [
      [`name:${name.trim().toLowerCase()}`, this.perName],
      [`addr:${address}`, this.perAddress],
    ];
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - this.windowMs);
  }

  private sweep(t: number): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key, t).length === 0) this.failures.delete(key);
    }
  }
}
