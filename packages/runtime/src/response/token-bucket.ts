// Token buckets keyed by a string (rule + container), so a noisy rule cannot kill or stop things
// in a loop: each key may act `burst` times, then `perMinute` times a minute.

export interface RateLimit {
  burst: number;
  perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    /** Milliseconds clock; injectable so tests need no sleeping. */
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(t);
      b = { tokens: this.limit.burst, at: t };
      this.buckets.set(key, b);
    } else {
      const refill = ((t - b.at) / 60_000) * this.limit.perMinute;
      b.tokens = Math.min(this.limit.burst, b.tokens + refill);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops buckets that have refilled completely: forgetting them changes nothing. */
  private evictFull(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 60_000) * this.limit.perMinute >= this.limit.burst) this.buckets.delete(k);
    }
    if (this.buckets.size >= this.maxKeys) {
      const first = this.buckets.keys().next().value;
      if (first !== undefined) this.buckets.delete(first);
    }
  }
}
