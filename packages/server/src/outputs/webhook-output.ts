// Webhook output: one alert per POST as JSON, signed with HMAC-SHA256 of the raw body. The body
// carries `delivered_at` (also sent as a header) so the signature covers it and stops replays; the
// alert id header stays the same across redeliveries, for receivers that deduplicate.

import { createHmac } from 'node:crypto';
import { type AlertDocument, type Output, postOrThrow, sendOneByOne } from './output.js';

export interface WebhookOutputOptions {
  name: string;
  url: string;
  /** Shared secret for X-Palisade-Signature; unsigned without one. */
  secret?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Clock for delivered_at (tests). */
  now?: () => number;
}

export const SIGNATURE_HEADER = 'x-palisade-signature';
export const TIMESTAMP_HEADER = 'x-palisade-timestamp';
/** `<tenant>:<uuid>`: the alert's stable id (delivery is at least once across a crash). */
export const ALERT_ID_HEADER = 'x-palisade-alert-id';

/** `sha256=<hex HMAC-SHA256 of body>`: what the receiver recomputes with the shared secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookOutput(opts: WebhookOutputOptions): Output {
  const now = opts.now ?? Date.now;
  return {
    name: opts.name,
    type: 'webhook',
    batchSize: 1,
    send: (batch) =>
      sendOneByOne(batch, async (doc: AlertDocument) => {
        const deliveredAt = Math.floor(now() / 1000);
        const body = JSON.stringify({ ...doc, delivered_at: deliveredAt });
        const headers: Record<string, string> = {
          ...opts.headers,
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(deliveredAt),
          [ALERT_ID_HEADER]: `${doc.tenant}:${doc.uuid}`,
        };
        if (opts.secret) headers[SIGNATURE_HEADER] = signBody(opts.secret, body);
        await postOrThrow(opts.url, body, headers, opts.timeoutMs ?? 10_000);
      }),
  };
}
