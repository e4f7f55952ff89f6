// Event routes: NDJSON batch ingestion (idempotent by event id; acknowledged only after the batch
// is committed) and the alerts list (events a rule matched).

import { InputError, NotFoundError } from '@palisade/core';
import type { IncomingEvent } from '@palisade/store';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { toOutputAlert } from '../outputs/alert-dispatcher.js';
import { Alert, AlertQuery, IngestResult, Page } from '../schemas.js';

export const NDJSON = 'application/x-ndjson';
export const EVENTS_BODY_LIMIT = 32 * 1024 * 1024;
export const MAX_EVENTS_PER_BATCH = 50_000;

/** Parses one NDJSON batch; every line must be an object with string id, ts and type. */
export function parseEventBatch(body: string): IncomingEvent[] {
  const events: IncomingEvent[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InputError(`events batch line ${i + 1}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`events batch line ${i + 1}: expected a JSON object`);
    }
    const e = value as Record<string, unknown>;
    for (const field of ['id', 'ts', 'type'] as const) {
      if (typeof e[field] !== 'string' || (e[field] as string).length === 0 || (e[field] as string).length > 256) {
        throw new InputError(
          `events batch line ${i + 1}: "${field}" must be a non-empty string of at most 256 characters`,
        );
      }
    }
    for (const field of ['host', 'rule', 'priority', 'output'] as const) {
      if (e[field] !== undefined && typeof e[field] !== 'string') {
        throw new InputError(`events batch line ${i + 1}: "${field}" must be a string`);
      }
    }
    events.push(e as IncomingEvent);
    if (events.length > MAX_EVENTS_PER_BATCH) {
      throw new InputError(`events batch has more than ${MAX_EVENTS_PER_BATCH} events; split it`);
    }
  }
  return events;
}

export function registerEventRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.post(
    '/events',
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      config: { permission: 'events:write' },
      schema: operation('events:write', {
        summary: 'Ingest a batch of runtime events as NDJSON (one JSON object per line, each with id, ts, type)',
        tags: ['events'],
        consumes: [NDJSON],
        querystring: Type.Object({ agentId: Type.Optional(Type.String({ maxLength: 128 })) }),
        body: Type.String({ description: 'NDJSON: one event object per line' }),
        response: { 200: IngestResult },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      let agentId: string | null = null;
      if (request.query.agentId) {
        const agent = await store.agents.get(request.query.agentId, p.tenantPath);
        if (!agent) throw new NotFoundError(`agent ${request.query.agentId} not found`);
        agentId = agent.id;
      }
      const events = parseEventBatch(request.body);
      const { acceptedAlertIds, ...r } = await store.events.insertBatch(p.tenantId, agentId, events, {
        alertIds: ctx.outputs !== undefined,
      });
      // Only alerts this batch stored for the first time: a re-sent batch is not delivered twice.
      if (ctx.outputs && acceptedAlertIds && acceptedAlertIds.length > 0) {
        const fresh = new Set(acceptedAlertIds);
        ctx.outputs.dispatch(
          events.filter((e) => fresh.delete(e.id) && e.rule).map((e) => toOutputAlert(p.tenantId, agentId, e)),
        );
      }
      ctx.metrics.eventsIngested.inc({ result: 'accepted' }, r.accepted);
      ctx.metrics.eventsIngested.inc({ result: 'duplicate' }, r.duplicates);
      if (r.accepted > 0)
        await ctx.bus.publish('events.ingested', { tenantId: p.tenantId, agentId, count: r.accepted });
      return { received: events.length, ...r };
    },
  );

  app.get(
    '/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: operation('alerts:read', {
        summary: 'List alerts (events a runtime rule matched), newest first',
        tags: ['alerts'],
        querystring: AlertQuery,
        response: { 200: Page(Alert) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, ...filter } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.events.listAlerts(scope.path, filter, { limit, cursor });
    },
  );
}
