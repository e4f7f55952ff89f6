// The outputs' dead-letter table: alerts an output gave up on, kept with the last error until an
// admin retries them (which takes the row out; a new failure writes a new row).

import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { Database, OutputDeadLettersTable } from '../schema.js';

export interface DeadLetter {
  id: string;
  tenantId: string;
  output: string;
  alertId: string;
  /** The queued alert, as the dispatcher handed it to the output. */
  alert: Record<string, unknown>;
  error: string;
  attempts: number;
  createdAt: string;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'createdAt'>;

// 8 columns × 500 rows stays under both dialects' parameter limits.
const CHUNK = 500;

function toDeadLetter(r: OutputDeadLettersTable): DeadLetter {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    output: r.output,
    alertId: r.alert_id,
    alert: JSON.parse(r.alert) as Record<string, unknown>,
    error: r.error,
    attempts: Number(r.attempts),
    createdAt: r.created_at,
  };
}

export function createDeadLetterRepository(db: Kysely<Database>) {
  return {
    /** Stores a batch of failed deliveries in one statement per chunk; returns their ids. */
    async add(letters: readonly NewDeadLetter[]): Promise<string[]> {
      const at = nowIso();
      const rows: OutputDeadLettersTable[] = letters.map((l) => ({
        id: newId(),
        tenant_id: l.tenantId,
        output: l.output,
        alert_id: l.alertId,
        alert: JSON.stringify(l.alert),
        error: l.error.slice(0, 2000),
        attempts: l.attempts,
        created_at: at,
      }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await db
          .insertInto('output_dead_letters')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      }
      return rows.map((r) => r.id);
    },

    async list(scopePath: string, filter: { output?: string } = {}, page: PageRequest = {}): Promise<Page<DeadLetter>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom('output_dead_letters')
        .innerJoin('tenants', 'tenants.id', 'output_dead_letters.tenant_id')
        .selectAll('output_dead_letters')
        .where('tenants.path', 'like', `${scopePath}%`);
      if (filter.output) q = q.where('output_dead_letters.output', '=', filter.output);
      const rows = await applyKeyset(q, {
        sortColumn: 'output_dead_letters.created_at',
        idColumn: 'output_dead_letters.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.created_at, r.id], toDeadLetter);
    },

    /** One dead letter, if it exists inside the caller's tenant subtree. */
    async getWithin(id: string, scopePath: string): Promise<DeadLetter | undefined> {
      const row = await db
        .selectFrom('output_dead_letters')
        .innerJoin('tenants', 'tenants.id', 'output_dead_letters.tenant_id')
        .selectAll('output_dead_letters')
        .where('output_dead_letters.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return row ? toDeadLetter(row) : undefined;
    },

    /** Removes a dead letter; false if another request removed it first. */
    async remove(id: string): Promise<boolean> {
      const r = await db.deleteFrom('output_dead_letters').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async count(output?: string): Promise<number> {
      let q = db.selectFrom('output_dead_letters').select((eb) => eb.fn.countAll().as('n'));
      if (output) q = q.where('output', '=', output);
      const r = await q.executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type DeadLetterRepository = ReturnType<typeof createDeadLetterRepository>;
