// User routes: admins list, create, change, disable and delete the users of their tenant subtree;
// anyone changes their own password (with the current one), and an admin may set another's.

import { AuthError, NotFoundError, UsageError } from '@palisade/core';
import { PasswordChange, User, UserCreate, UserQuery, UserUpdate } from '../account-schemas.js';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { actorOf, principalOf, resolveTenant } from '../auth.js';
import { roleHolds } from '../permissions.js';
import { IdParams, Page } from '../schemas.js';
import { recordAudit } from './audit.js';

export function registerUserRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: operation('users:read', {
        summary: 'List users of the tenant subtree by name',
        tags: ['users'],
        querystring: UserQuery,
        response: { 200: Page(User) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, ...filter } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.users.list(scope.path, filter, { limit, cursor });
    },
  );

  app.post(
    '/users',
    {
      config: { permission: 'users:write' },
      schema: operation('users:write', {
        summary: 'Create a user (admin, analyst or read-only) in a tenant of your subtree',
        tags: ['users'],
        body: UserCreate,
        response: { 201: User },
      }),
    },
    async (request, reply) => {
      const b = request.body;
      const scope = await resolveTenant(store, request, b.tenantId);
      const user = await store.users.create({
        tenantId: scope.tenantId,
        name: b.name,
        email: b.email ?? null,
        role: b.role,
        password: b.password,
        createdBy: actorOf(request),
      });
      await recordAudit(ctx, request, {
        tenantId: user.tenantId,
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        detail: { name: user.name, role: user.role },
      });
      return reply.status(201).send(user);
    },
  );

  app.get(
    '/users/:id',
    {
      config: { permission: 'users:read' },
      schema: operation('users:read', {
        summary: 'Get a user',
        tags: ['users'],
        params: IdParams,
        response: { 200: User },
      }),
    },
    async (request) => {
      const u = await store.users.get(request.params.id, principalOf(request).tenantPath);
      if (!u) throw new NotFoundError(`user ${request.params.id} not found`);
      return u;
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: operation('users:write', {
        summary: "Change a user's role or email, or disable (and re-enable) it",
        tags: ['users'],
        params: IdParams,
        body: UserUpdate,
        response: { 200: User },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      const change = request.body;
      if (p.userId === request.params.id && (change.disabled === true || (change.role && change.role !== 'admin'))) {
        throw new UsageError('you cannot disable or demote yourself; ask another admin');
      }
      const u = await store.users.update(request.params.id, p.tenantPath, change);
      await recordAudit(ctx, request, {
        tenantId: u.tenantId,
        action: change.disabled === true ? 'user.disable' : change.disabled === false ? 'user.enable' : 'user.update',
        targetType: 'user',
        targetId: u.id,
        detail: { ...change },
      });
      return u;
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: operation('users:write', {
        summary: 'Delete a user: its sessions end and the API tokens it owns are revoked',
        tags: ['users'],
        params: IdParams,
        response: { 200: User },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      if (p.userId === request.params.id) throw new UsageError('you cannot delete yourself; ask another admin');
      const u = await store.users.delete(request.params.id, p.tenantPath);
      await recordAudit(ctx, request, {
        tenantId: u.tenantId,
        action: 'user.delete',
        targetType: 'user',
        targetId: u.id,
        detail: { name: u.name },
      });
      return u;
    },
  );

  app.post(
    '/users/:id/password',
    {
      config: { permission: 'account:self' },
      schema: operation('account:self', {
        summary: "Change a password: your own (give the current one), or as an admin another user's",
        description: "The user's other sessions end; the session making the change stays open.",
        tags: ['users'],
        params: IdParams,
        body: PasswordChange,
        response: { 200: User },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      const { id } = request.params;
      const own = p.userId === id;
      if (own) {
        const current = request.body.currentPassword;
        if (!current || !(await store.users.passwordMatches(id, current))) {
          throw new AuthError('the current password is wrong', 403);
        }
      } else if (!roleHolds(p.role, 'users:write')) {
        throw new AuthError("only an admin may set another user's password", 403);
      }
      const u = await store.users.setPassword(
        id,
        p.tenantPath,
        request.body.newPassword,
        p.session ? p.tokenId : undefined,
      );
      await recordAudit(ctx, request, {
        tenantId: u.tenantId,
        action: 'user.password',
        targetType: 'user',
        targetId: u.id,
        detail: { by: own ? 'self' : 'admin' },
      });
      return u;
    },
  );
}
