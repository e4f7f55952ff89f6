// Elasticsearch/OpenSearch output: alerts indexed through the bulk API (NDJSON action + source
// pairs) into a dated index; the per-item results decide which alerts are retried.

import {
  type AlertDocument,
  type DeliveryFailure,
  HttpDeliveryError,
  isRetryableStatus,
  type Output,
  postOrThrow,
} from './output.js';

export interface ElasticsearchOutputOptions {
  name: string;
  /** Base URL of the cluster, e.g. http://localhost:9200 (the output POSTs to <url>/_bulk). */
  url: string;
  /** Index name; %Y %m %d %H are replaced from the alert's time (UTC). Default palisade-alerts-%Y.%m.%d. */
  index?: string;
  username?: string;
  password?: string;
  /** Elasticsearch API key (the base64 "id:key" form): sent as `Authorization: ApiKey …`. */
  apiKey?: string;
  batchSize?: number;
  timeoutMs?: number;
}

export const DEFAULT_INDEX_PATTERN = 'palisade-alerts-%Y.%m.%d';

/** Expands %Y %m %d %H with the alert's UTC time (now when the time does not parse). */
export function indexName(pattern: string, time: string): string {
  let d = new Date(time);
  if (Number.isNaN(d.getTime())) d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return pattern.replace(/%([YmdH%])/g, (_m, c: string) => {
    switch (c) {
      case 'Y':
        return String(d.getUTCFullYear());
      case 'm':
        return pad(d.getUTCMonth() + 1);
      case 'd':
        return pad(d.getUTCDate());
      case 'H':
        return pad(d.getUTCHours());
      default:
        return '%';
    }
  });
}

/** The bulk body: an `index` action (with a stable _id, so a retried item never duplicates) then the document. */
export function bulkBody(batch: readonly AlertDocument[], pattern: string): string {
  let body = '';
  for (const doc of batch) {
    const action = { index: { _index: indexName(pattern, doc.time), _id: `${doc.tenant}:${doc.uuid}` } };
    body += `${JSON.stringify(action)}\n${JSON.stringify({ ...doc, '@timestamp': doc.time })}\n`;
  }
  return body;
}

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string } | string;
}

/** Reads the bulk response: one failure per item whose status is not 2xx. */
export function bulkFailures(responseText: string, batchLength: number): DeliveryFailure[] {
  let parsed: { errors?: boolean; items?: Record<string, BulkItemResult>[] };
  try {
    parsed = JSON.parse(responseText) as typeof parsed;
  } catch {
    throw new HttpDeliveryError('bulk response is not JSON', true);
  }
  if (!parsed || typeof parsed !== 'object') throw new HttpDeliveryError('bulk response is not a JSON object', true);
  if (!Array.isArray(parsed.items) || parsed.items.length !== batchLength) {
    throw new HttpDeliveryError(
      `bulk response has ${Array.isArray(parsed.items) ? parsed.items.length : 'no'} items for ${batchLength} actions`,
      true,
    );
  }
  if (parsed.errors === false) return [];
  const failures: DeliveryFailure[] = [];
  parsed.items.forEach((item, index) => {
    const first = item && typeof item === 'object' ? Object.values(item)[0] : undefined;
    const result = first && typeof first === 'object' ? first : undefined;
    const status = typeof result?.status === 'number' ? result.status : 0;
    if (status >= 200 && status <= 299) return;
    const e = result?.error;
    const reason = typeof e === 'string' ? e : e ? `${e.type ?? 'error'}: ${e.reason ?? ''}` : 'no status';
    failures.push({
      index,
      error: `bulk item ${status}: ${reason}`,
      retryable: status === 0 || isRetryableStatus(status),
    });
  });
  return failures;
}

export function elasticsearchOutput(opts: ElasticsearchOutputOptions): Output {
  const pattern = opts.index ?? DEFAULT_INDEX_PATTERN;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (opts.apiKey) headers.authorization = `ApiKey ${opts.apiKey}`;
  else if (opts.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }
  const bulkUrl = `${opts.url.replace(/\/+$/, '')}/_bulk`;
  return {
    name: opts.name,
    type: 'elasticsearch',
    batchSize: opts.batchSize ?? 500,
    async send(batch) {
      const text = await postOrThrow(bulkUrl, bulkBody(batch, pattern), headers, opts.timeoutMs ?? 30_000);
      return bulkFailures(text, batch.length);
    },
  };
}
