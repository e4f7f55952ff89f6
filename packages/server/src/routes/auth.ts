// Login routes: exchange a user name and password for a short-lived session token, end it, and
// say who the caller is. Login is the one unauthenticated API route; it is throttled per name and
// per address, and every failure answers the same 401 whether or not the user exists.

import { AuthError } from '@palisade/core';
import { Login, LoginResult, LogoutResult, Me } from '../account-schemas.js';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf } from '../auth.js';
import { LoginThrottle, TooManyLoginsError } from '../login-throttle.js';
import { recordAudit } from './audit.js';

/** Requests per client address per minute on the login route, on top of the failure throttle. */
const LOGIN_REQUESTS_PER_MINUTE = 30;

export function registerAuthRoutes(app: ApiApp, ctx: RouteContext, throttle = new LoginThrottle()): void {
  const { store } = ctx;

  app.post(
    '/auth/login',
    {
      config: { public: true, rateLimit: { max: LOGIN_REQUESTS_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        summary: 'Log in with a user name (or email) and password; answers a session token',
        description:
          'The only route without a bearer token. Wrong name, wrong password and disabled user all answer the same 401; repeated failures for a name or from an address answer 429.',
        tags: ['auth'],
        body: Login,
        response: { 200: LoginResult },
        security: [],
        'x-palisade-public': true,
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      try {
        throttle.check(name, request.ip);
      } catch (err) {
        if (err instanceof TooManyLoginsError) void reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
      let result: Awaited<ReturnType<typeof store.users.login>>;
      try {
        result = await store.users.login(name, password);
      } catch (err) {
        if (err instanceof AuthError) {
          throttle.failed(name, request.ip);
          // Neither the name nor the password is logged: people type one into the other.
          request.log.warn({ ip: request.ip }, 'failed login');
        }
        throw err;
      }
      throttle.succeeded(name);
      await store.audit.record({
        tenantId: result.user.tenantId,
        actor: `user:${result.user.id}`,
        action: 'user.login',
        targetType: 'user',
        targetId: result.user.id,
        detail: null,
      });
      return result;
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'account:self' },
      schema: operation('account:self', {
        summary: "End the caller's login session",
        tags: ['auth'],
        response: { 200: LogoutResult },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      if (!p.session) return { tenantId: p.tenantId, ended: false };
      const ended = await store.users.endSession(p.tokenId);
      await recordAudit(ctx, request, {
        tenantId: p.tenantId,
        action: 'user.logout',
        targetType: 'user',
        targetId: p.userId ?? null,
      });
      return { tenantId: p.tenantId, ended };
    },
  );

  app.get(
    '/auth/me',
    {
      config: { permission: 'account:self' },
      schema: operation('account:self', {
        summary: 'Who the caller is: role, tenant, and the user behind a session or an owned token',
        tags: ['auth'],
        response: { 200: Me },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      // The caller's own user, wherever it sits: an owned token may be scoped below the user's tenant.
      const user = p.userId ? await store.users.get(p.userId, '/') : undefined;
      return {
        tenantId: p.tenantId,
        role: p.role,
        name: p.name,
        kind: p.session ? ('session' as const) : ('token' as const),
        credentialId: p.tokenId,
        user: user ?? null,
      };
    },
  );
}
