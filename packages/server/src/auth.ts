// Authentication and tenant scoping: the onRequest hook turns a bearer token into a Principal and
// checks the route's permission; scope helpers check that a named tenant lies in the token's subtree.

import { AuthError } from '@palisade/core';
import { isSessionToken, type Principal, type Store } from '@palisade/store';
import type { FastifyRequest } from 'fastify';
import { roleHolds } from './permissions.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export async function authenticateRequest(store: Store, request: FastifyRequest): Promise<void> {
  const permission = request.routeOptions.config.permission;
  if (!permission) return;
  const header = request.headers.authorization;
  if (!header) throw new AuthError('missing Authorization: Bearer <token> header');
  const m = BEARER.exec(header);
  if (!m?.[1]) throw new AuthError('Authorization header must be "Bearer <token>"');
  // Login sessions (pals_…) and API tokens (pal_…) are told apart by their prefix.
  const principal = isSessionToken(m[1])
    ? await store.users.authenticateSession(m[1])
    : await store.tokens.authenticate(m[1]);
  if (!roleHolds(principal.role, permission)) {
    throw new AuthError(`role ${principal.role} may not ${permission.replace(':', ' ')}`, 403);
  }
  request.principal = principal;
}

export function principalOf(request: FastifyRequest): Principal {
  const p = request.principal;
  // Only reachable if a route forgot its permission, which app.ts refuses at registration.
  if (!p) throw new AuthError('request is not authenticated');
  return p;
}

/** The tenant a request acts on and its path: the token's own, or a named one inside its subtree. */
export async function resolveTenant(
  store: Store,
  request: FastifyRequest,
  tenantId: string | undefined,
): Promise<{ tenantId: string; path: string }> {
  const p = principalOf(request);
  if (!tenantId || tenantId === p.tenantId) return { tenantId: p.tenantId, path: p.tenantPath };
  const t = await store.tenants.getWithin(tenantId, p.tenantPath);
  if (!t) throw new AuthError(`tenant ${tenantId} is outside this token's scope`, 403);
  return { tenantId: t.id, path: t.path };
}

export function actorOf(request: FastifyRequest): string {
  const p = principalOf(request);
  // A person acting through a login session is named; an API token is named by its id.
  return p.session && p.userId ? `user:${p.userId}` : `token:${p.tokenId}`;
}
