import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from './memory-bus.js';

describe('MemoryEventBus', () => {
  it('delivers to exact and prefix subscribers only', async () => {
    const bus = new MemoryEventBus();
    const got: string[] = [];
    bus.subscribe<number>('events.runtime', (m, t) => {
      got.push(`exact:${t}:${m}`);
    });
    bus.subscribe<number>('events.>', (m, t) => {
      got.push(`prefix:${t}:${m}`);
    });
    bus.subscribe<number>('findings', () => {
      got.push('wrong');
    });
    await bus.publish('events.runtime', 1);
    await bus.publish('events.alerts', 2);
    expect(got).toEqual(['exact:events.runtime:1', 'prefix:events.runtime:1', 'prefix:events.alerts:2']);
  });

  it('keeps delivering when one handler throws, and reports the error', async () => {
    const errors: string[] = [];
    const bus = new MemoryEventBus({ onError: (e, t) => errors.push(`${t}:${(e as Error).message}`) });
    let delivered = 0;
    bus.subscribe('t', () => {
      throw new Error('boom');
    });
    bus.subscribe('t', async () => {
      delivered++;
    });
    await bus.publish('t', {});
    expect(delivered).toBe(1);
    expect(errors).toEqual(['t:boom']);
  });

  it('stops delivering after unsubscribe and refuses to publish once closed', async () => {
    const bus = new MemoryEventBus();
    let n = 0;
    const sub = bus.subscribe('t', () => {
      n++;
    });
    await bus.publish('t', null);
    sub.unsubscribe();
    await bus.publish('t', null);
    expect(n).toBe(1);
    await bus.close();
    await expect(bus.publish('t', null)).rejects.toThrow(/closed/);
  });
});
