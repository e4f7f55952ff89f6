// Public API of @palisade/store: open a store (SQLite or PostgreSQL), its repositories' types,
// the schema, the token format and the cursor pagination helpers.

export * from './cursor.js';
export { newId, nowIso } from './ids.js';
export { migrateToLatest, migrations } from './migrations.js';
export { isPostgresUrl, type OpenStoreOptions, openStore, type Store, type StoreDialect } from './open-store.js';
export * from './repositories/agents.js';
export * from './repositories/audit.js';
export * from './repositories/dead-letters.js';
export * from './repositories/events.js';
export * from './repositories/findings.js';
export * from './repositories/images.js';
export * from './repositories/outbox.js';
export * from './repositories/policies.js';
export * from './repositories/posture.js';
export * from './repositories/tenants.js';
export * from './repositories/tokens.js';
export * from './repositories/users.js';
export * from './repositories/workloads.js';
export * from './schema.js';
export * from './token-format.js';
