// The EventBus seam: publish a message on a topic, subscribe a handler to a topic. The server
// publishes ingested events and findings here; outputs and other replicas subscribe. Topics are
// dot-separated tokens (see topics.ts); messages are plain JSON values.

export type BusHandler<T = unknown> = (message: T, topic: string) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): void;
}

export interface EventBus {
  /**
   * Delivers to every current subscriber of `topic` (on every replica, for a shared bus). The
   * in-process bus resolves when all handlers have settled; NATS once the stream has stored the
   * message, its handlers running as it arrives.
   */
  publish<T>(topic: string, message: T): Promise<void>;
  /** `topic` is exact, or ends in ".>" to match every topic under a prefix (NATS-style). */
  subscribe<T>(topic: string, handler: BusHandler<T>): Subscription;
  /**
   * Resolves once every subscription made so far receives whatever is published from now on
   * (NATS creates its consumers asynchronously; in-process subscriptions are live at once).
   * Rejects when a subscription could not be set up.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}
