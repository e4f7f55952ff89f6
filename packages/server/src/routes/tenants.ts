// Tenant routes: create, list, get, rename and delete tenants inside the caller's subtree.

import { AuthError, NotFoundError } from '@palisade/core';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { IdParams, Page, PageQuery, Tenant, TenantCreate, TenantUpdate } from '../schemas.js';
import { recordAudit } from './audit.js';

export function registerTenantRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  async function tenantWithin(request: Parameters<typeof principalOf>[0], id: string) {
    const t = await store.tenants.getWithin(id, principalOf(request).tenantPath);
    if (!t) throw new NotFoundError(`tenant ${id} not found`);
    return t;
  }

  app.get(
    '/tenants',
    {
      config: { permission: 'tenants:read' },
      schema: operation('tenants:read', {
        summary: "List tenants in the caller's subtree",
        tags: ['tenants'],
        querystring: Type.Object(PageQuery),
        response: { 200: Page(Tenant) },
      }),
    },
    async (request) => {
      const scope = await resolveTenant(store, request, request.query.tenant);
      return store.tenants.list(scope.path, { limit: request.query.limit, cursor: request.query.cursor });
    },
  );

  app.post(
    '/tenants',
    {
      config: { permission: 'tenants:write' },
      schema: operation('tenants:write', {
        summary: 'Create a tenant (account, cluster or team) under a parent',
        tags: ['tenants'],
        body: TenantCreate,
        response: { 201: Tenant },
      }),
    },
    async (request, reply) => {
      const parent = await resolveTenant(store, request, request.body.parentId);
      const t = await store.tenants.create({
        parentId: parent.tenantId,
        name: request.body.name,
        kind: request.body.kind,
      });
      await recordAudit(ctx, request, {
        tenantId: t.id,
        action: 'tenant.create',
        targetType: 'tenant',
        targetId: t.id,
        detail: { name: t.name, kind: t.kind },
      });
      return reply.status(201).send(t);
    },
  );

  app.get(
    '/tenants/:id',
    {
      config: { permission: 'tenants:read' },
      schema: operation('tenants:read', {
        summary: 'Get a tenant',
        tags: ['tenants'],
        params: IdParams,
        response: { 200: Tenant },
      }),
    },
    async (request) => tenantWithin(request, request.params.id),
  );

  app.patch(
    '/tenants/:id',
    {
      config: { permission: 'tenants:write' },
      schema: operation('tenants:write', {
        summary: 'Rename a tenant',
        tags: ['tenants'],
        params: IdParams,
        body: TenantUpdate,
        response: { 200: Tenant },
      }),
    },
    async (request) => {
      const t = await tenantWithin(request, request.params.id);
      const renamed = await store.tenants.rename(t.id, request.body.name);
      await recordAudit(ctx, request, {
        tenantId: t.id,
        action: 'tenant.rename',
        targetType: 'tenant',
        targetId: t.id,
        detail: { from: t.name, to: renamed.name },
      });
      return renamed;
    },
  );

  app.delete(
    '/tenants/:id',
    {
      config: { permission: 'tenants:write' },
      schema: operation('tenants:write', {
        summary: 'Delete an empty tenant',
        tags: ['tenants'],
        params: IdParams,
        response: { 204: Type.Null() },
      }),
    },
    async (request, reply) => {
      const t = await tenantWithin(request, request.params.id);
      // A token may not delete the tenant it is scoped to: it would lock itself out.
      if (t.id === principalOf(request).tenantId) throw new AuthError('a token cannot delete its own tenant', 403);
      await store.tenants.delete(t.id);
      await recordAudit(ctx, request, {
        tenantId: t.parentId ?? t.id,
        action: 'tenant.delete',
        targetType: 'tenant',
        targetId: t.id,
        detail: { name: t.name },
      });
      return reply.status(204).send(null);
    },
  );
}
