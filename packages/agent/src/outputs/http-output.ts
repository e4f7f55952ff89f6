// Alerts POSTed to an HTTP endpoint. The default body is what Falco's http_output sends and
// falcosidekick reads: one Falco JSON alert per request (with `uuid`); `batch` sends NDJSON instead.

import type { AgentLogger } from '../agent-log.js';
import { idToUuid } from '../alert-id.js';
import type { AlertOutput, AlertRecord } from './alert-output.js';

export interface HttpOutputOptions {
  url: string;
  /** 'falcosidekick' (default): one alert per request; 'ndjson': up to batchSize alerts per request. */
  mode?: 'falcosidekick' | 'ndjson';
  batchSize?: number;
  headers?: Record<string, string>;
  /** Attempts per request before the alerts are dropped (and counted); default 3. */
  attempts?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  /** Alerts held in memory while the endpoint is slow; beyond it the oldest are dropped. */
  maxPending?: number;
  log?: AgentLogger;
}

/** The falcosidekick input: Falco's alert JSON plus a uuid. */
export function falcosidekickBody(rec: AlertRecord): string {
  return JSON.stringify({ uuid: idToUuid(rec.id), ...rec.alert });
}

export function httpOutput(opts: HttpOutputOptions): AlertOutput {
  const mode = opts.mode ?? 'falcosidekick';
  const batchSize = mode === 'ndjson' ? (opts.batchSize ?? 500) : 1;
  const attempts = opts.attempts ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxPending = opts.maxPending ?? 10_000;
  const pending: AlertRecord[] = [];
  let sent = 0;
  let dropped = 0;
  let failures = 0;
  let pump: Promise<void> | undefined;
  let closing = false;

  const post = async (batch: AlertRecord[]): Promise<boolean> => {
    const body =
      mode === 'ndjson' ? batch.map((r) => JSON.stringify(r.alert)).join('\n') : falcosidekickBody(batch[0]!);
    const headers = {
      'content-type': mode === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      ...opts.headers,
    };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(opts.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        if (res.ok) return true;
        // 4xx other than 408/429 will not get better by retrying.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) {
          opts.log?.('warn', `HTTP output ${opts.url}: HTTP ${res.status}, ${batch.length} alert(s) dropped`);
          return false;
        }
      } catch (err) {
        if (attempt === attempts)
          opts.log?.('warn', `HTTP output ${opts.url}: ${(err as Error).message}, ${batch.length} alert(s) dropped`);
      }
      if (attempt < attempts && !closing) await new Promise((r) => setTimeout(r, retryDelayMs * attempt));
    }
    return false;
  };

  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.splice(0, batchSize);
      if (await post(batch)) sent += batch.length;
      else {
        failures++;
        dropped += batch.length;
      }
    }
    pump = undefined;
  };

  return {
    name: `http:${opts.url}`,
    write(batch) {
      pending.push(...batch);
      if (pending.length > maxPending) dropped += pending.splice(0, pending.length - maxPending).length;
      // Sending runs beside the pipeline: a slow endpoint must not hold up detection or other outputs.
      pump ??= drain();
    },
    stats: () => ({ httpAlertsSent: sent, httpAlertsDropped: dropped, httpFailures: failures }),
    async close() {
      closing = true;
      await pump;
    },
  };
}
