// Tenants: the tree organisation → cloud account / cluster / team. A token scoped to a tenant sees
// that tenant and everything under it; `path` ("/a/b/") makes the subtree one prefix match.

import { NotFoundError, UsageError } from '@palisade/core';
import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { Database, TenantKind, TenantsTable } from '../schema.js';

export interface Tenant {
  id: string;
  parentId: string | null;
  name: string;
  kind: TenantKind;
  path: string;
  createdAt: string;
}

function toTenant(r: TenantsTable): Tenant {
  return { id: r.id, parentId: r.parent_id, name: r.name, kind: r.kind, path: r.path, createdAt: r.created_at };
}

export function createTenantRepository(db: Kysely<Database>) {
  return {
    async count(): Promise<number> {
      const r = await db
        .selectFrom('tenants')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async createRoot(name: string, id = 'root'): Promise<Tenant> {
      const row: TenantsTable = { id, parent_id: null, name, kind: 'org', path: `/${id}/`, created_at: nowIso() };
      await db.insertInto('tenants').values(row).execute();
      return toTenant(row);
    },

    async create(input: { parentId: string; name: string; kind: TenantKind }): Promise<Tenant> {
      const parent = await db.selectFrom('tenants').selectAll().where('id', '=', input.parentId).executeTakeFirst();
      if (!parent) throw new NotFoundError(`tenant ${input.parentId} not found`);
      if (input.kind === 'org')
        throw new UsageError('only the root tenant is an organisation; choose account, cluster or team');
      const id = newId();
      const row: TenantsTable = {
        id,
        parent_id: parent.id,
        name: input.name,
        kind: input.kind,
        path: `${parent.path}${id}/`,
        created_at: nowIso(),
      };
      await db.insertInto('tenants').values(row).execute();
      return toTenant(row);
    },

    async get(id: string): Promise<Tenant | undefined> {
      const r = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toTenant(r) : undefined;
    },

    /** The tenant, if it lies within the subtree rooted at `scopePath`. */
    async getWithin(id: string, scopePath: string): Promise<Tenant | undefined> {
      const r = await db
        .selectFrom('tenants')
        .selectAll()
        .where('id', '=', id)
        .where('path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return r ? toTenant(r) : undefined;
    },

    async list(scopePath: string, page: PageRequest = {}): Promise<Page<Tenant>> {
      const limit = pageSize(page.limit);
      const q = db.selectFrom('tenants').selectAll().where('path', 'like', `${scopePath}%`);
      const rows = await applyKeyset(q, {
        sortColumn: 'tenants.path',
        idColumn: 'tenants.id',
        direction: 'asc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.path, r.id], toTenant);
    },

    async rename(id: string, name: string): Promise<Tenant> {
      await db.updateTable('tenants').set({ name }).where('id', '=', id).execute();
      const t = await this.get(id);
      if (!t) throw new NotFoundError(`tenant ${id} not found`);
      return t;
    },

    /** Deletes an empty leaf tenant; refuses while children or data still point at it. */
    async delete(id: string): Promise<void> {
      const t = await this.get(id);
      if (!t) throw new NotFoundError(`tenant ${id} not found`);
      if (t.parentId === null) throw new UsageError('the root tenant cannot be deleted');
      const owners = ['tenants', 'tokens', 'workloads', 'scans', 'agents', 'users'] as const;
      for (const table of owners) {
        const column = table === 'tenants' ? 'parent_id' : 'tenant_id';
        const r = await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where(column, '=', id)
          .executeTakeFirstOrThrow();
        if (Number(r.n) > 0) throw new UsageError(`tenant ${id} still has ${table}; delete or move them first`);
      }
      await db.deleteFrom('tenants').where('id', '=', id).execute();
    },
  };
}

export type TenantRepository = ReturnType<typeof createTenantRepository>;
