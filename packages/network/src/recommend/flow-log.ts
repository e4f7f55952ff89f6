// Reads flow logs back: the JSON lines `palisade netpol flows` writes (or a JSON array of the same
// records). Flow files come from elsewhere, so every record is checked before the recommender trusts it.

import { InputError } from '@palisade/core';
import { Ajv, type ErrorObject } from 'ajv';
import type { FlowLogRecord } from '../flows/flow-collector.js';
import { parseIp } from '../model/cidr.js';

const labels = { type: 'object', additionalProperties: { type: 'string' } };
const flowEndpoint = {
  type: 'object',
  required: ['ip'],
  properties: {
    ip: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    kind: { enum: ['WorkloadEndpoint', 'HostEndpoint'] },
    namespace: { type: 'string', minLength: 1 },
    labels,
    domain: { type: 'string', minLength: 1 },
  },
};
const recordSchema = {
  type: 'object',
  required: ['source', 'destination', 'protocol', 'action'],
  properties: {
    source: flowEndpoint,
    destination: flowEndpoint,
    protocol: { type: 'string', minLength: 1 },
    destinationPort: { type: 'integer', minimum: 0, maximum: 65535 },
    action: { enum: ['allow', 'deny'] },
    policies: { type: 'array', items: { type: 'string' } },
  },
};

const validate = new Ajv({ allErrors: false, strict: false }).compile(recordSchema);

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
}

/** One record, or an InputError naming where it came from and what is wrong. */
function checkRecord(raw: unknown, where: string): FlowLogRecord {
  if (!validate(raw)) throw new InputError(`${where}: not a flow log record: ${describe(validate.errors![0]!)}`);
  // Counters and times are not checked: the recommender does not read them.
  const r = raw as unknown as FlowLogRecord;
  for (const side of ['source', 'destination'] as const)
    if (!parseIp(r[side].ip)) throw new InputError(`${where}: /${side}/ip is not an IP address: "${r[side].ip}"`);
  return r;
}

/** Parses flow log text: one JSON record per line (blank lines allowed) or one JSON array. */
export function parseFlowLog(text: string, file = 'flows'): FlowLogRecord[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch (err) {
      throw new InputError(`${file}: not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(list)) throw new InputError(`${file}: expected an array of flow log records`);
    return list.map((r, i) => checkRecord(r, `${file}: record ${i}`));
  }
  const out: FlowLogRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    out.push(checkRecord(raw, `${file}:${i + 1}`));
  });
  return out;
}
