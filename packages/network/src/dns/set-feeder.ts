// Adds DNS answers' addresses to the nftables domain sets with their TTL as element timeout, and
// remembers what the kernel holds so a repeated answer costs no `nft` run.

import { type ApplyOptions, applyNftScript } from '../nft/apply.js';

export interface SetAdd {
  readonly set: string;
  readonly address: string;
  /** Seconds, already clamped to the minimum TTL. */
  readonly ttl: number;
}

export class DomainSetFeeder {
  /** `set address` → when the kernel's element expires (ms since epoch), as far as we know. */
  private readonly expiry = new Map<string, number>();
  private runs = 0;

  constructor(
    private readonly table: string,
    private readonly apply: ApplyOptions,
  ) {}

  /** How many `nft` transactions ran (tests and the benchmark read it). */
  get nftRuns(): number {
    return this.runs;
  }

  /**
   * Makes every address present until at least now + ttl. One transaction for the whole answer.
   * An element is refreshed with add (a no-op if present), delete, add with the new timeout: in one
   * batch, so there is no instant without it and no failure when it expired meanwhile.
   */
  async add(adds: readonly SetAdd[], now = Date.now()): Promise<void> {
    const lines: string[] = [];
    const done: [string, number][] = [];
    for (const a of adds) {
      const key = `${a.set} ${a.address}`;
      const until = now + a.ttl * 1000;
      if (done.some(([k]) => k === key)) continue;
      // Already held for long enough (1 s of slack keeps a burst of answers from each running nft).
      if ((this.expiry.get(key) ?? 0) + 1000 >= until) continue;
      const t = `inet ${this.table} ${a.set}`;
      lines.push(
        `add element ${t} { ${a.address} timeout 1s }`,
        `delete element ${t} { ${a.address} }`,
        `add element ${t} { ${a.address} timeout ${a.ttl}s }`,
      );
      done.push([key, until]);
    }
    if (lines.length === 0) return;
    this.runs++;
    await applyNftScript(`${lines.join('\n')}\n`, this.apply);
    for (const [key, until] of done) this.expiry.set(key, until);
    if (this.expiry.size > 100_000) this.prune(now);
  }

  /** Forget everything, e.g. after the table was replaced and the sets came back empty. */
  reset(): void {
    this.expiry.clear();
  }

  private prune(now: number): void {
    for (const [k, until] of this.expiry) if (until < now) this.expiry.delete(k);
  }
}
