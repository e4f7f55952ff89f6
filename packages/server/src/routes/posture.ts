// Console views over posture: trends of open findings per day for a tenant subtree, the ranking of
// workloads by risk, and `recordPostureSnapshot`, which every route that changes findings calls.

import type { FastifyRequest } from 'fastify';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { resolveTenant } from '../auth.js';
import { Page } from '../schemas.js';
import { PostureTrend, TopRiskQuery, TrendQuery, WorkloadRisk } from '../view-schemas.js';

/**
 * Rewrites today's posture snapshot of a tenant after its findings changed. A failure is logged,
 * not raised: the change itself is committed, and the next change writes the day again.
 */
export async function recordPostureSnapshot(
  ctx: RouteContext,
  request: FastifyRequest,
  tenantId: string,
): Promise<void> {
  try {
    await ctx.store.posture.recordSnapshot(tenantId);
  } catch (err) {
    request.log.error({ err, tenantId }, 'posture snapshot failed');
  }
}

export function registerPostureRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/posture/trends',
    {
      config: { permission: 'posture:read' },
      schema: operation('posture:read', {
        summary: 'Open findings by severity and type per day, for the last N days of a tenant subtree',
        description:
          'One point per UTC day, today included. A snapshot is written whenever findings change; a day without one carries the previous value.',
        tags: ['posture'],
        querystring: TrendQuery,
        response: { 200: PostureTrend },
      }),
    },
    async (request) => {
      const scope = await resolveTenant(store, request, request.query.tenant);
      const trend = await store.posture.trends(scope.path, request.query.days ?? 30);
      return { tenantId: scope.tenantId, ...trend };
    },
  );

  app.get(
    '/workloads/top-risks',
    {
      config: { permission: 'workloads:read' },
      schema: operation('workloads:read', {
        summary: 'Workloads ranked by risk score, highest first, with the counts that make it up',
        description:
          'score = 10·critical + 5·high + 2·medium + 1·low over open findings (exposure findings count twice) + runtime alerts of the last 24 h weighted by priority (emergency/alert/critical 10, error 5, warning 3, notice/info 1).',
        tags: ['workloads'],
        querystring: TopRiskQuery,
        response: { 200: Page(WorkloadRisk) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, ...filter } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.posture.topRisks(scope.path, filter, { limit: limit ?? 10, cursor });
    },
  );
}
