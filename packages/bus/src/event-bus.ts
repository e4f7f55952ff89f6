// The EventBus seam: publish a message on a topic, subscribe a handler to a topic. The server
// publishes ingested events and findings here; outputs and other replicas subscribe.

export type BusHandler<T = unknown> = (message: T, topic: string) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): void;
}

export interface EventBus {
  /** Delivers to every current subscriber of `topic`; resolves when all handlers have settled. */
  publish<T>(topic: string, message: T): Promise<void>;
  /** `topic` is exact, or ends in ".>" to match every topic under a prefix (NATS-style). */
  subscribe<T>(topic: string, handler: BusHandler<T>): Subscription;
  close(): Promise<void>;
}
