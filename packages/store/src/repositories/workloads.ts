// Workloads: hosts, VMs, containers, pods and functions, with where they run. A workload's id is
// derived from (tenant, kind, name), so every report of the same workload updates one row.

import { fingerprint } from '@palisade/core';
import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { Database, Provider, WorkloadKind, WorkloadsTable } from '../schema.js';

export interface WorkloadIdentity {
  kind: WorkloadKind;
  name: string;
  provider?: Provider;
  account?: string;
  region?: string;
  cluster?: string;
  namespace?: string;
  labels?: Record<string, string>;
  imageDigest?: string;
}

export interface Workload extends WorkloadIdentity {
  id: string;
  tenantId: string;
  labels: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
}

export interface WorkloadFilter {
  kind?: WorkloadKind;
  provider?: Provider;
  account?: string;
  region?: string;
  cluster?: string;
  namespace?: string;
  imageDigest?: string;
  /** Substring of the name. */
  q?: string;
}

export type WorkloadSort = 'lastSeen' | 'firstSeen' | 'name';

const SORT_COLUMNS = { lastSeen: 'last_seen', firstSeen: 'first_seen', name: 'name' } as const;

function toWorkload(r: WorkloadsTable): Workload {
  const w: Workload = {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind,
    name: r.name,
    labels: JSON.parse(r.labels) as Record<string, string>,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  };
  if (r.provider) w.provider = r.provider;
  if (r.account) w.account = r.account;
  if (r.region) w.region = r.region;
  if (r.cluster) w.cluster = r.cluster;
  if (r.namespace) w.namespace = r.namespace;
  if (r.image_digest) w.imageDigest = r.image_digest;
  return w;
}

export function workloadId(tenantId: string, kind: WorkloadKind, name: string): string {
  return `wl${fingerprint(tenantId, kind, name).slice(0, 24)}`;
}

export function createWorkloadRepository(db: Kysely<Database>) {
  return {
    /** Creates or refreshes a workload; keeps first_seen, overwrites what changed. */
    async upsert(tenantId: string, w: WorkloadIdentity, seenAt = nowIso()): Promise<Workload> {
      const row: WorkloadsTable = {
        id: workloadId(tenantId, w.kind, w.name),
        tenant_id: tenantId,
        kind: w.kind,
        name: w.name,
        provider: w.provider ?? null,
        account: w.account ?? null,
        region: w.region ?? null,
        cluster: w.cluster ?? null,
        namespace: w.namespace ?? null,
        labels: JSON.stringify(w.labels ?? {}),
        image_digest: w.imageDigest ?? null,
        first_seen: seenAt,
        last_seen: seenAt,
      };
      // A report that leaves a field out keeps what an earlier report said about it.
      await db
        .insertInto('workloads')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            provider: eb.fn.coalesce('excluded.provider', 'workloads.provider'),
            account: eb.fn.coalesce('excluded.account', 'workloads.account'),
            region: eb.fn.coalesce('excluded.region', 'workloads.region'),
            cluster: eb.fn.coalesce('excluded.cluster', 'workloads.cluster'),
            namespace: eb.fn.coalesce('excluded.namespace', 'workloads.namespace'),
            image_digest: eb.fn.coalesce('excluded.image_digest', 'workloads.image_digest'),
            labels: w.labels ? eb.ref('excluded.labels') : eb.ref('workloads.labels'),
            last_seen: eb.ref('excluded.last_seen'),
          })),
        )
        .execute();
      const stored = await db.selectFrom('workloads').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return toWorkload(stored);
    },

    async countWithin(scopePath: string): Promise<number> {
      const r = await db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async get(id: string, scopePath: string): Promise<Workload | undefined> {
      const r = await db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .selectAll('workloads')
        .where('workloads.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return r ? toWorkload(r) : undefined;
    },

    async list(
      scopePath: string,
      filter: WorkloadFilter = {},
      sort: { by?: WorkloadSort; direction?: 'asc' | 'desc' } = {},
      page: PageRequest = {},
    ): Promise<Page<Workload>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .selectAll('workloads')
        .where('tenants.path', 'like', `${scopePath}%`);
      if (filter.kind) q = q.where('workloads.kind', '=', filter.kind);
      if (filter.provider) q = q.where('workloads.provider', '=', filter.provider);
      if (filter.account) q = q.where('workloads.account', '=', filter.account);
      if (filter.region) q = q.where('workloads.region', '=', filter.region);
      if (filter.cluster) q = q.where('workloads.cluster', '=', filter.cluster);
      if (filter.namespace) q = q.where('workloads.namespace', '=', filter.namespace);
      if (filter.imageDigest) q = q.where('workloads.image_digest', '=', filter.imageDigest);
      if (filter.q) q = q.where('workloads.name', 'like', `%${filter.q.replace(/[%_\\]/g, '')}%`);
      const column = SORT_COLUMNS[sort.by ?? 'lastSeen'];
      const rows = await applyKeyset(q, {
        sortColumn: `workloads.${column}`,
        idColumn: 'workloads.id',
        direction: sort.direction ?? (sort.by === 'name' ? 'asc' : 'desc'),
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r[column], r.id], toWorkload);
    },
  };
}

export type WorkloadRepository = ReturnType<typeof createWorkloadRepository>;
