// Stable identities for what the agent sends: the same event and rule always give the same id,
// so the server can drop a batch resent after a crash (its idempotency key) and sinks can dedupe.

import { createHash } from 'node:crypto';
import type { RuntimeEvent } from '@palisade/core';

/** 32 hex digits from the event's identity (host, time, process, thread, type, sequence) and the rule. */
export function alertId(ev: RuntimeEvent, rule: string): string {
  const h = createHash('sha256');
  h.update(`${ev.host}\0${ev.ts}\0${ev.proc.pid}\0${ev.proc.tid ?? ''}\0${ev.type}\0${ev.num ?? ''}\0${rule}`);
  return h.digest('hex').slice(0, 32);
}

/** Any stable text → 32 hex digits (health and inventory records). */
export function stableId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/** 32 hex digits → RFC 4122 layout, for falcosidekick's `uuid` field. */
export function idToUuid(id: string): string {
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
}

/** Nanoseconds since the epoch → ISO 8601 with nine fractional digits, as Falco prints `time`. */
export function isoTimeNs(ns: number): string {
  const ms = Math.floor(ns / 1e6);
  const frac = String(Math.max(0, Math.round(ns - ms * 1e6))).padStart(6, '0');
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${frac}Z`);
}
