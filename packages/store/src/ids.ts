// Identifiers and timestamps the store hands out: time-ordered random ids and ISO-8601 UTC strings.
// Time-ordered ids keep "newest first" lists and cursor pagination stable without a sequence.

import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/**
 * 9 base-36 chars of milliseconds, 4 of a per-millisecond counter, then 10 hex chars of randomness:
 * ids made by one process sort in creation order even within a millisecond.
 */
export function newId(): string {
  const ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    seq = 0;
  } else {
    seq++;
  }
  return lastMs.toString(36).padStart(9, '0') + seq.toString(36).padStart(4, '0') + randomBytes(5).toString('hex');
}

export function nowIso(): string {
  return new Date().toISOString();
}
