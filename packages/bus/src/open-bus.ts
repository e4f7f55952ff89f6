// Chooses the bus from a URL: none or "memory:" is the in-process bus, nats:// or tls:// is NATS
// JetStream (what several server replicas share).

import type { EventBus } from './event-bus.js';
import { MemoryEventBus } from './memory-bus.js';
import { type NatsBusOptions, NatsEventBus } from './nats-bus.js';
import { isNatsUrl } from './nats-url.js';

export type OpenBusOptions = Omit<NatsBusOptions, 'url'>;

export async function openBus(url: string | undefined, opts: OpenBusOptions = {}): Promise<EventBus> {
  const u = url?.trim();
  if (!u || u === 'memory:' || u === 'memory') return new MemoryEventBus({ onError: opts.onError });
  if (isNatsUrl(u)) return NatsEventBus.connect({ ...opts, url: u });
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(u)?.[1];
  throw new Error(`unknown bus ${scheme ? `scheme ${scheme}:` : `"${u}"`}; use memory: or nats://HOST:4222`);
}
