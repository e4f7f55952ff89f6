// Audit routes (list the log) and `recordAudit`, which every mutating route calls after it succeeds.

import type { FastifyRequest } from 'fastify';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { actorOf, resolveTenant } from '../auth.js';
import { AuditEntry, AuditQuery, Page } from '../schemas.js';

export async function recordAudit(
  ctx: RouteContext,
  request: FastifyRequest,
  entry: {
    tenantId: string;
    action: string;
    targetType: string;
    targetId: string | null;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await ctx.store.audit.record({ ...entry, actor: actorOf(request), detail: entry.detail ?? null });
}

export function registerAuditRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: operation('audit:read', {
        summary: 'List the audit log, newest first',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: Page(AuditEntry) },
      }),
    },
    async (request) => {
      const q = request.query;
      const scope = await resolveTenant(ctx.store, request, q.tenant);
      return ctx.store.audit.list(scope.path, { action: q.action }, { limit: q.limit, cursor: q.cursor });
    },
  );
}
