// Policies: versioned documents of any kind, named per tenant, each version a row. Selector
// matching against workloads lives in the server (it needs @palisade/network's selector grammar).

import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { Database, PoliciesTable } from '../schema.js';

export interface Policy {
  /** The id of this version. */
  id: string;
  tenantId: string;
  kind: string;
  name: string;
  version: number;
  /** The YAML/JSON text as it was sent. */
  document: string;
  /** The parsed document. */
  parsed: unknown;
  /** Calico selector over workload labels; "" selects every workload of the tenant. */
  workloadSelector: string;
  createdAt: string;
  createdBy: string | null;
  deleted: boolean;
}

export interface NewPolicy {
  kind: string;
  name: string;
  document: string;
  parsed: unknown;
  workloadSelector: string;
  createdBy?: string;
}

function toPolicy(r: PoliciesTable): Policy {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind,
    name: r.name,
    version: Number(r.version),
    document: r.document,
    parsed: JSON.parse(r.parsed) as unknown,
    workloadSelector: r.workload_selector,
    createdAt: r.created_at,
    createdBy: r.created_by,
    deleted: Number(r.deleted) === 1,
  };
}

// Two concurrent creates of one name race for the same version number; the unique index makes
// the loser fail, and it simply takes the next number.
const CREATE_ATTEMPTS = 5;

export function createPolicyRepository(db: Kysely<Database>) {
  /** Rows that are the newest version of their name and not deleted. */
  function latestLive(scopePath: string) {
    return db
      .selectFrom('policies')
      .innerJoin('tenants', 'tenants.id', 'policies.tenant_id')
      .selectAll('policies')
      .where('tenants.path', 'like', `${scopePath}%`)
      .where('policies.deleted', '=', 0)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('policies as newer')
              .select('newer.id')
              .whereRef('newer.tenant_id', '=', 'policies.tenant_id')
              .whereRef('newer.kind', '=', 'policies.kind')
              .whereRef('newer.name', '=', 'policies.name')
              .whereRef('newer.version', '>', 'policies.version'),
          ),
        ),
      );
  }

  return {
    /** Stores a new version of (tenant, kind, name): 1 for a new name, else the previous + 1. */
    async create(tenantId: string, p: NewPolicy): Promise<Policy> {
      let lastError: unknown;
      for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        const prev = await db
          .selectFrom('policies')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('tenant_id', '=', tenantId)
          .where('kind', '=', p.kind)
          .where('name', '=', p.name)
          .executeTakeFirst();
        const row: PoliciesTable = {
          id: newId(),
          tenant_id: tenantId,
          kind: p.kind,
          name: p.name,
          version: Number(prev?.v ?? 0) + 1,
          document: p.document,
          parsed: JSON.stringify(p.parsed ?? null),
          workload_selector: p.workloadSelector,
          created_at: nowIso(),
          created_by: p.createdBy ?? null,
          deleted: 0,
        };
        try {
          await db.insertInto('policies').values(row).execute();
          return toPolicy(row);
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError;
    },

    /** The newest live version of every name, newest first, optionally of one kind. */
    async list(scopePath: string, filter: { kind?: string } = {}, page: PageRequest = {}): Promise<Page<Policy>> {
      const limit = pageSize(page.limit);
      let q = latestLive(scopePath);
      if (filter.kind) q = q.where('policies.kind', '=', filter.kind);
      const rows = await applyKeyset(q, {
        sortColumn: 'policies.created_at',
        idColumn: 'policies.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.created_at, r.id], toPolicy);
    },

    /** Every newest live version in one tenant (not its children): what its agents may receive. */
    async latestInTenant(tenantId: string): Promise<Policy[]> {
      const rows = await latestLive('/')
        .where('policies.tenant_id', '=', tenantId)
        .orderBy('policies.kind')
        .orderBy('policies.name')
        .execute();
      return rows.map(toPolicy);
    },

    /** One version by id, if inside the caller's tenant subtree (deleted ones too). */
    async getWithin(id: string, scopePath: string): Promise<Policy | undefined> {
      const row = await db
        .selectFrom('policies')
        .innerJoin('tenants', 'tenants.id', 'policies.tenant_id')
        .selectAll('policies')
        .where('policies.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return row ? toPolicy(row) : undefined;
    },

    /** Every version of the name the given version belongs to, newest first. */
    async versions(id: string, scopePath: string): Promise<Policy[] | undefined> {
      const one = await this.getWithin(id, scopePath);
      if (!one) return undefined;
      const rows = await db
        .selectFrom('policies')
        .selectAll()
        .where('tenant_id', '=', one.tenantId)
        .where('kind', '=', one.kind)
        .where('name', '=', one.name)
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toPolicy);
    },

    /** Soft-deletes the whole name of the given version; undefined if not found or already deleted. */
    async delete(id: string, scopePath: string): Promise<Policy | undefined> {
      const one = await this.getWithin(id, scopePath);
      if (!one || one.deleted) return undefined;
      const r = await db
        .updateTable('policies')
        .set({ deleted: 1 })
        .where('tenant_id', '=', one.tenantId)
        .where('kind', '=', one.kind)
        .where('name', '=', one.name)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      return { ...one, deleted: true };
    },
  };
}

export type PolicyRepository = ReturnType<typeof createPolicyRepository>;
