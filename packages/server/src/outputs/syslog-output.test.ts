import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc5424 } from './__fixtures__/receivers.js';
import type { AlertDocument } from './output.js';
import { formatSyslogMessage, octetCountingFrame, syslogSeverity, truncateUtf8 } from './syslog-output.js';

const doc = (over: Partial<AlertDocument> = {}): AlertDocument => ({
  uuid: 'a1',
  tenant: 't1',
  agent: null,
  time: '2026-11-27T03:40:00.5Z',
  rule: 'Write below etc',
  priority: 'Error',
  output: 'File below /etc opened for writing',
  hostname: 'db-1',
  source: 'syscall',
  tags: [],
  output_fields: {},
  container: null,
  ...over,
});

const FORMAT = { facility: 16, appName: 'palisade', maxBytes: 2048, customFields: {} };

describe('syslog formatting', () => {
  it('maps Falco priorities onto syslog severities', () => {
    expect(
      ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'].map(syslogSeverity),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(syslogSeverity('whatever')).toBe(7);
  });

  it('writes the header, structured data with escapes, and the message after a BOM', () => {
    const m = formatSyslogMessage(doc({ rule: 'a "quoted" [rule] \\ x', hostname: 'host with space' }), FORMAT);
    expect(m.toString('utf8')).toMatch(
      /^<131>1 2026-11-27T03:40:00\.500Z hostwithspace palisade - alert \[palisade@32473 rule="a \\"quoted\\" \[rule\\] \\\\ x" /,
    );
    const parsed = parseRfc5424(m);
    expect(parsed.sd['palisade@32473']?.rule).toBe('a "quoted" [rule] \\ x');
    expect(parsed.msg).toBe('File below /etc opened for writing');
  });

  it('frames with the byte length, not the character length', () => {
    const m = Buffer.from('<1>1 - - - - - - é');
    expect(octetCountingFrame(m).toString('utf8')).toBe(`${m.length} <1>1 - - - - - - é`);
  });

  it('cuts any message to the limit on a character boundary and keeps it parseable', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 3000 }),
        fc.string({ maxLength: 400 }),
        fc.integer({ min: 480, max: 4096 }),
        (output, rule, maxBytes) => {
          const m = formatSyslogMessage(doc({ output, rule }), { ...FORMAT, maxBytes });
          expect(m.length).toBeLessThanOrEqual(maxBytes);
          const parsed = parseRfc5424(m);
          expect(output.startsWith(parsed.msg)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('truncateUtf8 never splits a character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(64), (s, max) => {
        const cut = truncateUtf8(Buffer.from(s), max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(s.startsWith(new TextDecoder('utf-8', { fatal: true }).decode(cut))).toBe(true);
      }),
    );
  });
});
