// API tokens: issue (the secret is returned once), authenticate, list and revoke. A token belongs
// to one tenant and has one role; expired or revoked tokens fail authentication.

import { AuthError, NotFoundError } from '@palisade/core';
import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { nowIso } from '../ids.js';
import type { Database, Role, TokensTable } from '../schema.js';
import { generateToken, hashSecret, parseToken, secretMatches } from '../token-format.js';

export interface TokenInfo {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The user who owns the token (disabling the user stops it); null for machine tokens. */
  userId: string | null;
}

/** Who a request is: the token's identity plus its tenant's path for subtree checks. */
export interface Principal {
  tokenId: string;
  tenantId: string;
  tenantPath: string;
  role: Role;
  name: string;
  /** Set for a user's session and for an API token a user owns. */
  userId?: string | null;
  /** True when the bearer is a login session rather than an API token. */
  session?: boolean;
}

/** The principal for a bearer row joined with its tenant: `id` is the token's (or session's) id. */
export function principalOf(r: {
  id: string;
  tenant_id: string;
  path: string;
  role: Role;
  name: string;
  user_id: string | null;
}): Principal {
  return { tokenId: r.id, tenantId: r.tenant_id, tenantPath: r.path, role: r.role, name: r.name, userId: r.user_id };
}

function toInfo(r: TokensTable): TokenInfo {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    role: r.role,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    userId: r.user_id ?? null,
  };
}

export interface IssueTokenInput {
  tenantId: string;
  name: string;
  role: Role;
  expiresAt?: string | null;
  createdBy?: string | null;
  /** The owning user, when a user creates the token for themselves or an admin for a user. */
  userId?: string | null;
  /** Use this exact token (bootstrap from the environment) instead of generating one. */
  presetToken?: string;
}

export function createTokenRepository(db: Kysely<Database>) {
  return {
    async issue(input: IssueTokenInput): Promise<{ token: string; info: TokenInfo }> {
      const fresh = input.presetToken
        ? { token: input.presetToken, ...parseToken(input.presetToken) }
        : generateToken();
      const row: TokensTable = {
        id: fresh.id,
        tenant_id: input.tenantId,
        name: input.name,
        role: input.role,
        secret_hash: hashSecret(fresh.secret),
        created_at: nowIso(),
        created_by: input.createdBy ?? null,
        expires_at: input.expiresAt ?? null,
        revoked_at: null,
        last_used_at: null,
        user_id: input.userId ?? null,
      };
      await db.insertInto('tokens').values(row).execute();
      return { token: fresh.token, info: toInfo(row) };
    },

    /** Resolves a bearer token to its principal or throws AuthError(401) saying why. */
    async authenticate(token: string, now = nowIso()): Promise<Principal> {
      const { id, secret } = parseToken(token);
      const r = await db
        .selectFrom('tokens')
        .innerJoin('tenants', 'tenants.id', 'tokens.tenant_id')
        .leftJoin('users', 'users.id', 'tokens.user_id')
        .select([
          'tokens.id',
          'tokens.tenant_id',
          'tokens.name',
          'tokens.role',
          'tokens.secret_hash',
          'tokens.expires_at',
          'tokens.revoked_at',
          'tenants.path',
          'tokens.user_id',
          'users.disabled_at as owner_disabled_at',
        ])
        .where('tokens.id', '=', id)
        .executeTakeFirst();
      if (!r || !secretMatches(secret, r.secret_hash)) throw new AuthError('unknown API token');
      if (r.revoked_at) throw new AuthError('API token has been revoked');
      if (r.expires_at && r.expires_at <= now) throw new AuthError('API token has expired');
      if (r.owner_disabled_at) throw new AuthError("API token's owner is disabled");
      return principalOf(r);
    },

    async get(id: string, scopePath: string): Promise<TokenInfo | undefined> {
      const r = await db
        .selectFrom('tokens')
        .innerJoin('tenants', 'tenants.id', 'tokens.tenant_id')
        .selectAll('tokens')
        .where('tokens.id', '=', id)
        .where('tenants.path', 'like', `${scopePath}%`)
        .executeTakeFirst();
      return r ? toInfo(r) : undefined;
    },

    async list(scopePath: string, page: PageRequest = {}): Promise<Page<TokenInfo>> {
      const limit = pageSize(page.limit);
      const q = db
        .selectFrom('tokens')
        .innerJoin('tenants', 'tenants.id', 'tokens.tenant_id')
        .selectAll('tokens')
        .where('tenants.path', 'like', `${scopePath}%`);
      const rows = await applyKeyset(q, {
        sortColumn: 'tokens.created_at',
        idColumn: 'tokens.id',
        direction: 'desc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.created_at, r.id], toInfo);
    },

    async revoke(id: string, scopePath: string): Promise<TokenInfo> {
      const t = await this.get(id, scopePath);
      if (!t) throw new NotFoundError(`token ${id} not found`);
      if (!t.revokedAt) {
        const at = nowIso();
        await db.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).execute();
        t.revokedAt = at;
      }
      return t;
    },
  };
}

export type TokenRepository = ReturnType<typeof createTokenRepository>;
