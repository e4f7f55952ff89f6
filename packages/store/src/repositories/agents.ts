// Agents: registration (one row per agent token + name), heartbeats with version and health, and
// the "connected" view (heard from within a window) that metrics and the console use.

import { fingerprint, NotFoundError } from '@palisade/core';
import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { AgentsTable, Database } from '../schema.js';

export interface Agent {
  id: string;
  tenantId: string;
  name: string;
  hostname: string | null;
  version: string | null;
  workloadId: string | null;
  health: Record<string, unknown>;
  registeredAt: string;
  lastSeen: string;
}

export interface AgentRegistration {
  name: string;
  hostname?: string;
  version?: string;
  workloadId?: string;
}

function toAgent(r: AgentsTable): Agent {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    hostname: r.hostname,
    version: r.version,
    workloadId: r.workload_id,
    health: JSON.parse(r.health) as Record<string, unknown>,
    registeredAt: r.registered_at,
    lastSeen: r.last_seen,
  };
}

export function createAgentRepository(db: Kysely<Database>) {
  return {
    /** Registering the same name again in the same tenant returns the same agent (restarts). */
    async register(tenantId: string, reg: AgentRegistration): Promise<Agent> {
      const now = nowIso();
      const row: AgentsTable = {
        id: `ag${fingerprint(tenantId, reg.name).slice(0, 24)}`,
        tenant_id: tenantId,
        name: reg.name,
        hostname: reg.hostname ?? null,
        version: reg.version ?? null,
        workload_id: reg.workloadId ?? null,
        health: '{}',
        registered_at: now,
        last_seen: now,
      };
      await db
        .insertInto('agents')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            hostname: row.hostname,
            version: row.version,
            workload_id: row.workload_id,
            last_seen: now,
          }),
        )
        .execute();
      const stored = await db.selectFrom('agents').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return toAgent(stored);
    },

    async heartbeat(
      id: string,
      scopePath: string,
      beat: { version?: string; health?: Record<string, unknown> },
    ): Promise<Agent> {
      const agent = await this.get(id, scopePath);
      if (!agent) throw new NotFoundError(`agent ${id} not found`);
      const set: Partial<AgentsTable> = { last_seen: nowIso() };
      if (beat.version) set.version = beat.version;
      if (beat.health) set.health = JSON.stringify(beat.health);
      await db.updateTable('agents').set(set).where('id', '=', id).execute();
      const after = await this.get(id, scopePath);
      if (!after) throw new NotFoundError(`agent ${id} not found`);
      return after;
    },

    async get(id: string, scopePath: string): Promise<Agent | undefined> {
      const r = await db
        .selectFrom('agents')
        .innerJoin('tenants', 'tenants.id', 'agents.tenant_id')
        .selectAll('agents')
        .where('agents.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return r ? toAgent(r) : undefined;
    },

    async list(scopePath: string, page: PageRequest = {}): Promise<Page<Agent>> {
      const limit = pageSize(page.limit);
      const q = db
        .selectFrom('agents')
        .innerJoin('tenants', 'tenants.id', 'agents.tenant_id')
        .selectAll('agents')
        .where('tenants.path', 'like', `${scopePath}%`);
      const rows = await applyKeyset(q, {
        sortColumn: 'agents.last_seen',
        idColumn: 'agents.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.last_seen, r.id], toAgent);
    },

    async countWithin(scopePath: string): Promise<number> {
      const r = await db
        .selectFrom('agents')
        .innerJoin('tenants', 'tenants.id', 'agents.tenant_id')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Agents heard from at or after `since`, across all tenants (a server-wide gauge). */
    async countSeenSince(since: string): Promise<number> {
      const r = await db
        .selectFrom('agents')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('last_seen', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type AgentRepository = ReturnType<typeof createAgentRepository>;
