import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bulkFailures, indexName } from './elasticsearch-output.js';
import { HttpDeliveryError } from './output.js';

describe('indexName', () => {
  it('fills the date pattern from the alert time in UTC', () => {
    expect(indexName('palisade-alerts-%Y.%m.%d', '2026-01-02T23:59:59.999999999Z')).toBe('palisade-alerts-2026.01.02');
    expect(indexName('a-%Y%m%d%H-100%%', '2026-11-27T03:40:00+02:00')).toBe('a-2026112701-100%');
  });
});

describe('bulkFailures', () => {
  it('reports only the items that failed, retryable for 429 and 5xx', () => {
    const res = JSON.stringify({
      errors: true,
      items: [
        { index: { status: 201 } },
        { index: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
        { create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad field' } } },
        { index: { status: 503, error: 'unavailable' } },
      ],
    });
    expect(bulkFailures(res, 4)).toEqual([
      { index: 1, error: 'bulk item 429: es_rejected_execution_exception: queue full', retryable: true },
      { index: 2, error: 'bulk item 400: mapper_parsing_exception: bad field', retryable: false },
      { index: 3, error: 'bulk item 503: unavailable', retryable: true },
    ]);
    expect(bulkFailures('{"errors":false,"items":[{"index":{"status":201}}]}', 1)).toEqual([]);
  });

  it('treats a response that does not answer every item as a retryable failure of the request', () => {
    expect(() => bulkFailures('{"errors":false,"items":[]}', 2)).toThrow(HttpDeliveryError);
    expect(() => bulkFailures('<html>', 1)).toThrow('bulk response is not JSON');
  });

  it('either returns failures within the batch or throws HttpDeliveryError, for any response', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .array(fc.oneof(fc.jsonValue(), fc.record({ index: fc.record({ status: fc.jsonValue() }) })), {
              maxLength: 5,
            })
            .map((items) => JSON.stringify({ errors: true, items })),
        ),
        fc.integer({ min: 1, max: 5 }),
        (text, n) => {
          try {
            for (const f of bulkFailures(text, n)) {
              expect(f.index).toBeGreaterThanOrEqual(0);
              expect(f.index).toBeLessThan(n);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(HttpDeliveryError);
          }
        },
      ),
    );
  });
});
