// Wakes long-polling agents when a tenant's policies change: a generation counter per tenant, bumped
// by the bus topic `policies.changed`, so a change between reading the bundle and waiting is not lost.

import type { EventBus, Subscription } from '@palisade/bus';

export const POLICIES_CHANGED = 'policies.changed';

export interface PolicyChangedMessage {
  tenantId: string;
}

export class PolicyChanges {
  private readonly generations = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly subscription: Subscription;
  private closed = false;

  constructor(bus: EventBus) {
    this.subscription = bus.subscribe<PolicyChangedMessage>(POLICIES_CHANGED, (m) => this.bump(m.tenantId));
  }

  generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }

  /** How many requests are waiting on a tenant (tests and metrics). */
  waiting(tenantId: string): number {
    return this.waiters.get(tenantId)?.size ?? 0;
  }

  /**
   * Resolves true when the tenant's generation moves past `since`, false when `ms` pass, `signal`
   * aborts (the client went away) or the server closes.
   */
  waitForChange(tenantId: string, since: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.generation(tenantId) !== since) return Promise.resolve(true);
    if (this.closed || signal?.aborted || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(tenantId);
      if (!set) {
        set = new Set();
        this.waiters.set(tenantId, set);
      }
      const waiters = set;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        waiters.delete(finish);
        if (waiters.size === 0 && this.waiters.get(tenantId) === waiters) this.waiters.delete(tenantId);
        resolve(this.generation(tenantId) !== since);
      };
      const timer = setTimeout(finish, ms);
      signal?.addEventListener('abort', finish);
      waiters.add(finish);
    });
  }

  private bump(tenantId: string): void {
    this.generations.set(tenantId, this.generation(tenantId) + 1);
    const set = this.waiters.get(tenantId);
    if (set) for (const wake of [...set]) wake();
  }

  /** Answers every waiter (as unchanged) so shutdown does not wait out their long polls. */
  close(): void {
    this.closed = true;
    this.subscription.unsubscribe();
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
