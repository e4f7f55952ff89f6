// Public API of @palisade/bus: the EventBus interface and its in-process implementation.
// NATS JetStream comes later behind the same interface.

export type { BusHandler, EventBus, Subscription } from './event-bus.js';
export { type MemoryBusOptions, MemoryEventBus } from './memory-bus.js';
