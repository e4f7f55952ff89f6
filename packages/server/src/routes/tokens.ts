// Token routes: create (the secret is in this one response only), list and revoke.

import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { actorOf, principalOf, resolveTenant } from '../auth.js';
import { IdParams, Page, PageQuery, TokenCreate, TokenCreated, TokenInfo } from '../schemas.js';
import { recordAudit } from './audit.js';

export function registerTokenRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.post(
    '/tokens',
    {
      config: { permission: 'tokens:write' },
      schema: operation('tokens:write', {
        summary: 'Create an API token; the token is shown once',
        tags: ['tokens'],
        body: TokenCreate,
        response: { 201: TokenCreated },
      }),
    },
    async (request, reply) => {
      const b = request.body;
      const scope = await resolveTenant(store, request, b.tenantId);
      const created = await store.tokens.issue({
        tenantId: scope.tenantId,
        name: b.name,
        role: b.role,
        expiresAt: b.expiresAt ?? null,
        createdBy: actorOf(request),
        // A token a person creates while logged in is theirs: disabling them stops it.
        userId: principalOf(request).userId ?? null,
      });
      await recordAudit(ctx, request, {
        tenantId: scope.tenantId,
        action: 'token.create',
        targetType: 'token',
        targetId: created.info.id,
        detail: { name: b.name, role: b.role },
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      config: { permission: 'tokens:read' },
      schema: operation('tokens:read', {
        summary: 'List API tokens (never their secrets)',
        tags: ['tokens'],
        querystring: Type.Object(PageQuery),
        response: { 200: Page(TokenInfo) },
      }),
    },
    async (request) => {
      const scope = await resolveTenant(store, request, request.query.tenant);
      return store.tokens.list(scope.path, { limit: request.query.limit, cursor: request.query.cursor });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'tokens:write' },
      schema: operation('tokens:write', {
        summary: 'Revoke an API token',
        tags: ['tokens'],
        params: IdParams,
        response: { 200: TokenInfo },
      }),
    },
    async (request) => {
      const revoked = await store.tokens.revoke(request.params.id, principalOf(request).tenantPath);
      await recordAudit(ctx, request, {
        tenantId: revoked.tenantId,
        action: 'token.revoke',
        targetType: 'token',
        targetId: revoked.id,
      });
      return revoked;
    },
  );
}
