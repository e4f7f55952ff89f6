// The in-process EventBus (the default): handlers run in the publisher's process, in subscription
// order. A failing handler is reported to `onError` and never stops delivery to the others.

import type { BusHandler, EventBus, Subscription } from './event-bus.js';
import { checkPattern, checkTopic, topicMatches } from './topics.js';

export interface MemoryBusOptions {
  onError?: (err: unknown, topic: string) => void;
}

export class MemoryEventBus implements EventBus {
  private readonly subscribers = new Map<string, Set<BusHandler>>();
  private closed = false;

  constructor(private readonly opts: MemoryBusOptions = {}) {}

  async publish<T>(topic: string, message: T): Promise<void> {
    if (this.closed) throw new Error(`event bus is closed; cannot publish on ${topic}`);
    checkTopic(topic);
    const pending: Promise<void>[] = [];
    for (const [pattern, handlers] of this.subscribers) {
      if (!topicMatches(pattern, topic)) continue;
      for (const h of handlers) {
        pending.push(
          Promise.resolve()
            .then(() => h(message, topic))
            .catch((err: unknown) => this.opts.onError?.(err, topic)),
        );
      }
    }
    await Promise.all(pending);
  }

  subscribe<T>(topic: string, handler: BusHandler<T>): Subscription {
    checkPattern(topic);
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
    }
    const h = handler as BusHandler;
    set.add(h);
    return {
      unsubscribe: () => {
        set.delete(h);
        if (set.size === 0) this.subscribers.delete(topic);
      },
    };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
  }
}
