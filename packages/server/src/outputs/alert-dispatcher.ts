// Hands each newly stored alert to every configured output whose minimum priority it meets, one
// queue per output, and counts sent / failed / dead-lettered deliveries in the app's registry.

import type { DeadLetter, DeadLetterRepository, IncomingEvent } from '@palisade/store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { meetsMinPriority, type OutputAlert } from './output.js';
import { OutputQueue } from './output-queue.js';
import type { ConfiguredOutput } from './outputs-config.js';

export interface AlertDispatcherOptions {
  outputs: readonly ConfiguredOutput[];
  deadLetters: DeadLetterRepository;
  registry: Registry;
  /** Where a delivery that could not even be dead-lettered is reported. */
  log: { error(obj: object, msg: string): void };
  random?: () => number;
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

  constructor(opts: AlertDispatcherOptions) {
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
        help: 'Alerts written to the dead-letter table after retries ran out (or the queue was full)',
        labelNames: ['output'],
        registers,
      }),
    };
    for (const config of opts.outputs) {
      const queue = new OutputQueue({
        output: config.output,
        customFields: config.customFields,
        retry: config.retry,
        queueSize: config.queueSize,
        deadLetters: opts.deadLetters,
        counters,
        random: opts.random,
        onLost: (err, alerts, reason) =>
          opts.log.error(
            { err, output: config.output.name, alerts: alerts.map((a) => `${a.tenant}/${a.uuid}`), reason },
            'alert delivery failed and the dead-letter write failed too: these alerts were not delivered',
          ),
      });
      this.queues.set(config.output.name, { queue, config });
      // Zero the counters so every output shows up in /metrics before its first delivery.
      for (const c of Object.values(counters)) c.inc({ output: config.output.name }, 0);
    }
    const queues = this.queues;
    new Gauge({
      name: 'palisade_output_queue_depth',
      help: 'Alerts waiting in memory per output',
      labelNames: ['output'],
      registers,
      collect() {
        for (const [name, { queue }] of queues) this.set({ output: name }, queue.depth);
      },
    });
  }

  get outputNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Queues alerts (already stored) for every output whose minimum priority they meet. */
  dispatch(alerts: readonly OutputAlert[]): void {
    if (alerts.length === 0) return;
    for (const { queue, config } of this.queues.values()) {
      const wanted = alerts.filter((a) => meetsMinPriority(a.priority, config.minPriority));
      if (wanted.length > 0) queue.enqueue(wanted);
    }
  }

  /** Queues a dead letter's alert on its output again; false if that output is not configured. */
  retry(letter: DeadLetter): boolean {
    const entry = this.queues.get(letter.output);
    if (!entry) return false;
    entry.queue.enqueue([letter.alert as unknown as OutputAlert]);
    return true;
  }

  has(output: string): boolean {
    return this.queues.has(output);
  }

  /** Resolves when every queue is empty and nothing is in flight (tests, graceful close). */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map(({ queue }) => queue.idle()));
  }

  /** Stops retrying: undelivered alerts go to the dead letters, then outputs close. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map(({ queue }) => queue.close()));
  }
}
