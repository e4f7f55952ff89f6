// Runtime events and alerts: batched, idempotent inserts keyed by (tenant, event id), so a sender
// that retries a batch after a lost acknowledgement never creates duplicates.

import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { Database, EventsTable } from '../schema.js';

export interface IncomingEvent {
  /** The sender's unique id for this event: the idempotency key. */
  id: string;
  ts: string;
  type: string;
  host?: string;
  /** Name of the rule that matched: present on alerts. */
  rule?: string;
  priority?: string;
  output?: string;
  [extra: string]: unknown;
}

export interface StoredEvent {
  id: string;
  tenantId: string;
  agentId: string | null;
  ts: string;
  type: string;
  host: string | null;
  rule: string | null;
  priority: string | null;
  output: string | null;
  receivedAt: string;
  event: IncomingEvent;
}

export interface AlertFilter {
  priority?: string;
  rule?: string;
  host?: string;
  since?: string;
}

// 11 columns × 1000 rows stays under both dialects' parameter limits.
const CHUNK = 1000;

function toStored(r: EventsTable): StoredEvent {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    agentId: r.agent_id,
    ts: r.ts,
    type: r.type,
    host: r.host,
    rule: r.rule,
    priority: r.priority,
    output: r.output,
    receivedAt: r.received_at,
    event: JSON.parse(r.data) as IncomingEvent,
  };
}

export function createEventRepository(db: Kysely<Database>) {
  return {
    /**
     * Stores a batch in one transaction; returns how many were new and how many already known.
     * With `alertIds`, also the ids of the alerts (events with a rule) that were new, for the outputs.
     */
    async insertBatch(
      tenantId: string,
      agentId: string | null,
      events: IncomingEvent[],
      opts: { alertIds?: boolean } = {},
    ): Promise<{ accepted: number; duplicates: number; acceptedAlertIds?: string[] }> {
      const receivedAt = nowIso();
      const unique = new Map<string, EventsTable>();
      for (const e of events) {
        unique.set(e.id, {
          tenant_id: tenantId,
          id: e.id,
          agent_id: agentId,
          ts: e.ts,
          type: e.type,
          host: e.host ?? null,
          rule: e.rule ?? null,
          priority: e.priority ?? null,
          output: e.output ?? null,
          data: JSON.stringify(e),
          received_at: receivedAt,
        });
      }
      const rows = [...unique.values()];
      let accepted = 0;
      const acceptedAlertIds: string[] = [];
      if (rows.length > 0) {
        await db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += CHUNK) {
            const chunk = rows.slice(i, i + CHUNK);
            const insert = trx
              .insertInto('events')
              .values(chunk)
              .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing());
            // Only chunks holding alerts ask which rows were new (RETURNING skips conflicts on
            // both dialects), so the outputs see each alert once and plain events stay cheap.
            if (opts.alertIds && chunk.some((r) => r.rule !== null)) {
              const inserted = await insert.returning(['id', 'rule']).execute();
              accepted += inserted.length;
              for (const r of inserted) if (r.rule !== null) acceptedAlertIds.push(r.id);
            } else {
              const r = await insert.executeTakeFirst();
              accepted += Number(r.numInsertedOrUpdatedRows ?? 0n);
            }
          }
        });
      }
      return { accepted, duplicates: events.length - accepted, ...(opts.alertIds ? { acceptedAlertIds } : {}) };
    },

    async count(tenantId: string): Promise<number> {
      const r = await db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async listAlerts(scopePath: string, filter: AlertFilter = {}, page: PageRequest = {}): Promise<Page<StoredEvent>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom('events')
        .innerJoin('tenants', 'tenants.id', 'events.tenant_id')
        .selectAll('events')
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('events.rule', 'is not', null);
      if (filter.priority) q = q.where('events.priority', '=', filter.priority);
      if (filter.rule) q = q.where('events.rule', '=', filter.rule);
      if (filter.host) q = q.where('events.host', '=', filter.host);
      if (filter.since) q = q.where('events.ts', '>=', filter.since);
      const rows = await applyKeyset(q, {
        sortColumn: 'events.ts',
        idColumn: 'events.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.ts, r.id], toStored);
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;
