// Findings and scans: a scan upload upserts its findings deduplicated by fingerprint per tenant and
// target, and moves each through open → fixed (absent from a newer scan) → reopened, with history.

import { type Finding, fingerprint, NotFoundError, type ScanReport, type Severity, severityRank } from '@palisade/core';
import { type Kysely, sql } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { Database, FindingHistoryAction, FindingHistoryTable, FindingsTable } from '../schema.js';

export type FindingStatusFilter = 'open' | 'fixed' | 'suppressed';

export interface StoredFinding {
  /** Row id: unique per tenant + target + fingerprint. */
  id: string;
  tenantId: string;
  target: string;
  workloadId: string | null;
  fingerprint: string;
  type: string;
  ruleId: string;
  severity: Severity;
  title: string;
  packageName: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  status: FindingStatusFilter;
  firstSeen: string;
  lastSeen: string;
  fixedAt: string | null;
  lastScanId: string;
  suppression: { by: string | null; reason: string | null; at: string; until: string | null } | null;
  finding: Finding;
}

export interface FindingHistoryEntry {
  action: FindingHistoryAction;
  at: string;
  scanId: string | null;
  actor: string | null;
  detail: string | null;
}

export interface FindingFilter {
  status?: FindingStatusFilter;
  severity?: Severity[];
  type?: string;
  ruleId?: string;
  workloadId?: string;
  target?: string;
  packageName?: string;
}

export type FindingSort = 'lastSeen' | 'firstSeen' | 'severity';
const SORT_COLUMNS = { lastSeen: 'last_seen', firstSeen: 'first_seen', severity: 'severity_rank' } as const;

export interface ScanIngestInput {
  tenantId: string;
  workloadId?: string;
  report: ScanReport;
  uploadedBy?: string;
}

export interface ScanIngestResult {
  scanId: string;
  target: string;
  findings: number;
  opened: number;
  reopened: number;
  fixed: number;
  unchanged: number;
}

// Rows per multi-row statement: well under SQLite's 32766 and PostgreSQL's 65535 parameters.
const CHUNK = 400;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isSuppressed(r: FindingsTable, now: string): boolean {
  return r.suppressed_at !== null && (r.suppressed_until === null || r.suppressed_until > now);
}

function toStored(r: FindingsTable, now = nowIso()): StoredFinding {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    target: r.target,
    workloadId: r.workload_id,
    fingerprint: r.fingerprint,
    type: r.type,
    ruleId: r.rule_id,
    severity: r.severity as Severity,
    title: r.title,
    packageName: r.package_name,
    installedVersion: r.installed_version,
    fixedVersion: r.fixed_version,
    status: r.state === 'fixed' ? 'fixed' : isSuppressed(r, now) ? 'suppressed' : 'open',
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    fixedAt: r.fixed_at,
    lastScanId: r.last_scan_id,
    suppression:
      r.suppressed_at === null
        ? null
        : { by: r.suppressed_by, reason: r.suppression_reason, at: r.suppressed_at, until: r.suppressed_until },
    finding: JSON.parse(r.data) as Finding,
  };
}

/** The target findings are deduplicated under: the workload when known, else the artifact. */
export function scanTarget(report: ScanReport, workloadId?: string): string {
  return workloadId ? `workload:${workloadId}` : `artifact:${report.artifact.name}`;
}

function findingFingerprint(f: Finding, resultTarget: string): string {
  return f.id || fingerprint(f.type, f.ruleId, resultTarget, f.target?.path, f.package?.name, f.installedVersion);
}

export function createFindingRepository(db: Kysely<Database>) {
  return {
    async ingestScan(input: ScanIngestInput): Promise<ScanIngestResult> {
      const { tenantId, report } = input;
      const target = scanTarget(report, input.workloadId);
      const now = nowIso();
      const scanId = newId();

      // Flatten and deduplicate: the same fingerprint reported twice in one scan is one finding.
      const incoming = new Map<string, Finding>();
      for (const result of report.results) {
        for (const f of result.findings) incoming.set(findingFingerprint(f, result.target), f);
      }

      return db.transaction().execute(async (trx) => {
        const latest = await trx
          .selectFrom('scans')
          .select((eb) => eb.fn.max('created_at').as('latest'))
          .where('tenant_id', '=', tenantId)
          .where('target', '=', target)
          .executeTakeFirst();
        // A scan older than one already stored (a late upload) adds findings but closes nothing.
        const isNewest = !latest?.latest || report.createdAt >= latest.latest;

        await trx
          .insertInto('scans')
          .values({
            id: scanId,
            tenant_id: tenantId,
            workload_id: input.workloadId ?? null,
            target,
            artifact_name: report.artifact.name,
            artifact_type: report.artifact.type,
            created_at: report.createdAt,
            received_at: now,
            finding_count: incoming.size,
            uploaded_by: input.uploadedBy ?? null,
          })
          .execute();

        const existing = await trx
          .selectFrom('findings')
          .select(['id', 'fingerprint', 'state'])
          .where('tenant_id', '=', tenantId)
          .where('target', '=', target)
          .execute();
        const existingByFp = new Map(existing.map((e) => [e.fingerprint, e]));

        const history: FindingHistoryTable[] = [];
        const rows: FindingsTable[] = [];
        let opened = 0;
        let reopened = 0;
        let unchanged = 0;
        for (const [fp, f] of incoming) {
          const id = fingerprint(tenantId, target, fp);
          const prior = existingByFp.get(fp);
          if (!prior) opened++;
          else if (prior.state === 'fixed') reopened++;
          else unchanged++;
          if (!prior || prior.state === 'fixed') {
            const action = prior ? 'reopened' : 'opened';
            history.push({
              id: newId(),
              tenant_id: tenantId,
              finding_id: id,
              action,
              scan_id: scanId,
              actor: null,
              detail: null,
              at: now,
            });
          }
          rows.push({
            id,
            tenant_id: tenantId,
            target,
            workload_id: input.workloadId ?? null,
            fingerprint: fp,
            type: f.type,
            rule_id: f.ruleId,
            severity: f.severity,
            severity_rank: severityRank(f.severity),
            title: f.title,
            package_name: f.package?.name ?? null,
            installed_version: f.installedVersion ?? f.package?.version ?? null,
            fixed_version: f.fixedVersion ?? null,
            state: 'open',
            data: JSON.stringify(f),
            first_seen: now,
            last_seen: now,
            fixed_at: null,
            last_scan_id: scanId,
            suppressed_at: null,
            suppressed_by: null,
            suppression_reason: null,
            suppressed_until: null,
          });
        }

        for (const batch of chunks(rows)) {
          await trx
            .insertInto('findings')
            .values(batch)
            .onConflict((oc) =>
              oc.column('id').doUpdateSet((eb) => ({
                type: eb.ref('excluded.type'),
                rule_id: eb.ref('excluded.rule_id'),
                severity: eb.ref('excluded.severity'),
                severity_rank: eb.ref('excluded.severity_rank'),
                title: eb.ref('excluded.title'),
                package_name: eb.ref('excluded.package_name'),
                installed_version: eb.ref('excluded.installed_version'),
                fixed_version: eb.ref('excluded.fixed_version'),
                state: eb.ref('excluded.state'),
                data: eb.ref('excluded.data'),
                last_seen: eb.ref('excluded.last_seen'),
                fixed_at: eb.ref('excluded.fixed_at'),
                last_scan_id: eb.ref('excluded.last_scan_id'),
              })),
            )
            .execute();
        }

        const toFix = isNewest
          ? existing.filter((e) => e.state === 'open' && !incoming.has(e.fingerprint)).map((e) => e.id)
          : [];
        for (const batch of chunks(toFix)) {
          await trx
            .updateTable('findings')
            .set({ state: 'fixed', fixed_at: now, last_scan_id: scanId })
            .where('id', 'in', batch)
            .execute();
        }
        for (const id of toFix) {
          history.push({
            id: newId(),
            tenant_id: tenantId,
            finding_id: id,
            action: 'fixed',
            scan_id: scanId,
            actor: null,
            detail: null,
            at: now,
          });
        }
        for (const batch of chunks(history)) await trx.insertInto('finding_history').values(batch).execute();

        return { scanId, target, findings: incoming.size, opened, reopened, fixed: toFix.length, unchanged };
      });
    },

    async get(id: string, scopePath: string): Promise<StoredFinding | undefined> {
      const r = await db
        .selectFrom('findings')
        .innerJoin('tenants', 'tenants.id', 'findings.tenant_id')
        .selectAll('findings')
        .where('findings.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return r ? toStored(r) : undefined;
    },

    async list(
      scopePath: string,
      filter: FindingFilter = {},
      sort: { by?: FindingSort; direction?: 'asc' | 'desc' } = {},
      page: PageRequest = {},
    ): Promise<Page<StoredFinding>> {
      const limit = pageSize(page.limit);
      const now = nowIso();
      let q = db
        .selectFrom('findings')
        .innerJoin('tenants', 'tenants.id', 'findings.tenant_id')
        .selectAll('findings')
        .where('tenants.path', 'like', `${scopePath}%`);
      const suppressed = sql<boolean>`(findings.suppressed_at is not null and (findings.suppressed_until is null or findings.suppressed_until > ${now}))`;
      if (filter.status === 'fixed') q = q.where('findings.state', '=', 'fixed');
      if (filter.status === 'open') q = q.where('findings.state', '=', 'open').where(sql<boolean>`not ${suppressed}`);
      if (filter.status === 'suppressed') q = q.where('findings.state', '=', 'open').where(suppressed);
      if (filter.severity?.length) q = q.where('findings.severity', 'in', filter.severity);
      if (filter.type) q = q.where('findings.type', '=', filter.type);
      if (filter.ruleId) q = q.where('findings.rule_id', '=', filter.ruleId);
      if (filter.workloadId) q = q.where('findings.workload_id', '=', filter.workloadId);
      if (filter.target) q = q.where('findings.target', '=', filter.target);
      if (filter.packageName) q = q.where('findings.package_name', '=', filter.packageName);
      const column = SORT_COLUMNS[sort.by ?? 'lastSeen'];
      const rows = await applyKeyset(q, {
        sortColumn: `findings.${column}`,
        idColumn: 'findings.id',
        direction: sort.direction ?? 'desc',
        limit,
        cursor: page.cursor,
        numeric: column === 'severity_rank',
      }).execute();
      return toPage(
        rows,
        limit,
        (r) => [r[column], r.id],
        (r) => toStored(r, now),
      );
    },

    async suppress(
      id: string,
      scopePath: string,
      s: { reason: string; by: string; until?: string | null },
    ): Promise<StoredFinding> {
      const found = await this.get(id, scopePath);
      if (!found) throw new NotFoundError(`finding ${id} not found`);
      const now = nowIso();
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('findings')
          .set({
            suppressed_at: now,
            suppressed_by: s.by,
            suppression_reason: s.reason,
            suppressed_until: s.until ?? null,
          })
          .where('id', '=', id)
          .execute();
        await trx
          .insertInto('finding_history')
          .values({
            id: newId(),
            tenant_id: found.tenantId,
            finding_id: id,
            action: 'suppressed',
            scan_id: null,
            actor: s.by,
            detail: s.reason,
            at: now,
          })
          .execute();
      });
      const after = await this.get(id, scopePath);
      if (!after) throw new NotFoundError(`finding ${id} not found`);
      return after;
    },

    async unsuppress(id: string, scopePath: string, by: string): Promise<StoredFinding> {
      const found = await this.get(id, scopePath);
      if (!found) throw new NotFoundError(`finding ${id} not found`);
      const now = nowIso();
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('findings')
          .set({ suppressed_at: null, suppressed_by: null, suppression_reason: null, suppressed_until: null })
          .where('id', '=', id)
          .execute();
        await trx
          .insertInto('finding_history')
          .values({
            id: newId(),
            tenant_id: found.tenantId,
            finding_id: id,
            action: 'unsuppressed',
            scan_id: null,
            actor: by,
            detail: null,
            at: now,
          })
          .execute();
      });
      const after = await this.get(id, scopePath);
      if (!after) throw new NotFoundError(`finding ${id} not found`);
      return after;
    },

    async history(id: string, scopePath: string): Promise<FindingHistoryEntry[]> {
      const found = await this.get(id, scopePath);
      if (!found) throw new NotFoundError(`finding ${id} not found`);
      const rows = await db
        .selectFrom('finding_history')
        .selectAll()
        .where('finding_id', '=', id)
        .orderBy('at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map((r) => ({ action: r.action, at: r.at, scanId: r.scan_id, actor: r.actor, detail: r.detail }));
    },

    /** Open, unsuppressed findings counted by severity and by type, for the posture view. */
    async summary(
      scopePath: string,
    ): Promise<{ bySeverity: Record<string, number>; byType: Record<string, number>; total: number }> {
      const now = nowIso();
      const rows = await db
        .selectFrom('findings')
        .innerJoin('tenants', 'tenants.id', 'findings.tenant_id')
        .select(['findings.severity', 'findings.type', (eb) => eb.fn.countAll().as('n')])
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('findings.state', '=', 'open')
        .where(
          sql<boolean>`not (findings.suppressed_at is not null and (findings.suppressed_until is null or findings.suppressed_until > ${now}))`,
        )
        .groupBy(['findings.severity', 'findings.type'])
        .execute();
      const bySeverity: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
      const byType: Record<string, number> = {};
      let total = 0;
      for (const r of rows) {
        const n = Number(r.n);
        bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + n;
        byType[r.type] = (byType[r.type] ?? 0) + n;
        total += n;
      }
      return { bySeverity, byType, total };
    },
  };
}

export type FindingRepository = ReturnType<typeof createFindingRepository>;
