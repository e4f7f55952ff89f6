// The outputs' durable outbox: alerts waiting for delivery, per output, in the order they were
// stored. A server leases the head of an output's line while it delivers it, so several servers on
// one database take turns instead of delivering the same alert twice.

import type { Kysely } from 'kysely';
import { newId, nowIso } from '../ids.js';
import type { Database, OutputOutboxTable } from '../schema.js';
import { createDeadLetterRepository } from './dead-letters.js';

export interface NewOutboxEntry {
  output: string;
  tenantId: string;
  alertId: string;
  /** The alert as the outputs see it (serialised as JSON). */
  alert: Record<string, unknown>;
}

export interface OutboxEntry extends NewOutboxEntry {
  id: string;
  attempts: number;
  lastError: string | null;
  /** ISO time before which the entry is not tried again. */
  nextAttemptAt: string;
  createdAt: string;
}

/** A failed delivery that goes no further: moved to the dead letters with its last error. */
export interface OutboxDeadLetter {
  entry: OutboxEntry;
  error: string;
  attempts: number;
}

// 9 columns × 500 rows stays under both dialects' parameter limits.
const CHUNK = 500;

function toEntry(r: OutputOutboxTable): OutboxEntry {
  return {
    id: r.id,
    output: r.output,
    tenantId: r.tenant_id,
    alertId: r.alert_id,
    alert: JSON.parse(r.alert) as Record<string, unknown>,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
}

function isoAfter(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

export function createOutboxRepository(db: Kysely<Database>, dialect: 'sqlite' | 'postgres' = 'sqlite') {
  return {
    /** Queues entries (ids in the given order); pass a transaction as `db` to write with other rows. */
    async add(entries: readonly NewOutboxEntry[]): Promise<number> {
      const at = nowIso();
      const rows: OutputOutboxTable[] = entries.map((e) => ({
        id: newId(),
        output: e.output,
        tenant_id: e.tenantId,
        alert_id: e.alertId,
        alert: JSON.stringify(e.alert),
        attempts: 0,
        last_error: null,
        next_attempt_at: at,
        claimed_by: null,
        claimed_until: null,
        created_at: at,
      }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await db
          .insertInto('output_outbox')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      }
      return rows.length;
    },

    /**
     * Leases the first `limit` entries of an output's line for `owner` (for `leaseMs`) and returns
     * them oldest first, unless another owner holds a running lease on any entry of that output:
     * then that server is delivering the line and this one gets nothing, so servers take turns
     * and the line keeps its order. On PostgreSQL, claims of one output queue up on a lock of its
     * first row, so two servers never both see the line free; SQLite has one writer anyway.
     */
    async claim(output: string, owner: string, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
      return db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') {
          await trx
            .selectFrom('output_outbox')
            .select('id')
            .where('output', '=', output)
            .orderBy('id')
            .limit(1)
            .forUpdate()
            .execute();
        }
        const now = nowIso();
        const rows = await trx
          .updateTable('output_outbox')
          .set({ claimed_by: owner, claimed_until: isoAfter(leaseMs) })
          .where('output', '=', output)
          .where((eb) =>
            eb(
              'id',
              'in',
              eb.selectFrom('output_outbox').select('id').where('output', '=', output).orderBy('id').limit(limit),
            ),
          )
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('output_outbox as other')
                  .select('other.id')
                  .where('other.output', '=', output)
                  .where('other.claimed_by', '<>', owner)
                  .where('other.claimed_until', '>=', now),
              ),
            ),
          )
          .returningAll()
          .execute();
        return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(toEntry);
      });
    },

    /** Delivered: the entries leave the outbox. */
    async remove(ids: readonly string[]): Promise<void> {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await db
          .deleteFrom('output_outbox')
          .where('id', 'in', ids.slice(i, i + CHUNK))
          .execute();
      }
    },

    /**
     * Failed tries that will be retried: counts them and sets when the next try may happen. One
     * statement per distinct (attempts, error), so a failed bulk request is one update.
     */
    async reschedule(
      failures: readonly { id: string; attempts: number; error: string }[],
      nextAttemptAt: string,
    ): Promise<void> {
      const groups = new Map<string, { attempts: number; error: string; ids: string[] }>();
      for (const f of failures) {
        const error = f.error.slice(0, 2000);
        const key = `${f.attempts}\n${error}`;
        const group = groups.get(key) ?? { attempts: f.attempts, error, ids: [] };
        group.ids.push(f.id);
        groups.set(key, group);
      }
      for (const g of groups.values()) {
        for (let i = 0; i < g.ids.length; i += CHUNK) {
          await db
            .updateTable('output_outbox')
            .set({ attempts: g.attempts, last_error: g.error, next_attempt_at: nextAttemptAt })
            .where('id', 'in', g.ids.slice(i, i + CHUNK))
            .execute();
        }
      }
    },

    /** Moves entries to the dead-letter table in one transaction: never in both, never in neither. */
    async deadLetter(letters: readonly OutboxDeadLetter[]): Promise<void> {
      if (letters.length === 0) return;
      await db.transaction().execute(async (trx) => {
        await createDeadLetterRepository(trx).add(
          letters.map((l) => ({
            tenantId: l.entry.tenantId,
            output: l.entry.output,
            alertId: l.entry.alertId,
            alert: l.entry.alert,
            error: l.error,
            attempts: l.attempts,
          })),
        );
        await createOutboxRepository(trx).remove(letters.map((l) => l.entry.id));
      });
    },

    /**
     * Takes a dead letter out and queues its alert on its output again, in one transaction; false
     * if the dead letter was already gone (another retry took it).
     */
    async requeueDeadLetter(deadLetterId: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const letter = await trx
          .deleteFrom('output_dead_letters')
          .where('id', '=', deadLetterId)
          .returningAll()
          .executeTakeFirst();
        if (!letter) return false;
        await createOutboxRepository(trx).add([
          {
            output: letter.output,
            tenantId: letter.tenant_id,
            alertId: letter.alert_id,
            alert: JSON.parse(letter.alert) as Record<string, unknown>,
          },
        ]);
        return true;
      });
    },

    /** Up to `limit` entries, oldest first, of outputs other than `outputs` (e.g. removed from the config). */
    async listOthers(outputs: readonly string[], limit: number): Promise<OutboxEntry[]> {
      let q = db.selectFrom('output_outbox').selectAll().orderBy('id').limit(limit);
      if (outputs.length > 0) q = q.where('output', 'not in', outputs);
      return (await q.execute()).map(toEntry);
    },

    /** Gives up `owner`'s leases (graceful shutdown), so another server can go on at once. */
    async release(owner: string): Promise<void> {
      await db
        .updateTable('output_outbox')
        .set({ claimed_by: null, claimed_until: null })
        .where('claimed_by', '=', owner)
        .execute();
    },

    /** Entries waiting per output. */
    async depths(): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('output_outbox')
        .select(['output', (eb) => eb.fn.countAll().as('n')])
        .groupBy('output')
        .execute();
      return new Map(rows.map((r) => [r.output, Number(r.n)]));
    },

    async list(output?: string): Promise<OutboxEntry[]> {
      let q = db.selectFrom('output_outbox').selectAll().orderBy('id');
      if (output) q = q.where('output', '=', output);
      return (await q.execute()).map(toEntry);
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
