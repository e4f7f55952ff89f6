// Event routes: NDJSON batch ingestion (idempotent by event id; acknowledged only after the batch
// is committed) and the alerts list (events a rule matched).

import { InputError, NotFoundError } from '@palisade/core';
import type { IncomingEvent } from '@palisade/store';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { Alert, AlertQuery, IngestResult, Page } from '../schemas.js';

export const NDJSON = 'application/x-ndjson';
export const EVENTS_BODY_LIMIT = 32 * 1024 * 1024;
export const MAX_EVENTS_PER_BATCH = 50_000;

/** Deeper events are refused: SQLite's JSON functions, which store the batch, stop near 1,000. */
export const MAX_EVENT_NESTING = 256;

/** The deepest {…}/[…] nesting of a JSON text, brackets inside strings aside. */
function jsonNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

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
    // Each level takes two characters: only long lines can be too deep, so short ones skip the scan.
    if (line.length > 2 * MAX_EVENT_NESTING && jsonNesting(line) > MAX_EVENT_NESTING) {
      throw new InputError(`events batch line ${i + 1}: nested deeper than ${MAX_EVENT_NESTING} levels`);
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
    // These become text columns, which PostgreSQL cannot hold a NUL in: refuse them on both stores.
    for (const field of ['id', 'ts', 'type', 'host', 'rule', 'priority', 'output'] as const) {
      if (typeof e[field] === 'string' && (e[field] as string).includes('\0')) {
        throw new InputError(`events batch line ${i + 1}: "${field}" must not contain a NUL character`);
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
      // New alerts' deliveries are written in the batch's transaction (the outputs' outbox), so an
      // acknowledged alert reaches its outputs even if the server dies right after answering.
      const delivery = ctx.outputs?.newDelivery(p.tenantId, agentId);
      let r: { accepted: number; duplicates: number };
      try {
        r = await store.events.insertBatch(p.tenantId, agentId, events, delivery ? { outbox: delivery.plan } : {});
      } catch (err) {
        delivery?.abandoned();
        throw err;
      }
      delivery?.committed();
      ctx.metrics.eventsIngested.inc({ result: 'accepted' }, r.accepted);
      ctx.metrics.eventsIngested.inc({ result: 'duplicate' }, r.duplicates);
      if (r.accepted > 0)
        await ctx.bus.publish('events.ingested', { tenantId: p.tenantId, agentId, count: r.accepted });
      return { received: events.length, accepted: r.accepted, duplicates: r.duplicates };
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
