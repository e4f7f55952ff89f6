import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc5424 } from './__fixtures__/receivers.js';
import { toOutputAlert } from './alert-dispatcher.js';
import { bulkBody } from './elasticsearch-output.js';
import { meetsMinPriority, toDocument } from './output.js';
import { slackPayload } from './slack-output.js';
import { formatSyslogMessage } from './syslog-output.js';

describe('toOutputAlert', () => {
  it('takes the container from the event, else from Falco output fields', () => {
    const base = { id: 'e', ts: '2026-11-27T00:00:00Z', type: 'open', rule: 'r', priority: 'Error' };
    expect(toOutputAlert('t', null, { ...base, container: { id: 'c1', name: 'web' } }).container).toEqual({
      id: 'c1',
      name: 'web',
    });
    expect(
      toOutputAlert('t', 'a', {
        ...base,
        output_fields: { 'container.id': 'c2', 'container.image.repository': 'nginx' },
      }).container,
    ).toEqual({ id: 'c2', image: 'nginx' });
    expect(toOutputAlert('t', null, { ...base, output_fields: { 'container.id': 'host' } }).container).toBeNull();
  });

  it('filters by Falco priority order, case-insensitively', () => {
    expect(meetsMinPriority('Critical', 'Warning')).toBe(true);
    expect(meetsMinPriority('warning', 'Warning')).toBe(true);
    expect(meetsMinPriority('Notice', 'Warning')).toBe(false);
    expect(meetsMinPriority('made-up', 'Informational')).toBe(false);
    expect(meetsMinPriority('made-up', 'Debug')).toBe(true);
  });

  it('turns any ingested alert into payloads every output can format', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 256 }),
          ts: fc.string({ minLength: 1, maxLength: 256 }),
          type: fc.string({ minLength: 1 }),
          rule: fc.string(),
          priority: fc.string(),
          output: fc.string(),
          host: fc.option(fc.string(), { nil: undefined }),
          tags: fc.jsonValue(),
          output_fields: fc.jsonValue(),
          container: fc.jsonValue(),
        }),
        fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
        (event, custom) => {
          const doc = toDocument(toOutputAlert('tenant', null, event), custom);
          expect(doc.uuid).toBe(event.id);
          expect(JSON.stringify(slackPayload(doc, custom))).toContain('blocks');
          expect(bulkBody([doc], 'palisade-%Y.%m.%d').split('\n')).toHaveLength(3);
          const m = formatSyslogMessage(doc, {
            facility: 16,
            appName: 'palisade',
            maxBytes: 2048,
            customFields: custom,
          });
          expect(m.length).toBeLessThanOrEqual(2048);
          expect(parseRfc5424(m).version).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
