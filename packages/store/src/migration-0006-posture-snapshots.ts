// Migration 0006_posture_snapshots: one row per tenant and UTC day holding its open findings by
// severity and type, rewritten whenever its findings change, so trends need no event replay.
// Existing findings are counted once here, so a store that already has some starts its trends today.

import { type Kysely, type Migration, sql } from 'kysely';

export const postureSnapshotsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('posture_snapshots')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('by_severity', 'text', (c) => c.notNull())
      .addColumn('by_type', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('posture_snapshots_pk', ['tenant_id', 'day'])
      .execute();
    // Covers the count a snapshot (and the posture summary) makes of a tenant's open findings.
    await db.schema
      .createIndex('findings_tenant_state_counts')
      .on('findings')
      .columns(['tenant_id', 'state', 'severity', 'type', 'suppressed_at', 'suppressed_until'])
      .execute();

    const now = new Date().toISOString();
    const { rows } = await sql<{ tenant_id: string; severity: string; type: string; n: number | string }>`
      select tenant_id, severity, type, count(*) as n from findings
      where state = 'open'
        and not (suppressed_at is not null and (suppressed_until is null or suppressed_until > ${now}))
      group by tenant_id, severity, type`.execute(db);
    const byTenant = new Map<
      string,
      { total: number; bySeverity: Record<string, number>; byType: Record<string, number> }
    >();
    for (const r of rows) {
      let t = byTenant.get(r.tenant_id);
      if (!t) {
        t = { total: 0, bySeverity: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 }, byType: {} };
        byTenant.set(r.tenant_id, t);
      }
      const n = Number(r.n);
      t.total += n;
      t.bySeverity[r.severity] = (t.bySeverity[r.severity] ?? 0) + n;
      t.byType[r.type] = (t.byType[r.type] ?? 0) + n;
    }
    for (const [tenantId, t] of byTenant) {
      await sql`insert into posture_snapshots (tenant_id, day, total, by_severity, by_type, updated_at)
        values (${tenantId}, ${now.slice(0, 10)}, ${t.total}, ${JSON.stringify(t.bySeverity)}, ${JSON.stringify(t.byType)}, ${now})`.execute(
        db,
      );
    }
  },
};
