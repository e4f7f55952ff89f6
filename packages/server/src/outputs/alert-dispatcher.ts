// Hands each newly stored alert to every configured output whose minimum priority it meets: the
// deliveries are outbox rows written in the alert's own transaction, then one loop per output
// delivers them. Counts sent / failed / dead-lettered deliveries in the app's registry.

import os from 'node:os';
import type { IncomingEvent, NewDeadLetter, NewOutboxEntry, OutboxRepository, OutboxWrite } from '@palisade/store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { meetsMinPriority, type OutputAlert } from './output.js';
import { OutputQueue } from './output-queue.js';
import type { ConfiguredOutput } from './outputs-config.js';

export interface AlertDispatcherOptions {
  outputs: readonly ConfiguredOutput[];
  outbox: OutboxRepository;
  registry: Registry;
  /** Where store errors met by the delivery loops are reported. */
  log: { error(obj: object, msg: string): void };
  /**
   * This server's name on the outbox rows it is delivering. After a crash, a server with the same
   * name takes its rows back at once; another server waits for the lease to run out. Default: the
   * host name, which a restarted server (or pod) keeps.
   */
  owner?: string;
  /** How often an idle delivery loop looks for rows another server wrote. Default 1 s. */
  pollMs?: number;
  random?: () => number;
}

/** The outbox side of one ingest: planned inside the insert's transaction, settled after it. */
export interface PlannedDelivery {
  /** Passed to insertBatch as `outbox`: the rows to write with the newly stored alerts. */
  plan(newAlerts: IncomingEvent[]): OutboxWrite;
  /** The transaction committed: wake the loops, count the overflow dead letters. */
  committed(): void;
  /** The transaction failed: give back the room reserved in the outputs' queues. */
  abandoned(): void;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The output view of an ingested event: Falco's alert fields, container from the event or its fields. */
export function toOutputAlert(tenantId: string, agentId: string | null, e: IncomingEvent): OutputAlert {
  const fields =
    e.output_fields && typeof e.output_fields === 'object' && !Array.isArray(e.output_fields)
      ? (e.output_fields as Record<string, unknown>)
      : {};
  const c = e.container && typeof e.container === 'object' ? (e.container as Record<string, unknown>) : {};
  const id = str(c.id) ?? str(fields['container.id']);
  const name = str(c.name) ?? str(fields['container.name']);
  const image = str(c.image) ?? str(fields['container.image.repository']) ?? str(fields['container.image']);
  const container = id && id !== 'host' ? { id, ...(name ? { name } : {}), ...(image ? { image } : {}) } : null;
  return {
    uuid: e.id,
    tenant: tenantId,
    agent: agentId,
    time: e.ts,
    rule: e.rule ?? '',
    priority: e.priority ?? 'Debug',
    output: e.output ?? '',
    hostname: e.host ?? str(e.hostname) ?? null,
    source: str(e.source) ?? null,
    tags: Array.isArray(e.tags) ? e.tags.filter((t): t is string => typeof t === 'string') : [],
    output_fields: fields,
    container,
  };
}

export class AlertDispatcher {
  private readonly queues = new Map<string, { queue: OutputQueue; config: ConfiguredOutput }>();
  private readonly counters: { sent: Counter<'output'>; failed: Counter<'output'>; deadLetter: Counter<'output'> };
  private readonly started: Promise<void>;

  constructor(private readonly opts: AlertDispatcherOptions) {
    const registers = [opts.registry];
    const counters = {
      sent: new Counter({
        name: 'palisade_output_sent_total',
        help: 'Alerts an output delivered',
        labelNames: ['output'],
        registers,
      }),
      failed: new Counter({
        name: 'palisade_output_failed_total',
        help: 'Failed delivery attempts (each retry counts)',
        labelNames: ['output'],
        registers,
      }),
      deadLetter: new Counter({
        name: 'palisade_output_dead_letter_total',
        help: 'Alerts written to the dead-letter table after retries ran out (or the outbox was full)',
        labelNames: ['output'],
        registers,
      }),
    };
    this.counters = counters;
    const owner = opts.owner ?? os.hostname();
    for (const config of opts.outputs) {
      const queue = new OutputQueue({
        output: config.output,
        customFields: config.customFields,
        retry: config.retry,
        queueSize: config.queueSize,
        outbox: opts.outbox,
        owner,
        counters,
        pollMs: opts.pollMs,
        random: opts.random,
        onError: (err, what) =>
          opts.log.error({ err, output: config.output.name }, `${what} failed; the alerts stay in the outbox`),
      });
      this.queues.set(config.output.name, { queue, config });
      // Zero the counters so every output shows up in /metrics before its first delivery.
      for (const c of Object.values(counters)) c.inc({ output: config.output.name }, 0);
    }
    const queues = this.queues;
    new Gauge({
      name: 'palisade_output_queue_depth',
      help: 'Alerts waiting in the outbox per output',
      labelNames: ['output'],
      registers,
      collect() {
        for (const [name, { queue }] of queues) this.set({ output: name }, queue.depth);
      },
    });
    // Rows left by an earlier run are delivered first: they are older.
    this.started = this.start(owner);
  }

  private async start(owner: string): Promise<void> {
    try {
      await this.deadLetterUnconfigured();
      const depths = await this.opts.outbox.depths();
      for (const [name, { queue }] of this.queues) queue.depth = depths.get(name) ?? 0;
    } catch (err) {
      this.opts.log.error({ err, owner }, 'reading the outbox depths failed; the delivery loops start anyway');
    }
    for (const { queue } of this.queues.values()) queue.start();
  }

  /**
   * Outbox rows of outputs this server does not have (removed from the outputs file) would wait
   * for ever unseen: they go to the dead letters, where admins see them.
   */
  private async deadLetterUnconfigured(): Promise<void> {
    const { outbox } = this.opts;
    for (;;) {
      const orphans = await outbox.listOthers(this.outputNames, 500);
      if (orphans.length === 0) return;
      await outbox.deadLetter(
        orphans.map((entry) => ({
          entry,
          error: `output "${entry.output}" is not configured on this server`,
          attempts: entry.attempts,
        })),
      );
      for (const entry of orphans) this.counters.deadLetter.inc({ output: entry.output });
    }
  }

  get outputNames(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Plans the outbox rows of one ingest for `tenantId`: each new alert for every output whose
   * minimum priority it meets, or a dead letter when that output already has queueSize waiting.
   */
  newDelivery(tenantId: string, agentId: string | null): PlannedDelivery {
    const reserved = new Map<OutputQueue, number>();
    const overflow = new Map<string, number>();
    let woken = false;
    return {
      plan: (newAlerts) => {
        const deliveries: NewOutboxEntry[] = [];
        const deadLetters: NewDeadLetter[] = [];
        const alerts = newAlerts.map((e) => toOutputAlert(tenantId, agentId, e));
        for (const { queue, config } of this.queues.values()) {
          const wanted = alerts.filter((a) => meetsMinPriority(a.priority, config.minPriority));
          if (wanted.length === 0) continue;
          const taken = wanted.slice(0, queue.room);
          queue.depth += taken.length;
          reserved.set(queue, (reserved.get(queue) ?? 0) + taken.length);
          for (const alert of taken) {
            deliveries.push({ output: queue.name, tenantId, alertId: alert.uuid, alert: { ...alert } });
          }
          const rest = wanted.slice(taken.length);
          if (rest.length > 0) overflow.set(queue.name, (overflow.get(queue.name) ?? 0) + rest.length);
          for (const alert of rest) {
            deadLetters.push({
              tenantId,
              output: queue.name,
              alertId: alert.uuid,
              alert: { ...alert },
              error: `outbox full (${queue.queueSize} alerts waiting)`,
              attempts: 0,
            });
          }
        }
        woken = deliveries.length > 0;
        return { deliveries, deadLetters };
      },
      committed: () => {
        for (const [output, n] of overflow) this.counters.deadLetter.inc({ output }, n);
        if (woken) for (const queue of reserved.keys()) queue.wake();
      },
      abandoned: () => {
        for (const [queue, n] of reserved) queue.depth = Math.max(0, queue.depth - n);
      },
    };
  }

  /** A dead letter of `output` went back into the outbox: deliver it soon. */
  requeued(output: string): void {
    const entry = this.queues.get(output);
    if (!entry) return;
    entry.queue.depth++;
    entry.queue.wake();
  }

  has(output: string): boolean {
    return this.queues.has(output);
  }

  /** Resolves when no output has anything left in the outbox (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.started;
    await Promise.all([...this.queues.values()].map(({ queue }) => queue.idle()));
  }

  /**
   * Stops the loops after the sends in flight. Undelivered alerts stay in the outbox, and this
   * server's leases are given up so another server can go on at once; a restart resumes them.
   */
  async close(): Promise<void> {
    await this.started;
    await Promise.all([...this.queues.values()].map(({ queue }) => queue.close()));
    try {
      await this.opts.outbox.release(this.opts.owner ?? os.hostname());
    } catch (err) {
      this.opts.log.error({ err }, 'releasing the outbox leases failed; they run out by themselves');
    }
  }
}
