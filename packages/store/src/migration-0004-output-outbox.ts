// 0004, in two steps: a cheaper index for the alert lists, and the outputs' durable outbox.

import { type Kysely, type Migration, sql } from 'kysely';

// "Newest alerts" lists and posture filter on `rule is not null`, so the (tenant, ts) index only
// needs the alert rows: plain events, most of the table, no longer write a second index entry.
export const eventsAlertIndexMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('events_tenant_ts').execute();
    await db.schema
      .createIndex('events_alerts_tenant_ts')
      .on('events')
      .columns(['tenant_id', 'ts'])
      .where(sql.ref('rule'), 'is not', null)
      .execute();
  },
};

// One row per (output, alert) still to deliver, written in the transaction that stores the alert
// and deleted once delivered or dead-lettered, so a restart resumes whatever was left.
export const outputOutboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('output_outbox')
      // Time-ordered ids (newId): delivery follows the order alerts were stored in.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('output', 'text', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('alert', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      // A lease: the server delivering this row, and until when (another server may take it after).
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('output_outbox_output').on('output_outbox').columns(['output', 'id']).execute();
  },
};
