// One output's delivery loop over the durable outbox: takes the head of the output's line (leased
// to this server), sends it, deletes what was delivered, reschedules failures with exponential
// backoff and jitter, and moves what cannot be delivered to the dead-letter table.

import type { OutboxEntry, OutboxRepository } from '@palisade/store';
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
  /** Alerts allowed to wait in the outbox for this output; beyond it new ones go to the dead letters. */
  queueSize: number;
  outbox: OutboxRepository;
  /** This server's name on its leases (see AlertDispatcherOptions.owner). */
  owner: string;
  counters: { sent: Counter<'output'>; failed: Counter<'output'>; deadLetter: Counter<'output'> };
  /** A store read or write failed; the loop goes on and the rows stay in the outbox. */
  onError(err: unknown, what: string): void;
  /** How often an idle loop looks for rows that another server wrote. Default 1 s. */
  pollMs?: number;
  random?: () => number;
}

/** How long a claim holds rows: far beyond one send, so only a dead server's lease runs out. */
export const LEASE_MS = 120_000;

/**
 * Rows taken from the outbox per round trip, sent batchSize at a time: outputs that take one alert
 * per request (webhook, Slack, syslog) would otherwise pay three database round trips per alert.
 * Also the most a crash can make an output receive twice.
 */
export const CLAIM_WINDOW = 50;

/** Equal jitter: half the exponential delay fixed, half random, so retries of many servers spread out. */
export function backoffDelay(retry: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return base / 2 + random() * (base / 2);
}

export class OutputQueue {
  /** Rows waiting in the outbox for this output, as this server counts them (exact on one server). */
  depth = 0;
  private running: Promise<void> | undefined;
  private closing = false;
  private woken = false;
  private wakeSleeper: (() => void) | undefined;
  /** idle() requests: each waits for a claim that started after it and found nothing. */
  private idleRequests = 0;
  private readonly idleWaiters: { request: number; resolve: () => void }[] = [];

  constructor(private readonly opts: OutputQueueOptions) {}

  get name(): string {
    return this.opts.output.name;
  }

  /** Room left under queueSize; what does not fit is dead-lettered by the caller. */
  get room(): number {
    return Math.max(0, this.opts.queueSize - this.depth);
  }

  get queueSize(): number {
    return this.opts.queueSize;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** New rows are committed (or may be): look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    const wake = this.wakeSleeper;
    this.wakeSleeper = undefined;
    wake?.();
  }

  /** Resolves once a look at the outbox finds nothing left for this output (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const request = ++this.idleRequests;
    const done = new Promise<void>((resolve) => this.idleWaiters.push({ request, resolve }));
    this.wake();
    return done;
  }

  /** Stops after the send in flight; rows not delivered stay in the outbox for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    await this.running;
    for (const w of this.idleWaiters.splice(0)) w.resolve();
    await this.opts.output.close?.();
  }

  private async loop(): Promise<void> {
    const { outbox, output, owner } = this.opts;
    const pollMs = this.opts.pollMs ?? 1000;
    while (!this.closing) {
      const requestsSeen = this.idleRequests;
      let rows: OutboxEntry[];
      try {
        rows = await outbox.claim(output.name, owner, Math.max(output.batchSize, CLAIM_WINDOW), LEASE_MS);
      } catch (err) {
        this.opts.onError(err, `reading the outbox of output ${output.name}`);
        await this.sleep(pollMs);
        continue;
      }
      if (rows.length === 0) {
        this.depth = 0;
        this.settleIdle(requestsSeen);
        await this.sleep(pollMs);
        continue;
      }
      const now = Date.now();
      const due = rows.filter((r) => Date.parse(r.nextAttemptAt) <= now);
      if (due.length === 0) {
        // The head of the line waits for its retry; later rows wait behind it, as in a queue.
        await this.sleep(Math.min(...rows.map((r) => Date.parse(r.nextAttemptAt))) - now);
        continue;
      }
      await this.deliver(due);
    }
  }

  private settleIdle(requestsSeen: number): void {
    for (let i = this.idleWaiters.length - 1; i >= 0; i--) {
      const w = this.idleWaiters[i];
      if (w && w.request <= requestsSeen) {
        this.idleWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Sends one output batch; resolves with the alerts that failed (by index into the batch). */
  private async send(batch: OutboxEntry[]): Promise<DeliveryFailure[]> {
    try {
      return await this.opts.output.send(
        batch.map((e) => toDocument(e.alert as unknown as OutputAlert, this.opts.customFields)),
      );
    } catch (err) {
      const retryable = err instanceof HttpDeliveryError ? err.retryable : true;
      return batch.map((_e, index) => ({ index, error: (err as Error).message, retryable }));
    }
  }

  /**
   * Sends the claimed rows batchSize at a time, in order, stopping at the first batch that is to
   * be retried (what comes after it waits its turn), then records the outcome in the outbox.
   */
  private async deliver(entries: OutboxEntry[]): Promise<void> {
    const { output, counters, retry, outbox } = this.opts;
    const label = { output: output.name };
    type Failed = { entry: OutboxEntry; error: string; attempts: number };
    const delivered: OutboxEntry[] = [];
    const dead: Failed[] = [];
    const again: Failed[] = [];
    for (let i = 0; i < entries.length && again.length === 0 && !this.closing; i += output.batchSize) {
      const batch = entries.slice(i, i + output.batchSize);
      const failures = await this.send(batch);
      const failed = new Map(failures.map((f) => [f.index, f]));
      for (const [index, entry] of batch.entries()) {
        const f = failed.get(index);
        if (!f) {
          delivered.push(entry);
          continue;
        }
        const attempts = entry.attempts + 1;
        (f.retryable && attempts < retry.attempts ? again : dead).push({ entry, error: f.error, attempts });
      }
      counters.sent.inc(label, batch.length - failed.size);
      if (failed.size > 0) counters.failed.inc(label, failed.size);
    }
    try {
      // A crash before this delete delivers these again after the restart: at least once.
      await outbox.remove(delivered.map((e) => e.id));
      this.depth = Math.max(0, this.depth - delivered.length);
      if (again.length > 0) {
        // One retry time for the whole batch, so it is sent again as one batch.
        const delay = backoffDelay(retry, Math.max(...again.map((a) => a.attempts)), this.opts.random);
        const at = new Date(Date.now() + delay).toISOString();
        await outbox.reschedule(
          again.map((a) => ({ id: a.entry.id, attempts: a.attempts, error: a.error })),
          at,
        );
      }
      if (dead.length > 0) {
        await outbox.deadLetter(dead);
        counters.deadLetter.inc(label, dead.length);
        this.depth = Math.max(0, this.depth - dead.length);
      }
    } catch (err) {
      this.opts.onError(err, `recording deliveries of output ${output.name}`);
      await this.sleep(this.opts.pollMs ?? 1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
      // Unref'd: a waiting delivery loop alone never keeps the process alive.
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      this.wakeSleeper = done;
    });
  }
}
