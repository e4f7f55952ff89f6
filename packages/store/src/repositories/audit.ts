// The audit log: one row per change made through the API (who, what, on which object), listed
// newest first per tenant subtree. Entries are never updated or deleted.

import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { AuditLogTable, Database } from '../schema.js';

export interface AuditEntry {
  id: string;
  tenantId: string;
  /** "token:<id>" of the caller. */
  actor: string;
  /** "tenant.create", "token.revoke", "finding.suppress" … */
  action: string;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown> | null;
  at: string;
}

function toEntry(r: AuditLogTable): AuditEntry {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    at: r.at,
  };
}

export function createAuditRepository(db: Kysely<Database>) {
  return {
    async record(e: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          id: newId(),
          tenant_id: e.tenantId,
          actor: e.actor,
          action: e.action,
          target_type: e.targetType,
          target_id: e.targetId,
          detail: e.detail ? JSON.stringify(e.detail) : null,
          at: nowIso(),
        })
        .execute();
    },

    async list(scopePath: string, filter: { action?: string } = {}, page: PageRequest = {}): Promise<Page<AuditEntry>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom('audit_log')
        .innerJoin('tenants', 'tenants.id', 'audit_log.tenant_id')
        .selectAll('audit_log')
        .where('tenants.path', 'like', `${scopePath}%`);
      if (filter.action) q = q.where('audit_log.action', '=', filter.action);
      const rows = await applyKeyset(q, {
        sortColumn: 'audit_log.at',
        idColumn: 'audit_log.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.at, r.id], toEntry);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
