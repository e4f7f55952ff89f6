// Images by digest. An image's findings are those of workloads that report running it plus those
// of uploaded scans of the image itself (matched by config id or repo digest). Per image: how
// many workloads run it and its open vulnerabilities, each vulnerability + package counted once;
// and the vulnerability list, each with the workloads running the image.

import type { ImageMetadata } from '@palisade/core';
import { InputError, NotFoundError, SEVERITIES, type Severity } from '@palisade/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { applyKeyset, decodeCursor, encodeCursor, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { Database, WorkloadKind } from '../schema.js';
import { openFindingSql } from './posture.js';

export interface ImageSummary {
  digest: string;
  /** Workloads in scope reporting this image digest (0 when only scans of the image are known). */
  workloads: number;
  /** When the image was last seen: a workload's last report or a scan upload. */
  lastSeen: string;
  /** Open vulnerabilities, each vulnerability+package counted once. */
  vulnerabilities: { total: number; bySeverity: Record<string, number> };
}

export interface ImageWorkloadRef {
  id: string;
  name: string;
  kind: WorkloadKind;
  cluster: string | null;
  namespace: string | null;
}

export interface ImageVulnerability {
  ruleId: string;
  packageName: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  severity: Severity;
  title: string;
  firstSeen: string;
  /** How many workloads in scope run the image. */
  workloadCount: number;
  /** Those workloads (the first 100 by name). */
  workloads: ImageWorkloadRef[];
}

export interface ImageFilter {
  /** Substring of the digest. */
  q?: string;
}

export interface ImageVulnerabilityFilter {
  /** Default open. */
  status?: 'open' | 'fixed' | 'suppressed';
  severity?: Severity[];
  packageName?: string;
}

const WORKLOADS_PER_IMAGE = 100;
const DIGEST = /(sha256:[a-f0-9]{64})$/;

/**
 * The digests an image is known by: its config id and the digest part of each repo digest. The
 * metadata comes from an uploaded report, so anything that is not a string is skipped.
 */
export function imageDigests(image: ImageMetadata | undefined): string[] {
  if (!image || typeof image !== 'object') return [];
  const repoDigests: unknown[] = Array.isArray(image.repoDigests) ? image.repoDigests : [];
  const out = new Set<string>();
  for (const candidate of [image.id, ...repoDigests]) {
    const m = typeof candidate === 'string' ? DIGEST.exec(candidate) : null;
    if (m?.[1]) out.add(m[1]);
  }
  return [...out];
}

function statusSql(status: ImageVulnerabilityFilter['status'], now: string): RawBuilder<boolean> {
  if (status === 'fixed') return sql<boolean>`findings.state = 'fixed'`;
  if (status === 'suppressed')
    return sql<boolean>`(findings.state = 'open' and findings.suppressed_at is not null and (findings.suppressed_until is null or findings.suppressed_until > ${now}))`;
  return openFindingSql(now);
}

function vulnKey(ruleId: string, packageName: string | null): string {
  return `${ruleId}\u0000${packageName ?? ''}`;
}

function emptySeverities(): Record<string, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
}

export function createImageRepository(db: Kysely<Database>) {
  /** Digests in scope with when each was last seen: from workloads and from image scans. */
  function knownDigests(scopePath: string) {
    const fromWorkloads = db
      .selectFrom('workloads')
      .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
      .select(['workloads.image_digest as digest', 'workloads.last_seen as seen'])
      .where('tenants.path', 'like', `${scopePath}%`)
      .where('workloads.image_digest', 'is not', null);
    const fromScans = db
      .selectFrom('scan_image_digests')
      .innerJoin('tenants', 'tenants.id', 'scan_image_digests.tenant_id')
      .select(['scan_image_digests.digest as digest', 'scan_image_digests.received_at as seen'])
      .where('tenants.path', 'like', `${scopePath}%`);
    return fromWorkloads.unionAll(fromScans);
  }

  return {
    /** Remembers the digests of an uploaded image scan (nothing for other artifacts). */
    async recordScanDigests(scanId: string, tenantId: string, image: ImageMetadata | undefined): Promise<void> {
      const digests = imageDigests(image);
      if (digests.length === 0) return;
      const receivedAt = nowIso();
      await db
        .insertInto('scan_image_digests')
        .values(digests.map((digest) => ({ scan_id: scanId, tenant_id: tenantId, digest, received_at: receivedAt })))
        .onConflict((oc) => oc.columns(['scan_id', 'digest']).doNothing())
        .execute();
    },

    /** Image digests in scope, in digest order, with workload and open-vulnerability counts. */
    async list(scopePath: string, filter: ImageFilter = {}, page: PageRequest = {}): Promise<Page<ImageSummary>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom(knownDigests(scopePath).as('known'))
        .select(['known.digest', (eb) => eb.fn.max('known.seen').as('last_seen')])
        .groupBy('known.digest');
      if (filter.q) q = q.where('known.digest', 'like', `%${filter.q.replace(/[%_\\]/g, '')}%`);
      const rows = await applyKeyset(q, {
        sortColumn: 'known.digest',
        idColumn: 'known.digest',
        direction: 'asc',
        limit,
        cursor: page.cursor,
      }).execute();
      const result = toPage(
        rows,
        limit,
        (r) => [String(r.digest), String(r.digest)],
        (r) => ({
          digest: String(r.digest),
          workloads: 0,
          lastSeen: String(r.last_seen),
          vulnerabilities: { total: 0, bySeverity: emptySeverities() },
        }),
      );
      if (result.items.length === 0) return result;
      const digests = result.items.map((i) => i.digest);
      const byDigest = new Map(result.items.map((i) => [i.digest, i]));

      const counts = await db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .select(['workloads.image_digest', (eb) => eb.fn.countAll().as('n')])
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('workloads.image_digest', 'in', digests)
        .groupBy('workloads.image_digest')
        .execute();
      for (const c of counts) {
        const item = byDigest.get(c.image_digest ?? '');
        if (item) item.workloads = Number(c.n);
      }

      // Worst severity of each vulnerability+package per image, from both sources of findings.
      const now = nowIso();
      const open = (qb: ReturnType<typeof findingsInScope>) =>
        qb.where('findings.type', '=', 'vulnerability').where(openFindingSql(now));
      const findingsInScope = () =>
        db
          .selectFrom('findings')
          .innerJoin('tenants', 'tenants.id', 'findings.tenant_id')
          .where('tenants.path', 'like', `${scopePath}%`);
      const [viaWorkloads, viaScans] = await Promise.all([
        open(findingsInScope())
          .innerJoin('workloads', 'workloads.id', 'findings.workload_id')
          .select([
            'workloads.image_digest as digest',
            'findings.rule_id',
            'findings.package_name',
            (eb) => eb.fn.max('findings.severity_rank').as('rank'),
          ])
          .where('workloads.image_digest', 'in', digests)
          .groupBy(['workloads.image_digest', 'findings.rule_id', 'findings.package_name'])
          .execute(),
        open(findingsInScope())
          .innerJoin('scan_image_digests', 'scan_image_digests.scan_id', 'findings.last_scan_id')
          .select([
            'scan_image_digests.digest as digest',
            'findings.rule_id',
            'findings.package_name',
            (eb) => eb.fn.max('findings.severity_rank').as('rank'),
          ])
          .where('scan_image_digests.digest', 'in', digests)
          .groupBy(['scan_image_digests.digest', 'findings.rule_id', 'findings.package_name'])
          .execute(),
      ]);
      const worst = new Map<string, Map<string, number>>();
      for (const v of [...viaWorkloads, ...viaScans]) {
        const digest = String(v.digest);
        let perImage = worst.get(digest);
        if (!perImage) {
          perImage = new Map();
          worst.set(digest, perImage);
        }
        const key = vulnKey(v.rule_id, v.package_name);
        perImage.set(key, Math.max(perImage.get(key) ?? 0, Number(v.rank)));
      }
      for (const [digest, perImage] of worst) {
        const item = byDigest.get(digest);
        if (!item) continue;
        for (const rank of perImage.values()) {
          const severity = SEVERITIES[rank] ?? 'UNKNOWN';
          item.vulnerabilities.total++;
          item.vulnerabilities.bySeverity[severity] = (item.vulnerabilities.bySeverity[severity] ?? 0) + 1;
        }
      }
      return result;
    },

    /**
     * The image's vulnerabilities, worst first, deduplicated by vulnerability and package, each
     * with the workloads running the image. NotFoundError when neither a workload nor a scan in
     * scope knows the digest.
     */
    async vulnerabilities(
      digest: string,
      scopePath: string,
      filter: ImageVulnerabilityFilter = {},
      page: PageRequest = {},
    ): Promise<Page<ImageVulnerability>> {
      const limit = pageSize(page.limit);
      const known = await db
        .selectFrom(knownDigests(scopePath).as('known'))
        .select('known.digest')
        .where('known.digest', '=', digest)
        .executeTakeFirst();
      if (!known) throw new NotFoundError(`no workload or scan in scope knows image ${digest}`);

      const now = nowIso();
      let q = db
        .selectFrom('findings')
        .innerJoin('tenants', 'tenants.id', 'findings.tenant_id')
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('findings.type', '=', 'vulnerability')
        .where(statusSql(filter.status, now))
        .where((eb) =>
          eb.or([
            eb(
              'findings.workload_id',
              'in',
              eb.selectFrom('workloads').select('workloads.id').where('workloads.image_digest', '=', digest),
            ),
            eb(
              'findings.last_scan_id',
              'in',
              eb
                .selectFrom('scan_image_digests')
                .select('scan_image_digests.scan_id')
                .where('scan_image_digests.digest', '=', digest),
            ),
          ]),
        );
      if (filter.severity?.length) q = q.where('findings.severity', 'in', filter.severity);
      if (filter.packageName) q = q.where('findings.package_name', '=', filter.packageName);

      const groups = await q
        .select([
          'findings.rule_id',
          'findings.package_name',
          (eb) => eb.fn.max('findings.severity_rank').as('rank'),
          (eb) => eb.fn.max('findings.title').as('title'),
          (eb) => eb.fn.max('findings.installed_version').as('installed_version'),
          (eb) => eb.fn.max('findings.fixed_version').as('fixed_version'),
          (eb) => eb.fn.min('findings.first_seen').as('first_seen'),
        ])
        .groupBy(['findings.rule_id', 'findings.package_name'])
        .execute();

      // Worst first, then by vulnerability id and package: a stable order for the cursor.
      let ranked = groups
        .map((g) => ({ g, rank: Number(g.rank), key: vulnKey(g.rule_id, g.package_name) }))
        .sort((a, b) => b.rank - a.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (page.cursor) {
        const [rank, key] = decodeCursor(page.cursor);
        if (typeof rank !== 'number') throw new InputError('cursor does not belong to this vulnerability list');
        ranked = ranked.filter((r) => r.rank < rank || (r.rank === rank && r.key > key));
      }
      const kept = ranked.slice(0, limit);

      const running = db
        .selectFrom('workloads')
        .innerJoin('tenants', 'tenants.id', 'workloads.tenant_id')
        .where('tenants.path', 'like', `${scopePath}%`)
        .where('workloads.image_digest', '=', digest);
      const [count, workloads] = await Promise.all([
        running.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
        running
          .select(['workloads.id', 'workloads.name', 'workloads.kind', 'workloads.cluster', 'workloads.namespace'])
          .orderBy('workloads.name')
          .orderBy('workloads.id')
          .limit(WORKLOADS_PER_IMAGE)
          .execute(),
      ]);

      const items: ImageVulnerability[] = kept.map(({ g, rank }) => ({
        ruleId: g.rule_id,
        packageName: g.package_name,
        installedVersion: g.installed_version,
        fixedVersion: g.fixed_version,
        severity: SEVERITIES[rank] ?? 'UNKNOWN',
        title: String(g.title),
        firstSeen: String(g.first_seen),
        workloadCount: Number(count.n),
        workloads,
      }));
      const last = kept[kept.length - 1];
      const result: Page<ImageVulnerability> = { items };
      if (ranked.length > limit && last) result.nextCursor = encodeCursor(last.rank, last.key);
      return result;
    },
  };
}

export type ImageRepository = ReturnType<typeof createImageRepository>;
