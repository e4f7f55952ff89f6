// One output's delivery loop: a bounded in-memory queue, batches sent in order, retries with
// exponential backoff and jitter, and the dead-letter table for whatever could not be delivered.

import type { DeadLetterRepository } from '@palisade/store';
import type { Counter } from 'prom-client';
import { type DeliveryFailure, HttpDeliveryError, type Output, type OutputAlert, toDocument } from './output.js';

export interface RetryPolicy {
  /** Total tries per alert, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface OutputQueueOptions {
  output: Output;
  customFields: Record<string, unknown>;
  retry: RetryPolicy;
  /** Alerts held in memory; beyond it new alerts go straight to the dead letters. */
  queueSize: number;
  deadLetters: DeadLetterRepository;
  counters: { sent: Counter<'output'>; failed: Counter<'output'>; deadLetter: Counter<'output'> };
  /** Called when even the dead-letter write fails: the last place an alert is reported. */
  onLost(err: unknown, alerts: readonly OutputAlert[], reason: string): void;
  random?: () => number;
}

/** Equal jitter: half the exponential delay fixed, half random, so retries of many servers spread out. */
export function backoffDelay(retry: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return base / 2 + random() * (base / 2);
}

interface Pending {
  alert: OutputAlert;
  attempts: number;
  lastError: string;
}

export class OutputQueue {
  private readonly items: OutputAlert[] = [];
  private running: Promise<void> | undefined;
  private closing = false;
  private readonly wake = new AbortController();
  /** Dead-letter writes in flight (overflow, close), awaited by idle() and close(). */
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly opts: OutputQueueOptions) {}

  get name(): string {
    return this.opts.output.name;
  }

  get depth(): number {
    return this.items.length;
  }

  enqueue(alerts: readonly OutputAlert[]): void {
    const room = this.closing ? 0 : Math.max(0, this.opts.queueSize - this.items.length);
    const taken = alerts.slice(0, room);
    const overflow = alerts.slice(room);
    this.items.push(...taken);
    if (overflow.length > 0) {
      const reason = this.closing ? 'server shutting down' : `queue full (${this.opts.queueSize} alerts waiting)`;
      this.track(this.deadLetter(overflow.map((alert) => ({ alert, attempts: 0, lastError: reason }))));
    }
    if (taken.length > 0) this.running ??= this.drain();
  }

  /** Resolves once nothing is queued, in flight or being dead-lettered. */
  async idle(): Promise<void> {
    while (this.running || this.writes.size > 0) {
      if (this.running) await this.running;
      await Promise.all(this.writes);
    }
  }

  /** Stops retrying; what is still queued or waiting for a retry goes to the dead letters. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake.abort();
    await this.idle();
    await this.opts.output.close?.();
  }

  private track(p: Promise<void>): void {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length > 0) {
        const batch = this.items.splice(0, this.opts.output.batchSize);
        await this.deliver(batch.map((alert) => ({ alert, attempts: 0, lastError: '' })));
      }
    } finally {
      this.running = undefined;
    }
  }

  private async deliver(pending: Pending[]): Promise<void> {
    const { output, counters, retry } = this.opts;
    const label = { output: output.name };
    while (pending.length > 0) {
      if (this.closing) {
        await this.deadLetter(pending.map((p) => ({ ...p, lastError: p.lastError || 'server shutting down' })));
        return;
      }
      let failures: DeliveryFailure[];
      try {
        failures = await output.send(pending.map((p) => toDocument(p.alert, this.opts.customFields)));
      } catch (err) {
        const retryable = err instanceof HttpDeliveryError ? err.retryable : true;
        failures = pending.map((_p, index) => ({ index, error: (err as Error).message, retryable }));
      }
      counters.sent.inc(label, pending.length - failures.length);
      if (failures.length > 0) counters.failed.inc(label, failures.length);
      const again: Pending[] = [];
      const dead: Pending[] = [];
      for (const f of failures) {
        const p = pending[f.index];
        if (!p) continue;
        const next = { alert: p.alert, attempts: p.attempts + 1, lastError: f.error };
        (f.retryable && next.attempts < retry.attempts ? again : dead).push(next);
      }
      if (dead.length > 0) await this.deadLetter(dead);
      pending = again;
      if (pending.length > 0) await this.sleep(backoffDelay(retry, pending[0]?.attempts ?? 1, this.opts.random));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wake.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.wake.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  private async deadLetter(items: Pending[]): Promise<void> {
    const { output, counters, deadLetters } = this.opts;
    try {
      await deadLetters.add(
        items.map((p) => ({
          tenantId: p.alert.tenant,
          output: output.name,
          alertId: p.alert.uuid,
          alert: p.alert as unknown as Record<string, unknown>,
          error: p.lastError,
          attempts: p.attempts,
        })),
      );
      counters.deadLetter.inc({ output: output.name }, items.length);
    } catch (err) {
      this.opts.onLost(
        err,
        items.map((p) => p.alert),
        items[0]?.lastError ?? '',
      );
    }
  }
}
