// Runtime events and alerts: batched, idempotent inserts keyed by (tenant, event id), so a sender
// that retries a batch after a lost acknowledgement never creates duplicates.

import { type Kysely, sql } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { Database, EventsTable } from '../schema.js';
import { createDeadLetterRepository, type NewDeadLetter } from './dead-letters.js';
import { createOutboxRepository, type NewOutboxEntry } from './outbox.js';

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

/** What an ingest writes for the outputs besides the events, in the same transaction. */
export interface OutboxWrite {
  deliveries: NewOutboxEntry[];
  /** Alerts an output cannot take (its outbox is full): recorded at once, never dropped. */
  deadLetters: NewDeadLetter[];
}

export interface InsertBatchOptions {
  /**
   * Called inside the insert's transaction with the alerts (events with a rule) stored for the
   * first time, in batch order; what it returns is written in that transaction too, so an alert
   * is never acknowledged without its deliveries, nor delivered for a batch that rolled back.
   */
  outbox?: (newAlerts: IncomingEvent[]) => OutboxWrite;
}

export interface InsertBatchResult {
  accepted: number;
  duplicates: number;
  /** With `outbox`: the outbox rows written (deliveries queued on outputs). */
  outboxed?: number;
}

/** The rows of one batch that share tenant, agent and arrival time. */
interface BatchRows {
  tenantId: string;
  agentId: string | null;
  receivedAt: string;
  events: IncomingEvent[];
}

/**
 * One INSERT … SELECT for the whole batch, its rows read from JSON by the database (a few
 * parameters instead of a VALUES list of 11 per event, which costs both sides far more to build,
 * send and plan), skipping events already stored. Resolves with how many rows were new, and with
 * `returning` their ids (RETURNING skips conflicting rows: an event sent twice is new once).
 */
type InsertFromJson = (db: Kysely<Database>, batch: BatchRows, returning: boolean) => Promise<string[] | number>;

// ES2024 (Node 20 has it; the ES2023 lib types do not): lone surrogates become U+FFFD, which is
// what a text parameter would have stored, instead of a JSON escape PostgreSQL refuses.
function wellFormed(s: string | undefined): string | undefined {
  return s === undefined ? undefined : (s as string & { toWellFormed(): string }).toWellFormed();
}

/**
 * PostgreSQL: the short columns as a JSON array read by json_to_recordset, the documents as
 * newline-joined text (JSON.stringify never emits a raw newline), zipped back by ROWS FROM. The
 * documents never pass through PostgreSQL's JSON parser, which refuses \u0000 in text.
 */
const insertPostgres: InsertFromJson = async (db, batch, returning) => {
  const columns = JSON.stringify(
    batch.events.map((e) => ({
      id: wellFormed(e.id),
      ts: wellFormed(e.ts),
      type: wellFormed(e.type),
      host: wellFormed(e.host),
      rule: wellFormed(e.rule),
      priority: wellFormed(e.priority),
      output: wellFormed(e.output),
    })),
  );
  const documents = batch.events.map((e) => JSON.stringify(e)).join('\n');
  const result = await sql<{ id: string }>`
    insert into events (tenant_id, id, agent_id, ts, type, host, rule, priority, output, data, received_at)
    select ${batch.tenantId}, r.id, ${batch.agentId}, r.ts, r.type, r.host, r.rule, r.priority, r.output, r.data,
      ${batch.receivedAt}
    from rows from (
      json_to_recordset(${columns}::json)
        as (id text, ts text, type text, host text, rule text, priority text, output text),
      unnest(string_to_array(${documents}::text, E'\n'))
    ) as r(id, ts, type, host, rule, priority, output, data)
    on conflict (tenant_id, id) do nothing
    ${returning ? sql`returning id` : sql``}`.execute(db);
  return returning ? result.rows.map((r) => r.id) : Number(result.numAffectedRows ?? 0n);
};

/**
 * SQLite: one JSON array of [id, ts, type, host, rule, priority, output, event] read by json_each.
 * The document is `value->7`, the event's JSON text as sent (escapes kept), so each event is
 * serialised once, inside the one JSON.stringify of the batch.
 */
const insertSqlite: InsertFromJson = async (db, batch, returning) => {
  const rows = JSON.stringify(
    batch.events.map((e) => [
      e.id,
      e.ts,
      e.type,
      e.host ?? null,
      e.rule ?? null,
      e.priority ?? null,
      e.output ?? null,
      e,
    ]),
  );
  // "where true" keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
  const result = await sql<{ id: string }>`
    insert into events (tenant_id, id, agent_id, ts, type, host, rule, priority, output, data, received_at)
    select ${batch.tenantId}, value->>0, ${batch.agentId}, value->>1, value->>2, value->>3, value->>4, value->>5,
      value->>6, value->7, ${batch.receivedAt}
    from json_each(${rows}) where true
    on conflict (tenant_id, id) do nothing
    ${returning ? sql`returning id` : sql``}`.execute(db);
  return returning ? result.rows.map((r) => r.id) : Number(result.numAffectedRows ?? 0n);
};

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

export function createEventRepository(db: Kysely<Database>, dialect: 'sqlite' | 'postgres' = 'sqlite') {
  const insertFromJson = dialect === 'postgres' ? insertPostgres : insertSqlite;
  return {
    /**
     * Stores a batch atomically, skipping events whose (tenant, id) is already stored (the last of
     * repeated ids within a batch wins); returns how many were new and how many already known.
     */
    async insertBatch(
      tenantId: string,
      agentId: string | null,
      events: IncomingEvent[],
      opts: InsertBatchOptions = {},
    ): Promise<InsertBatchResult> {
      const unique = new Map<string, IncomingEvent>();
      for (const e of events) {
        // Delete first: a repeated id takes the later event's place in the batch order too.
        unique.delete(e.id);
        unique.set(e.id, e);
      }
      const outboxed = (n: number) => (opts.outbox ? { outboxed: n } : {});
      if (unique.size === 0) return { accepted: 0, duplicates: events.length, ...outboxed(0) };
      const receivedAt = nowIso();
      const batch = (list: IncomingEvent[]): BatchRows => ({ tenantId, agentId, receivedAt, events: list });
      const all = [...unique.values()];
      const plan = opts.outbox;
      if (!plan) {
        // One statement is atomic by itself.
        const count = (await insertFromJson(db, batch(all), false)) as number;
        return { accepted: count, duplicates: events.length - count };
      }
      // Alerts (a few percent of events) are inserted apart, asking which were new, for the outbox.
      const alerts = all.filter((e) => typeof e.rule === 'string');
      const plain = all.filter((e) => typeof e.rule !== 'string');
      return db.transaction().execute(async (trx) => {
        const plainCount = plain.length > 0 ? ((await insertFromJson(trx, batch(plain), false)) as number) : 0;
        const newAlertIds = alerts.length > 0 ? ((await insertFromJson(trx, batch(alerts), true)) as string[]) : [];
        let queued = 0;
        if (newAlertIds.length > 0) {
          const fresh = new Set(newAlertIds);
          const write = plan(alerts.filter((e) => fresh.has(e.id)));
          queued = await createOutboxRepository(trx).add(write.deliveries);
          if (write.deadLetters.length > 0) await createDeadLetterRepository(trx).add(write.deadLetters);
        }
        const count = plainCount + newAlertIds.length;
        return { accepted: count, duplicates: events.length - count, outboxed: queued };
      });
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
