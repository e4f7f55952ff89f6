import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowLogRecord } from '../flows/flow-collector.js';
import { parseFlowLog } from './flow-log.js';

const record: FlowLogRecord = {
  startTime: '2026-01-01T00:00:00.000Z',
  endTime: '2026-01-01T00:00:15.000Z',
  source: {
    ip: '10.20.1.2',
    name: 'client',
    kind: 'WorkloadEndpoint',
    namespace: 'default',
    labels: { app: 'client' },
  },
  destination: { ip: '10.20.9.2', domain: 'api.partner.test' },
  protocol: 'TCP',
  destinationPort: 80,
  action: 'allow',
  policies: [],
  flows: 1,
  packetsOut: 6,
  bytesOut: 342,
  packetsIn: 4,
  bytesIn: 280,
};

describe('parseFlowLog', () => {
  it('reads the JSON lines `netpol flows` writes, skipping blank lines, and a JSON array', () => {
    const text = `${JSON.stringify(record)}\n\n${JSON.stringify({ ...record, action: 'deny' })}\n`;
    expect(parseFlowLog(text)).toEqual([record, { ...record, action: 'deny' }]);
    expect(parseFlowLog(JSON.stringify([record]))).toEqual([record]);
  });

  it('names the line and the field of a bad record', () => {
    expect(() => parseFlowLog(`${JSON.stringify(record)}\n{"source":1}`, 'f.jsonl')).toThrow(
      /^f\.jsonl:2: not a flow log record: \/ must have required property/,
    );
    expect(() => parseFlowLog(JSON.stringify({ ...record, destinationPort: 70000 }), 'f')).toThrow(
      /^f:1: .*\/destinationPort must be <= 65535/,
    );
    expect(() => parseFlowLog(JSON.stringify({ ...record, source: { ip: 'nope' } }), 'f')).toThrow(
      'f:1: /source/ip is not an IP address: "nope"',
    );
    expect(() => parseFlowLog('{"a":', 'f')).toThrow(/^f:1: not JSON/);
    expect(() => parseFlowLog('[1,', 'f')).toThrow(/^f: not JSON/);
  });

  it('never fails on arbitrary text with anything but an InputError (property)', () => {
    const lines = fc.array(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.constant(JSON.stringify(record)),
        fc
          .record({ ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), port: fc.integer({ min: -5, max: 70000 }) })
          .map(({ ip, port }) =>
            JSON.stringify({ ...record, source: { ...record.source, ip }, destinationPort: port }),
          ),
      ),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(lines, (ls) => {
        try {
          const out = parseFlowLog(ls.join('\n'));
          for (const r of out) expect(typeof r.source.ip).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
