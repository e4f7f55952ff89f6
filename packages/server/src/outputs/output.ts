// The seam every alert destination implements (webhook, Slack, Elasticsearch, syslog), the alert
// shape the dispatcher hands them, and the Falco priority order used for minimum-priority filters.

import { RULE_PRIORITIES, type RulePriority } from '@palisade/core';

/** A stored alert as the outputs see it: Falco's JSON alert plus Palisade's ids. */
export interface OutputAlert {
  /** The sender's event id (unique within the tenant). */
  uuid: string;
  tenant: string;
  agent: string | null;
  time: string;
  rule: string;
  priority: string;
  output: string;
  hostname: string | null;
  source: string | null;
  tags: string[];
  output_fields: Record<string, unknown>;
  container: { id?: string; name?: string; image?: string } | null;
}

/** What an output sends: the alert with the output's custom fields merged in at the top level. */
export type AlertDocument = Record<string, unknown> & OutputAlert;

/** One alert an output could not deliver; `retryable: false` goes straight to the dead letters. */
export interface DeliveryFailure {
  index: number;
  error: string;
  retryable: boolean;
}

export interface Output {
  readonly name: string;
  readonly type: string;
  /** How many alerts one send() takes (Elasticsearch bulk: many; the others: one). */
  readonly batchSize: number;
  /**
   * Delivers a batch; resolves with the alerts that failed (by index into the batch). Throwing
   * means the whole batch failed and may be retried.
   */
  send(batch: readonly AlertDocument[]): Promise<DeliveryFailure[]>;
  close?(): Promise<void>;
}

/** Falco's order, most severe first; an unknown priority ranks as Debug (least severe). */
export function priorityRank(priority: string): number {
  const i = RULE_PRIORITIES.findIndex((p) => p.toLowerCase() === priority.toLowerCase());
  return i < 0 ? RULE_PRIORITIES.length - 1 : i;
}

export function meetsMinPriority(priority: string, min: RulePriority): boolean {
  return priorityRank(priority) <= priorityRank(min);
}

/** Merges custom fields under the alert's own: a custom field never overwrites alert data. */
export function toDocument(alert: OutputAlert, customFields: Record<string, unknown>): AlertDocument {
  return { ...customFields, ...alert };
}

/** Retry on network errors, timeouts, 408, 429 and 5xx; other HTTP statuses will not get better. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** An HTTP failure, with whether trying again could help. */
export class HttpDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'HttpDeliveryError';
  }
}

/** POSTs a body; throws HttpDeliveryError unless the answer is 2xx. Returns the response text. */
export async function postOrThrow(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new HttpDeliveryError(`POST ${redactUrl(url)} failed: ${(err as Error).message}${cause}`, true);
  }
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) {
    throw new HttpDeliveryError(
      `POST ${redactUrl(url)} answered ${res.status}: ${text.slice(0, 300)}`,
      isRetryableStatus(res.status),
    );
  }
  return text;
}

/** Webhook URLs (Slack's above all) carry their secret in the path: errors show the origin only. */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

/** One alert per request: a thrown error fails it (retryable as the error says). */
export async function sendOneByOne(
  batch: readonly AlertDocument[],
  deliver: (doc: AlertDocument) => Promise<void>,
): Promise<DeliveryFailure[]> {
  const failures: DeliveryFailure[] = [];
  for (let i = 0; i < batch.length; i++) {
    try {
      await deliver(batch[i] as AlertDocument);
    } catch (err) {
      failures.push({
        index: i,
        error: (err as Error).message,
        retryable: err instanceof HttpDeliveryError ? err.retryable : true,
      });
    }
  }
  return failures;
}
