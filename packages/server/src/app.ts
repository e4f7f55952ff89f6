// Builds the Fastify app: OpenAPI + Swagger UI, auth hook, rate limit, error mapping, metrics,
// health routes and every /api/v1 route module. No listening here: tests drive it with inject().

import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type EventBus, MemoryEventBus } from '@palisade/bus';
import type { Store } from '@palisade/store';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { ApiApp, RouteContext } from './api-types.js';
import { authenticateRequest } from './auth.js';
import { handleError } from './http-errors.js';
import { ServerMetrics } from './metrics.js';
import { AlertDispatcher } from './outputs/alert-dispatcher.js';
import { registerDeadLetterRoutes } from './outputs/dead-letter-routes.js';
import type { ConfiguredOutput } from './outputs/outputs-config.js';
import { PolicyChanges } from './policies/policy-changes.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerAuthRoutes } from './routes/auth.js';
import { EVENTS_BODY_LIMIT, NDJSON, registerEventRoutes } from './routes/events.js';
import { registerFindingRoutes } from './routes/findings.js';
import { registerImageRoutes } from './routes/images.js';
import { registerInventoryRoutes } from './routes/inventory.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerPostureRoutes } from './routes/posture.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerUserRoutes } from './routes/users.js';

export const API_PREFIX = '/api/v1';

export interface BuildAppOptions {
  store: Store;
  bus?: EventBus;
  /** pino level; "silent" turns logging off. Default "info". */
  logLevel?: string;
  /** Requests per token (or client IP without a token) per window; false disables. */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** Default JSON body limit in bytes (scan upload and event ingestion have their own, larger). */
  bodyLimit?: number;
  /** TLS for the listener: PEM contents. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** Reports readiness; the server turns it false while shutting down. */
  isReady?: () => boolean;
  /** Where log lines go (default stdout); tests capture them to check for leaked secrets. */
  logStream?: NodeJS.WritableStream;
  /** Alert outputs (see outputs/outputs-config.ts); every newly stored alert is queued on them. */
  outputs?: readonly ConfiguredOutput[];
  /** Jitter source for output retries (tests). */
  outputsRandom?: () => number;
}

export type PalisadeApp = ApiApp & {
  palisade: {
    metrics: ServerMetrics;
    store: Store;
    bus: EventBus;
    outputs?: AlertDispatcher;
    /** Wakes agents long-polling for policy changes. */
    policyChanges: PolicyChanges;
  };
};

export async function buildApp(opts: BuildAppOptions): Promise<PalisadeApp> {
  const serverOpts: FastifyServerOptions = {
    logger: {
      level: opts.logLevel ?? 'info',
      // Tokens never reach the log, whatever a serializer or a route chooses to print.
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'token',
          '*.token',
          // Login and password bodies, should anything ever log one.
          'password',
          '*.password',
          '*.newPassword',
          '*.currentPassword',
        ],
        censor: '[redacted]',
      },
      ...(opts.logStream ? { stream: opts.logStream } : {}),
    },
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // On close, cut every connection rather than wait out keep-alive sockets and parked long
    // polls: nothing is lost, since ingestion acknowledges only committed batches and is idempotent.
    forceCloseConnections: true,
    // Unknown fields are an error the caller should see, not something silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    ...(opts.https ? { https: opts.https } : {}),
  };
  const app = Fastify(serverOpts).withTypeProvider<TypeBoxTypeProvider>() as unknown as ApiApp;
  const store = opts.store;
  const bus =
    opts.bus ?? new MemoryEventBus({ onError: (err, topic) => app.log.error({ err, topic }, 'bus handler failed') });
  const metrics = new ServerMetrics(store);
  const outputs =
    opts.outputs && opts.outputs.length > 0
      ? new AlertDispatcher({
          outputs: opts.outputs,
          outbox: store.outbox,
          registry: metrics.registry,
          log: app.log,
          random: opts.outputsRandom,
        })
      : undefined;
  const ctx: RouteContext = { store, bus, metrics, ...(outputs ? { outputs } : {}) };
  // In-flight deliveries finish and the rest go to the dead letters before the store closes.
  if (outputs) app.addHook('onClose', async () => outputs.close());
  const policyChanges = new PolicyChanges(bus);
  // Long polls answer at once on shutdown rather than holding it for up to a minute.
  app.addHook('preClose', async () => policyChanges.close());

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      statusCode: 404,
    });
  });
  app.addContentTypeParser(NDJSON, { parseAs: 'string', bodyLimit: EVENTS_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  // Fail closed: an API route without a permission (and not marked public) refuses to register.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX) || route.config?.public) return;
    if (!route.config?.permission) throw new Error(`route ${route.method} ${route.url} declares no permission`);
  });

  if (opts.rateLimit !== false) {
    const rl = opts.rateLimit ?? { max: 6000, timeWindowMs: 60_000 };
    await app.register(fastifyRateLimit, {
      max: rl.max,
      timeWindow: rl.timeWindowMs,
      // Runs after authentication, so the budget is the verified token's: a caller who merely
      // knows a token id cannot spend someone else's budget.
      hook: 'preHandler',
      keyGenerator: (request) => (request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`),
      allowList: (request) => !request.url.startsWith(API_PREFIX),
    });
  }

  app.addHook('onRequest', async (request) => {
    await authenticateRequest(store, request);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Palisade API',
        version: '1',
        description:
          'One REST API for workloads, findings, events, agents and tokens. Every route needs a bearer token.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(
    async (api) => {
      const typed = api as unknown as ApiApp;
      typed.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
      registerTenantRoutes(typed, ctx);
      registerTokenRoutes(typed, ctx);
      registerAuthRoutes(typed, ctx);
      registerUserRoutes(typed, ctx);
      registerPostureRoutes(typed, ctx);
      registerImageRoutes(typed, ctx);
      registerInventoryRoutes(typed, ctx);
      registerFindingRoutes(typed, ctx);
      registerEventRoutes(typed, ctx);
      registerAuditRoutes(typed, ctx);
      registerDeadLetterRoutes(typed, ctx);
      registerPolicyRoutes(typed, { ...ctx, policyChanges });
    },
    { prefix: API_PREFIX },
  );

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    if (opts.isReady && !opts.isReady()) return reply.status(503).send({ status: 'shutting down' });
    try {
      await store.ping();
    } catch {
      return reply.status(503).send({ status: 'store unavailable' });
    }
    return { status: 'ready' };
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });

  const palisadeApp = app as PalisadeApp;
  palisadeApp.palisade = { metrics, store, bus, policyChanges, ...(outputs ? { outputs } : {}) };
  return palisadeApp;
}
