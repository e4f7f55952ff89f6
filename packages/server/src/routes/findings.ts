// Scan and finding routes: upload a ScanReport (findings upserted with their lifecycle), list, get,
// suppress, unsuppress and history of findings, and the per-tenant posture summary.

import type { ScanReport, Severity } from '@palisade/core';
import { InputError, NotFoundError, parseSeverityList } from '@palisade/core';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { actorOf, principalOf, resolveTenant } from '../auth.js';
import {
  FindingHistory,
  FindingQuery,
  IdParams,
  Page,
  Posture,
  ScanUpload,
  ScanUploadResult,
  StoredFinding,
  Suppress,
} from '../schemas.js';
import { recordAudit } from './audit.js';
import { recordPostureSnapshot } from './posture.js';

const SCAN_BODY_LIMIT = 64 * 1024 * 1024;

/** The `severity` query parameter (a comma-separated list) as a filter; the image routes take it too. */
export function severityQuery(list: string | undefined): Severity[] | undefined {
  if (!list) return undefined;
  try {
    return [...parseSeverityList(list)];
  } catch (err) {
    throw new InputError(`query severity: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function registerFindingRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.post(
    '/scans',
    {
      bodyLimit: SCAN_BODY_LIMIT,
      config: { permission: 'scans:write' },
      schema: operation('scans:write', {
        summary: "Upload a scan report (the CLI's JSON) with the scanned workload's identity",
        tags: ['scans'],
        body: ScanUpload,
        response: { 201: ScanUploadResult },
      }),
    },
    async (request, reply) => {
      const b = request.body;
      const scope = await resolveTenant(store, request, b.tenantId);
      const workload = b.workload ? await store.workloads.upsert(scope.tenantId, b.workload) : undefined;
      const result = await store.findings.ingestScan({
        tenantId: scope.tenantId,
        workloadId: workload?.id,
        report: b.report as unknown as ScanReport,
        uploadedBy: actorOf(request),
      });
      ctx.metrics.scansIngested.inc();
      // An image scan's digests tie its findings to the workloads running that image.
      await store.images.recordScanDigests(
        result.scanId,
        scope.tenantId,
        (b.report as unknown as ScanReport).artifact.image,
      );
      await recordPostureSnapshot(ctx, request, scope.tenantId);
      await recordAudit(ctx, request, {
        tenantId: scope.tenantId,
        action: 'scan.upload',
        targetType: 'scan',
        targetId: result.scanId,
        detail: { artifact: b.report.artifact.name, findings: result.findings },
      });
      await ctx.bus.publish('scans.uploaded', { tenantId: scope.tenantId, ...result });
      return reply.status(201).send({ ...result, workloadId: workload?.id ?? null });
    },
  );

  app.get(
    '/findings',
    {
      config: { permission: 'findings:read' },
      schema: operation('findings:read', {
        summary: 'List findings with filters, sorting and cursor pagination',
        tags: ['findings'],
        querystring: FindingQuery,
        response: { 200: Page(StoredFinding) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, sort, order, severity, ...filter } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.findings.list(
        scope.path,
        { ...filter, severity: severityQuery(severity) },
        { by: sort, direction: order },
        { limit, cursor },
      );
    },
  );

  app.get(
    '/findings/:id',
    {
      config: { permission: 'findings:read' },
      schema: operation('findings:read', {
        summary: 'Get a finding',
        tags: ['findings'],
        params: IdParams,
        response: { 200: StoredFinding },
      }),
    },
    async (request) => {
      const f = await store.findings.get(request.params.id, principalOf(request).tenantPath);
      if (!f) throw new NotFoundError(`finding ${request.params.id} not found`);
      return f;
    },
  );

  app.get(
    '/findings/:id/history',
    {
      config: { permission: 'findings:read' },
      schema: operation('findings:read', {
        summary: "A finding's lifecycle history, oldest first",
        tags: ['findings'],
        params: IdParams,
        response: { 200: FindingHistory },
      }),
    },
    async (request) => ({ items: await store.findings.history(request.params.id, principalOf(request).tenantPath) }),
  );

  app.post(
    '/findings/:id/suppress',
    {
      config: { permission: 'findings:suppress' },
      schema: operation('findings:suppress', {
        summary: 'Suppress a finding with a reason and optional expiry',
        tags: ['findings'],
        params: IdParams,
        body: Suppress,
        response: { 200: StoredFinding },
      }),
    },
    async (request) => {
      const f = await store.findings.suppress(request.params.id, principalOf(request).tenantPath, {
        reason: request.body.reason,
        until: request.body.until ?? null,
        by: actorOf(request),
      });
      await recordPostureSnapshot(ctx, request, f.tenantId);
      await recordAudit(ctx, request, {
        tenantId: f.tenantId,
        action: 'finding.suppress',
        targetType: 'finding',
        targetId: f.id,
        detail: { reason: request.body.reason, until: request.body.until ?? null },
      });
      return f;
    },
  );

  app.delete(
    '/findings/:id/suppression',
    {
      config: { permission: 'findings:suppress' },
      schema: operation('findings:suppress', {
        summary: "Lift a finding's suppression",
        tags: ['findings'],
        params: IdParams,
        response: { 200: StoredFinding },
      }),
    },
    async (request) => {
      const f = await store.findings.unsuppress(request.params.id, principalOf(request).tenantPath, actorOf(request));
      await recordPostureSnapshot(ctx, request, f.tenantId);
      await recordAudit(ctx, request, {
        tenantId: f.tenantId,
        action: 'finding.unsuppress',
        targetType: 'finding',
        targetId: f.id,
      });
      return f;
    },
  );

  app.get(
    '/posture',
    {
      config: { permission: 'posture:read' },
      schema: operation('posture:read', {
        summary: 'Posture summary of a tenant: open findings by severity and type, workloads, agents',
        tags: ['posture'],
        querystring: Type.Object({ tenant: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: { 200: Posture },
      }),
    },
    async (request) => {
      const scope = await resolveTenant(store, request, request.query.tenant);
      const [findings, workloads, agents] = await Promise.all([
        store.findings.summary(scope.path),
        store.workloads.countWithin(scope.path),
        store.agents.countWithin(scope.path),
      ]);
      return { tenantId: scope.tenantId, findings, workloads, agents };
    },
  );
}
