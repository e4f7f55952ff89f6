// Types shared by the route modules: the typed Fastify instance, what each route module gets,
// and the per-route config (`permission`) that the auth hook reads.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { EventBus } from '@palisade/bus';
import type { Principal, Store } from '@palisade/store';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ServerMetrics } from './metrics.js';
import type { AlertDispatcher } from './outputs/alert-dispatcher.js';
import { PERMISSIONS, type Permission } from './permissions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route requires; routes under /api/v1 without one refuse to register. */
    permission?: Permission;
    /** Marks a deliberately unauthenticated route (health, docs). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RouteContext {
  store: Store;
  bus: EventBus;
  metrics: ServerMetrics;
  /** Alert outputs; absent when none are configured. */
  outputs?: AlertDispatcher;
}

/** A route's OpenAPI schema plus `x-palisade-roles`, so the document says who may call it. */
export function operation<S extends FastifySchema>(permission: Permission, schema: S): S {
  return { ...schema, security: [{ bearerAuth: [] }], 'x-palisade-roles': [...PERMISSIONS[permission]] };
}
