// Public API of @palisade/bus: the EventBus interface, its in-process implementation, the NATS
// JetStream one for several server replicas, and openBus() choosing between them by URL.

// The connection type, so users of connectNats() need no direct dependency on the client.
export type { NatsConnection } from 'nats';
export type { BusHandler, EventBus, Subscription } from './event-bus.js';
export { type MemoryBusOptions, MemoryEventBus } from './memory-bus.js';
export { connectNats, type NatsBusOptions, NatsEventBus, natsConnectionOptions } from './nats-bus.js';
export { isNatsUrl, type NatsAuth, type NatsTlsFiles, type NatsUrlSettings, parseNatsUrl } from './nats-url.js';
export { type OpenBusOptions, openBus } from './open-bus.js';
export { checkPattern, checkTopic, isValidTopic, topicMatches } from './topics.js';
