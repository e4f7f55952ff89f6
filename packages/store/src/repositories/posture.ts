// Console views over findings and alerts: daily posture snapshots per tenant (and trends built from
// them, gaps filled) and the ranking of workloads by a documented risk score.

import { InputError, SEVERITIES, type Severity } from '@palisade/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { decodeCursor, encodeCursor, type Page, type PageRequest, pageSize } from '../cursor.js';
import type { Database, Provider, WorkloadKind, WorkloadsTable } from '../schema.js';

/** An open finding: not fixed, and not under a suppression that is still in force at `now`. */
export function openFindingSql(now: string): RawBuilder<boolean> {
  return sql<boolean>`(findings.state = 'open' and not (findings.suppressed_at is not null and (findings.suppressed_until is null or findings.suppressed_until > ${now})))`;
}

export interface PostureCounts {
  total: number;
  bySeverity: Record<string, number>;
  byType: Record<string, number>;
}

export interface PosturePoint extends PostureCounts {
  /** UTC "YYYY-MM-DD". */
  day: string;
}

export interface PostureTrend {
  from: string;
  to: string;
  points: PosturePoint[];
}

/** Points per severity of each open finding of a workload. */
export const RISK_SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = {
  CRITICAL: 10,
  HIGH: 5,
  MEDIUM: 2,
  LOW: 1,
  UNKNOWN: 0,
};
/** An exposure finding (a port or rule open to the world) counts this many times its severity. */
export const RISK_EXPOSURE_MULTIPLIER = 2;
/** Points per runtime alert of the last 24 hours, by Falco priority (lower-cased). */
export const RISK_ALERT_WEIGHTS: Readonly<Record<string, number>> = {
  emergency: 10,
  alert: 10,
  critical: 10,
  error: 5,
  warning: 3,
  notice: 1,
  informational: 1,
  info: 1,
  debug: 0,
};
/** Weight of an alert whose priority is missing or not one of Falco's. */
const DEFAULT_ALERT_WEIGHT = 1;
export const RISK_ALERT_WINDOW_MS = 24 * 3600 * 1000;

export interface RiskCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
  /** Open exposure findings (already included in the severity counts). */
  exposure: number;
  /** Runtime alerts from the workload's agents in the last 24 hours. */
  alerts24h: number;
}

export interface WorkloadRisk {
  workload: {
    id: string;
    tenantId: string;
    kind: WorkloadKind;
    name: string;
    provider: Provider | null;
    cluster: string | null;
    namespace: string | null;
    imageDigest: string | null;
  };
  score: number;
  counts: RiskCounts;
}

export interface RiskFilter {
  kind?: WorkloadKind;
  provider?: Provider;
  cluster?: string;
  namespace?: string;
}

const DAY_MS = 24 * 3600 * 1000;
export const MAX_TREND_DAYS = 366;

export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function emptyCounts(): PostureCounts {
  return { total: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])), byType: {} };
}

function addCounts(into: PostureCounts, more: PostureCounts): void {
  into.total += more.total;
  for (const [k, n] of Object.entries(more.bySeverity)) into.bySeverity[k] = (into.bySeverity[k] ?? 0) + n;
  for (const [k, n] of Object.entries(more.byType)) into.byType[k] = (into.byType[k] ?? 0) + n;
}

function emptyRisk(): RiskCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0, exposure: 0, alerts24h: 0 };
}

export function createPostureRepository(db: Kysely<Database>) {
  return {
    /** Rewrites today's snapshot of one tenant's own open findings (its children have their own). */
    async recordSnapshot(tenantId: string, at = new Date()): Promise<PosturePoint> {
      const now = at.toISOString();
      const rows = await db
        .selectFrom('findings')
        .select(['findings.severity', 'findings.type', (eb) => eb.fn.countAll().as('n')])
        .where('findings.tenant_id', '=', tenantId)
        .where(openFindingSql(now))
        .groupBy(['findings.severity', 'findings.type'])
        .execute();
      const counts = emptyCounts();
      for (const r of rows) {
        const n = Number(r.n);
        counts.total += n;
        counts.bySeverity[r.severity] = (counts.bySeverity[r.severity] ?? 0) + n;
        counts.byType[r.type] = (counts.byType[r.type] ?? 0) + n;
      }
      const day = utcDay(at);
      const row = {
        tenant_id: tenantId,
        day,
        total: counts.total,
        by_severity: JSON.stringify(counts.bySeverity),
        by_type: JSON.stringify(counts.byType),
        updated_at: now,
      };
      await db
        .insertInto('posture_snapshots')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'day']).doUpdateSet((eb) => ({
            total: eb.ref('excluded.total'),
            by_severity: eb.ref('excluded.by_severity'),
            by_type: eb.ref('excluded.by_type'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
      return { day, ...counts };
    },

    /**
     * One point per UTC day for the last `days` days (today included), summed over the subtree.
     * A tenant's counts hold from its last snapshot until the next: a day without one is a day
     * on which nothing changed, so it carries the previous value forward.
     */
    async trends(scopePath: string, days: number, today = new Date()): Promise<PostureTrend> {
      if (!Number.isInteger(days) || days < 1 || days > MAX_TREND_DAYS)
        throw new InputError(`days ${days} is out of range (1..${MAX_TREND_DAYS})`);
      const dayList: string[] = [];
      for (let i = days - 1; i >= 0; i--) dayList.push(utcDay(new Date(today.getTime() - i * DAY_MS)));
      const from = dayList[0] as string;
      const to = dayList[dayList.length - 1] as string;

      const inRange = await db
        .selectFrom('posture_snapshots')
        .innerJoin('tenants', 'tenants.id', 'posture_snapshots.tenant_id')
        .selectAll('posture_snapshots')
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('posture_snapshots.day', '>=', from)
        .where('posture_snapshots.day', '<=', to)
        .execute();
      // Each tenant's last snapshot before the window: the value the window starts from.
      const carried = await db
        .selectFrom('posture_snapshots')
        .innerJoin('tenants', 'tenants.id', 'posture_snapshots.tenant_id')
        .innerJoin(
          (eb) =>
            eb
              .selectFrom('posture_snapshots')
              .select(['tenant_id', (e) => e.fn.max('day').as('last_day')])
              .where('day', '<', from)
              .groupBy('tenant_id')
              .as('before'),
          (join) =>
            join
              .onRef('before.tenant_id', '=', 'posture_snapshots.tenant_id')
              .onRef('before.last_day', '=', 'posture_snapshots.day'),
        )
        .selectAll('posture_snapshots')
        .where('tenants.path', 'like', `${scopePath}%`)
        .execute();

      const toCounts = (r: { total: number; by_severity: string; by_type: string }): PostureCounts => ({
        total: Number(r.total),
        bySeverity: JSON.parse(r.by_severity) as Record<string, number>,
        byType: JSON.parse(r.by_type) as Record<string, number>,
      });
      const byTenant = new Map<string, Map<string, PostureCounts>>();
      const current = new Map<string, PostureCounts>();
      for (const r of carried) current.set(r.tenant_id, toCounts(r));
      for (const r of inRange) {
        let m = byTenant.get(r.tenant_id);
        if (!m) {
          m = new Map();
          byTenant.set(r.tenant_id, m);
        }
        m.set(r.day, toCounts(r));
      }
      const points: PosturePoint[] = [];
      for (const day of dayList) {
        for (const [tenantId, m] of byTenant) {
          const c = m.get(day);
          if (c) current.set(tenantId, c);
        }
        const point = { day, ...emptyCounts() };
        for (const c of current.values()) addCounts(point, c);
        points.push(point);
      }
      return { from, to, points };
    },

    /**
     * Workloads ranked by risk score (highest first), with the counts it is made of. Only
     * workloads with at least one open finding or recent alert are ranked.
     */
    async topRisks(
      scopePath: string,
      filter: RiskFilter = {},
      page: PageRequest = {},
      at = new Date(),
    ): Promise<Page<WorkloadRisk>> {
      const limit = pageSize(page.limit);
      const now = at.toISOString();
      const since = new Date(at.getTime() - RISK_ALERT_WINDOW_MS).toISOString();

      // Workloads in scope that pass the filter. The counts below select through it rather than
      // join it, so each count walks one index instead of looking up a workload per finding.
      let inScope = db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .select('workloads.id')
        .where('tenants.path', 'like', `${scopePath}%`);
      for (const [key, column] of [
        ['kind', 'workloads.kind'],
        ['provider', 'workloads.provider'],
        ['cluster', 'workloads.cluster'],
        ['namespace', 'workloads.namespace'],
      ] as const) {
        const value = filter[key];
        if (value !== undefined) inScope = inScope.where(column, '=', value);
      }
      const tenantsInScope = db.selectFrom('tenants').select('id').where('path', 'like', `${scopePath}%`);
      const [findingRows, alertRows, agentRows] = await Promise.all([
        db
          .selectFrom('findings')
          .select(['findings.workload_id', 'findings.severity', 'findings.type', (eb) => eb.fn.countAll().as('n')])
          // A finding's workload is in its own tenant, so the workload scope is the tenant scope.
          .where('findings.workload_id', 'in', inScope)
          .where(openFindingSql(now))
          .groupBy(['findings.workload_id', 'findings.severity', 'findings.type'])
          .execute(),
        db
          .selectFrom('events')
          .select(['events.agent_id', 'events.priority', (eb) => eb.fn.countAll().as('n')])
          .where('events.tenant_id', 'in', tenantsInScope)
          .where('events.rule', 'is not', null)
          .where('events.ts', '>=', since)
          .groupBy(['events.agent_id', 'events.priority'])
          .execute(),
        db
          .selectFrom('agents')
          .select(['agents.id', 'agents.workload_id'])
          .where('agents.workload_id', 'in', inScope)
          .execute(),
      ]);
      const workloadOfAgent = new Map(agentRows.map((a) => [a.id, a.workload_id]));

      const tally = new Map<string, { counts: RiskCounts; score: number }>();
      const entry = (id: string) => {
        let t = tally.get(id);
        if (!t) {
          t = { counts: emptyRisk(), score: 0 };
          tally.set(id, t);
        }
        return t;
      };
      for (const r of findingRows) {
        if (!r.workload_id) continue;
        const t = entry(r.workload_id);
        const n = Number(r.n);
        const severity = (SEVERITIES as readonly string[]).includes(r.severity) ? (r.severity as Severity) : 'UNKNOWN';
        t.counts[severity.toLowerCase() as Lowercase<Severity>] += n;
        const exposure = r.type === 'exposure';
        if (exposure) t.counts.exposure += n;
        t.score += n * RISK_SEVERITY_WEIGHTS[severity] * (exposure ? RISK_EXPOSURE_MULTIPLIER : 1);
      }
      for (const r of alertRows) {
        const workload = r.agent_id ? workloadOfAgent.get(r.agent_id) : undefined;
        if (!workload) continue;
        const t = entry(workload);
        const n = Number(r.n);
        t.counts.alerts24h += n;
        t.score += n * (RISK_ALERT_WEIGHTS[(r.priority ?? '').toLowerCase()] ?? DEFAULT_ALERT_WEIGHT);
      }

      let ranked = [...tally.entries()]
        .map(([id, t]) => ({ id, ...t }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (page.cursor) {
        const [score, lastId] = decodeCursor(page.cursor);
        if (typeof score !== 'number') throw new InputError('cursor does not belong to the risk ranking');
        ranked = ranked.filter((r) => r.score < score || (r.score === score && r.id > lastId));
      }
      const kept = ranked.slice(0, limit);
      const workloads =
        kept.length === 0
          ? []
          : await db
              .selectFrom('workloads')
              .selectAll()
              .where(
                'id',
                'in',
                kept.map((k) => k.id),
              )
              .execute();
      const byId = new Map<string, WorkloadsTable>(workloads.map((w) => [w.id, w]));
      const items: WorkloadRisk[] = [];
      for (const k of kept) {
        const w = byId.get(k.id);
        if (!w) continue;
        items.push({
          workload: {
            id: w.id,
            tenantId: w.tenant_id,
            kind: w.kind,
            name: w.name,
            provider: w.provider,
            cluster: w.cluster,
            namespace: w.namespace,
            imageDigest: w.image_digest,
          },
          score: k.score,
          counts: k.counts,
        });
      }
      const last = kept[kept.length - 1];
      const result: Page<WorkloadRisk> = { items };
      if (ranked.length > limit && last) result.nextCursor = encodeCursor(last.score, last.id);
      return result;
    },
  };
}

export type PostureRepository = ReturnType<typeof createPostureRepository>;
