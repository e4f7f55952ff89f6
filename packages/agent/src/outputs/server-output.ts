// Alerts and inventory to the Palisade server through the disk queue: enqueue durably, send NDJSON
// batches to POST /api/v1/events with retries and backoff, delete only after a 2xx.

import type { AgentLogger } from '../agent-log.js';
import { DiskQueue } from '../disk-queue.js';
import type { AlertOutput, AlertRecord } from './alert-output.js';

export interface ServerOutputOptions {
  /** Server base URL, e.g. https://palisade.example:8470 (the API lives under /api/v1). */
  url: string;
  token: string;
  queueDir: string;
  /** Sent as ?agentId= so the server ties events to the registered agent. */
  agentId?: string;
  batchSize?: number;
  /** First retry delay; doubles per failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  /** How long close() keeps trying to empty the queue before leaving the rest for the next start. */
  closeTimeoutMs?: number;
  log?: AgentLogger;
}

/** What the server ingests: `id` (idempotency key), `ts`, `type`, and the alert's fields flat. */
export function alertEventLine(rec: AlertRecord): string {
  const a = rec.alert;
  return JSON.stringify({ id: rec.id, ts: a.time, type: 'alert', host: a.hostname, ...a });
}

export interface ServerOutput extends AlertOutput {
  /** Queues any other record the server ingests (inventory): must carry id, ts and type. */
  enqueueRecord(record: { id: string; ts: string; type: string; [k: string]: unknown }): void;
  /** Resolves once the queue is empty (or rejects after timeoutMs). For tests and shutdown. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function serverOutput(opts: ServerOutputOptions): ServerOutput {
  const queue = new DiskQueue(opts.queueDir);
  const endpoint = `${opts.url.replace(/\/+$/, '')}/api/v1/events${opts.agentId ? `?agentId=${encodeURIComponent(opts.agentId)}` : ''}`;
  const batchSize = opts.batchSize ?? 500;
  const baseBackoff = opts.backoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let backoff = 0;
  let sent = 0;
  let failures = 0;
  let rejected = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const drainWaiters: (() => void)[] = [];

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const nudge = (): void => {
    if (backoff === 0) wake?.();
  };

  /** One batch: true when the server took it (or refused it for good), false to retry later. */
  const sendBatch = async (): Promise<boolean> => {
    const rows = queue.head(batchSize);
    if (rows.length === 0) return true;
    const last = rows[rows.length - 1]!.seq;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/x-ndjson' },
        body: rows.map((r) => r.body).join('\n'),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (res.ok) {
        queue.ack(last);
        sent += rows.length;
        return true;
      }
      if (res.status === 400 || res.status === 413) {
        // The server will never take this batch as it is; keeping it would block everything behind it.
        opts.log?.(
          'error',
          `server ${endpoint} refused ${rows.length} record(s) (HTTP ${res.status}): ${text.slice(0, 200)}`,
        );
        queue.ack(last);
        rejected += rows.length;
        return true;
      }
      opts.log?.('warn', `server ${endpoint}: HTTP ${res.status}; ${queue.depth()} record(s) kept queued`);
    } catch (err) {
      opts.log?.(
        'warn',
        `server ${endpoint} unreachable (${(err as Error).message}); ${queue.depth()} record(s) kept queued`,
      );
    }
    failures++;
    return false;
  };

  const loop = async (): Promise<void> => {
    while (!closed) {
      if (queue.depth() === 0) {
        for (const w of drainWaiters.splice(0)) w();
        await sleep(1000);
        continue;
      }
      if (await sendBatch()) {
        backoff = 0;
        continue;
      }
      backoff = backoff === 0 ? baseBackoff : Math.min(maxBackoff, backoff * 2);
      // Jitter keeps a fleet of agents from retrying in lockstep after a server restart.
      await sleep(backoff * (0.75 + Math.random() * 0.5));
    }
  };
  const running = loop();

  return {
    name: `server:${opts.url}`,
    write(batch) {
      if (batch.length === 0) return;
      queue.enqueue(batch.map((rec) => ({ id: rec.id, body: alertEventLine(rec) })));
      nudge();
    },
    enqueueRecord(record) {
      queue.enqueue([{ id: record.id, body: JSON.stringify(record) }]);
      nudge();
    },
    drained(ms) {
      if (queue.depth() === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        drainWaiters.push(() => {
          clearTimeout(t);
          resolve(true);
        });
        nudge();
      });
    },
    stats: () => ({ queueDepth: queue.depth(), serverSent: sent, serverFailures: failures, serverRejected: rejected }),
    async close() {
      closed = true;
      clearTimeout(timer);
      wake?.();
      await running;
      // Last chance to deliver (unless the server is already known to be down); whatever is left
      // stays on disk for the next start.
      if (backoff === 0) {
        const deadline = Date.now() + (opts.closeTimeoutMs ?? 5000);
        while (queue.depth() > 0 && Date.now() < deadline) if (!(await sendBatch())) break;
      }
      queue.close();
    },
  };
}
