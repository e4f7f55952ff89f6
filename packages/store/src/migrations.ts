// The one migration set for SQLite and PostgreSQL, run on every start by Kysely's Migrator.
// Append new migrations with a higher sortable name; never edit one that has shipped.

import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { eventsAlertIndexMigration, outputOutboxMigration } from './migration-0004-output-outbox.js';
import { usersMigration } from './migration-0005-users.js';
import { postureSnapshotsMigration } from './migration-0006-posture-snapshots.js';
import { scanImageDigestsMigration } from './migration-0007-scan-image-digests.js';

// Column types stay within what both dialects understand: text, integer, and text timestamps.
const initialSchema: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('parent_id', 'text', (c) => c.references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('tenants_path').on('tenants').column('path').execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();
    await db.schema.createIndex('tokens_tenant').on('tokens').columns(['tenant_id', 'created_at']).execute();

    await db.schema
      .createTable('workloads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('provider', 'text')
      .addColumn('account', 'text')
      .addColumn('region', 'text')
      .addColumn('cluster', 'text')
      .addColumn('namespace', 'text')
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('image_digest', 'text')
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('workloads_tenant').on('workloads').columns(['tenant_id', 'last_seen']).execute();

    await db.schema
      .createTable('scans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('workload_id', 'text')
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('artifact_name', 'text', (c) => c.notNull())
      .addColumn('artifact_type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('finding_count', 'integer', (c) => c.notNull())
      .addColumn('uploaded_by', 'text')
      .execute();
    await db.schema.createIndex('scans_target').on('scans').columns(['tenant_id', 'target', 'created_at']).execute();

    await db.schema
      .createTable('findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('workload_id', 'text')
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('severity_rank', 'integer', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('package_name', 'text')
      .addColumn('installed_version', 'text')
      .addColumn('fixed_version', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .addColumn('fixed_at', 'text')
      .addColumn('last_scan_id', 'text', (c) => c.notNull())
      .addColumn('suppressed_at', 'text')
      .addColumn('suppressed_by', 'text')
      .addColumn('suppression_reason', 'text')
      .addColumn('suppressed_until', 'text')
      .addUniqueConstraint('findings_dedup', ['tenant_id', 'target', 'fingerprint'])
      .execute();
    await db.schema.createIndex('findings_tenant_seen').on('findings').columns(['tenant_id', 'last_seen']).execute();
    await db.schema.createIndex('findings_tenant_severity').on('findings').columns(['tenant_id', 'severity']).execute();

    await db.schema
      .createTable('finding_history')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('finding_id', 'text', (c) => c.notNull().references('findings.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('scan_id', 'text')
      .addColumn('actor', 'text')
      .addColumn('detail', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('finding_history_finding')
      .on('finding_history')
      .columns(['finding_id', 'at'])
      .execute();

    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text')
      .addColumn('version', 'text')
      .addColumn('workload_id', 'text')
      .addColumn('health', 'text', (c) => c.notNull())
      .addColumn('registered_at', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('agents_tenant').on('agents').columns(['tenant_id', 'last_seen']).execute();

    await db.schema
      .createTable('events')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('ts', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('host', 'text')
      .addColumn('rule', 'text')
      .addColumn('priority', 'text')
      .addColumn('output', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('events_pk', ['tenant_id', 'id'])
      .execute();
    await db.schema.createIndex('events_tenant_ts').on('events').columns(['tenant_id', 'ts']).execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text')
      .addColumn('detail', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_tenant_at').on('audit_log').columns(['tenant_id', 'at']).execute();
  },
};

// Alerts an output could not deliver after its retries (or could never deliver): kept until an
// admin retries them, so no alert is dropped silently.
const outputDeadLetters: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('output_dead_letters')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('output', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('alert', 'text', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('output_dead_letters_tenant')
      .on('output_dead_letters')
      .columns(['tenant_id', 'created_at'])
      .execute();
  },
};

// Versioned policy documents: one row per version of (tenant, kind, name). Deleting marks every
// version deleted; creating the name again continues the version sequence.
const policies: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('parsed', 'text', (c) => c.notNull())
      .addColumn('workload_selector', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('policies_name_version')
      .on('policies')
      .columns(['tenant_id', 'kind', 'name', 'version'])
      .unique()
      .execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': initialSchema,
  '0002_output_dead_letters': outputDeadLetters,
  '0003_policies': policies,
  '0004_events_alerts_index': eventsAlertIndexMigration,
  '0004_output_outbox': outputOutboxMigration,
  '0005_users': usersMigration,
  '0006_posture_snapshots': postureSnapshotsMigration,
  '0007_scan_image_digests': scanImageDigestsMigration,
};

const inCodeMigrations: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: inCodeMigrations });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
