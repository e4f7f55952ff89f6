// The same behaviour suite against every bus: the in-process one and NATS JetStream on a real
// nats-server started for the test. Whatever the server relies on must hold for both.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type NatsServerFixture, startNatsServer } from '../../../test-support/nats.js';
import type { EventBus } from './event-bus.js';
import { type MemoryBusOptions, MemoryEventBus } from './memory-bus.js';
import { NatsEventBus } from './nats-bus.js';

let nats: NatsServerFixture | undefined;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

type MakeBus = (opts?: MemoryBusOptions) => Promise<EventBus>;

const buses: [string, MakeBus][] = [
  ['memory', async (opts) => new MemoryEventBus(opts)],
  [
    'NATS JetStream',
    async (opts) =>
      NatsEventBus.connect({
        url: (nats as NatsServerFixture).url,
        // A stream per bus keeps the cases apart on the one server.
        stream: `H3_${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
        subjectPrefix: `h3${Math.random().toString(36).slice(2, 10)}`,
        ...opts,
      }),
  ],
];

/** Collects what handlers receive; `until(n)` waits for n deliveries (NATS delivers asynchronously). */
function collector() {
  const got: string[] = [];
  return {
    got,
    push: (s: string) => got.push(s),
    until: (n: number) => vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(n), { timeout: 10_000 }),
  };
}

describe.each(buses)('EventBus contract: %s', (_name, make) => {
  const open: EventBus[] = [];
  const bus = async (opts?: MemoryBusOptions) => {
    const b = await make(opts);
    open.push(b);
    return b;
  };
  afterAll(async () => {
    for (const b of open) await b.close().catch(() => undefined);
  });

  it('delivers to exact, prefix and catch-all subscribers only, in publish order', async () => {
    const b = await bus();
    const c = collector();
    b.subscribe<number>('events.runtime', (m, t) => {
      c.push(`exact:${t}:${m}`);
    });
    b.subscribe<number>('events.>', (m, t) => {
      c.push(`prefix:${t}:${m}`);
    });
    b.subscribe<number>('>', (m, t) => {
      c.push(`all:${t}:${m}`);
    });
    b.subscribe<number>('findings', () => {
      c.push('wrong');
    });
    b.subscribe<number>('events', () => {
      c.push('wrong: "events.>" topics are not "events"');
    });
    await b.ready();
    await b.publish('events.runtime', 1);
    await b.publish('events.alerts.high', 2);
    await b.publish('scans.uploaded', 3);
    await c.until(6);
    expect([...c.got].sort()).toEqual(
      [
        'exact:events.runtime:1',
        'prefix:events.runtime:1',
        'all:events.runtime:1',
        'prefix:events.alerts.high:2',
        'all:events.alerts.high:2',
        'all:scans.uploaded:3',
      ].sort(),
    );
    expect(c.got.filter((s) => s.startsWith('all:'))).toEqual([
      'all:events.runtime:1',
      'all:events.alerts.high:2',
      'all:scans.uploaded:3',
    ]);
  });

  it('carries JSON values unchanged', async () => {
    const b = await bus();
    const got: unknown[] = [];
    b.subscribe('t.json', (m) => {
      got.push(m);
    });
    await b.ready();
    const values = [{ tenantId: 'root', n: 3, nested: { list: [1, 'two', null, true] } }, 'text', 42, null];
    for (const v of values) await b.publish('t.json', v);
    await vi.waitFor(() => expect(got).toHaveLength(values.length), { timeout: 10_000 });
    expect(got).toEqual(values);
  });

  it('keeps delivering when one handler throws, and reports the error with its topic', async () => {
    const errors: string[] = [];
    const b = await bus({ onError: (e, t) => errors.push(`${t}:${(e as Error).message}`) });
    let delivered = 0;
    b.subscribe('t.err', () => {
      throw new Error('boom');
    });
    b.subscribe('t.err', async () => {
      delivered++;
    });
    await b.ready();
    await b.publish('t.err', {});
    await b.publish('t.err', {});
    await vi.waitFor(() => expect(delivered).toBe(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(errors).toEqual(['t.err:boom', 't.err:boom']), { timeout: 10_000 });
  });

  it('stops delivering after unsubscribe while other subscribers of the topic go on', async () => {
    const b = await bus();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const sub = b.subscribe('t.unsub', (m) => {
      first.push(m);
    });
    b.subscribe('t.unsub', (m) => {
      second.push(m);
    });
    await b.ready();
    await b.publish('t.unsub', 1);
    await vi.waitFor(() => expect(first).toEqual([1]), { timeout: 10_000 });
    sub.unsubscribe();
    await b.publish('t.unsub', 2);
    await vi.waitFor(() => expect(second).toEqual([1, 2]), { timeout: 10_000 });
    expect(first).toEqual([1]);
  });

  it('rejects topics that are not dot-separated tokens, and patterns other than ">" suffixes', async () => {
    const b = await bus();
    for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>']) {
      await expect(b.publish(bad, 1), bad).rejects.toThrow(/invalid bus topic/);
    }
    for (const bad of ['a.*', 'a>', '>.a', 'a..>', '']) {
      expect(() => b.subscribe(bad, () => undefined), bad).toThrow(/invalid bus subscription/);
    }
  });

  it('refuses to publish once closed', async () => {
    const b = await bus();
    await b.close();
    await expect(b.publish('t.closed', null)).rejects.toThrow(/closed/);
  });
});
