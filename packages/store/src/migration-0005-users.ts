// Migration 0005_users: people who log in (users), their login sessions, and the owning user of
// an API token. Additive only: existing tokens keep working with no owner.

import type { Kysely, Migration } from 'kysely';

export const usersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('password_changed_at', 'text', (c) => c.notNull())
      .addColumn('last_login_at', 'text')
      .execute();
    // Names and emails are stored lower-case, so a plain unique index is case-insensitive.
    await db.schema.createIndex('users_name').on('users').column('name').unique().execute();
    await db.schema.createIndex('users_email').on('users').column('email').unique().execute();
    await db.schema.createIndex('users_tenant').on('users').columns(['tenant_id', 'name']).execute();

    await db.schema
      .createTable('user_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();
    await db.schema.createIndex('user_sessions_user').on('user_sessions').columns(['user_id', 'created_at']).execute();

    await db.schema.alterTable('tokens').addColumn('user_id', 'text').execute();
    await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();
  },
};
