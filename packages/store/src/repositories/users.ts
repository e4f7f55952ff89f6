// Users: people who log in with a name (or email) and password. A user belongs to one tenant and
// has one of the human roles; logging in yields a short-lived session token, stored hashed.

import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { AuthError, InputError, NotFoundError, UsageError } from '@palisade/core';
import type { Kysely } from 'kysely';
import { applyKeyset, type Page, type PageRequest, pageSize, toPage } from '../cursor.js';
import { newId, nowIso } from '../ids.js';
import type { Database, Role, UsersTable } from '../schema.js';
import { hashSecret, secretMatches } from '../token-format.js';
import { type Principal, principalOf } from './tokens.js';

/** Roles a person may hold; ci and agent are for machines and stay token-only. */
export type UserRole = Extract<Role, 'admin' | 'analyst' | 'read-only'>;
export const USER_ROLES: readonly UserRole[] = ['admin', 'analyst', 'read-only'];

export interface User {
  id: string;
  tenantId: string;
  name: string;
  email: string | null;
  role: UserRole;
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  createdBy: string | null;
  passwordChangedAt: string;
  lastLoginAt: string | null;
}

export interface CreateUserInput {
  tenantId: string;
  name: string;
  email?: string | null;
  role: UserRole;
  password: string;
  createdBy?: string | null;
}

export interface UserUpdate {
  role?: UserRole;
  email?: string | null;
  disabled?: boolean;
}

export interface UserFilter {
  role?: UserRole;
  disabled?: boolean;
  /** Substring of the name or email. */
  q?: string;
}

export interface LoginResult {
  /** `pals_<id>_<secret>`: shown once, only its hash is stored. */
  token: string;
  expiresAt: string;
  user: User;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;

const NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,127}$/;
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,190}$/;
const SESSION_PATTERN = /^pals_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

// scrypt cost: N=2^15, r=8 (32 MiB, ~0.1 s per hash). Stored with the hash so it can be raised.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

/** "scrypt$N$r$p$salt$hash" with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, scryptOptions(SCRYPT.N, SCRYPT.r, SCRYPT.p));
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Recomputes the hash with the stored salt and cost, and compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  // Bounds keep a corrupt row from asking scrypt for gigabytes.
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !(r >= 1 && p >= 1 && p <= 16 && 128 * N * r <= 256 * 1024 * 1024)) return false;
  if (expected.length < 16 || expected.length > 64) return false;
  try {
    const actual = await scryptAsync(password, salt, expected.length, scryptOptions(N, r, p));
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

// Compared against when the name is unknown, so a miss costs as much as a wrong password.
let decoyHash: Promise<string> | undefined;

export function isSessionToken(token: string): boolean {
  return token.startsWith('pals_');
}

function parseSessionToken(token: string): { id: string; secret: string } {
  const m = SESSION_PATTERN.exec(token);
  if (!m?.[1] || !m[2]) throw new AuthError('malformed session token (expected pals_<id>_<secret>)');
  return { id: m[1], secret: m[2] };
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new InputError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new InputError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!NAME_PATTERN.test(n))
    throw new InputError(
      `user name "${name.slice(0, 40)}" must be 1-128 of a-z 0-9 . _ @ - (starting with a letter or digit)`,
    );
  return n;
}

function normalizeEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email === '') return null;
  const e = email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(e)) throw new InputError(`"${email.slice(0, 60)}" is not an email address`);
  return e;
}

function checkRole(role: string): UserRole {
  if (!(USER_ROLES as readonly string[]).includes(role))
    throw new InputError(`a user's role is one of ${USER_ROLES.join(', ')} (ci and agent are for API tokens)`);
  return role as UserRole;
}

function toUser(r: UsersTable): User {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    email: r.email,
    role: r.role as UserRole,
    disabled: r.disabled_at !== null,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
    passwordChangedAt: r.password_changed_at,
    lastLoginAt: r.last_login_at,
  };
}

export function createUserRepository(db: Kysely<Database>) {
  async function findRow(id: string, scopePath: string): Promise<UsersTable | undefined> {
    return db
      .selectFrom('users')
      .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
      .selectAll('users')
      .where('users.id', '=', id)
      .where('tenants.path', 'like', `${scopePath}%`)
      .executeTakeFirst();
  }

  async function ensureUnique(name: string | null, email: string | null, exceptId?: string): Promise<void> {
    for (const [column, value] of [
      ['name', name],
      ['email', email],
    ] as const) {
      if (value === null) continue;
      // A name may not equal another user's email either: both are accepted at login.
      const other = await db
        .selectFrom('users')
        .select('id')
        .where((eb) => eb.or([eb('name', '=', value), eb('email', '=', value)]))
        .executeTakeFirst();
      if (other && other.id !== exceptId) throw new UsageError(`a user with ${column} "${value}" already exists`);
    }
  }

  async function revokeSessions(userId: string, exceptSessionId?: string): Promise<void> {
    let q = db
      .updateTable('user_sessions')
      .set({ revoked_at: nowIso() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptSessionId) q = q.where('id', '!=', exceptSessionId);
    await q.execute();
  }

  return {
    async create(input: CreateUserInput): Promise<User> {
      const name = normalizeName(input.name);
      const email = normalizeEmail(input.email);
      const role = checkRole(input.role);
      checkPassword(input.password);
      await ensureUnique(name, email);
      const now = nowIso();
      const row: UsersTable = {
        id: newId(),
        tenant_id: input.tenantId,
        name,
        email,
        role,
        password_hash: await hashPassword(input.password),
        disabled_at: null,
        created_at: now,
        created_by: input.createdBy ?? null,
        password_changed_at: now,
        last_login_at: null,
      };
      try {
        await db.insertInto('users').values(row).execute();
      } catch (err) {
        // Two creations of one name at the same moment both pass ensureUnique; the unique index
        // decides, and the loser gets the same clear error as a sequential duplicate.
        if (isUniqueViolation(err)) throw new UsageError(`a user with name "${name}" already exists`);
        throw err;
      }
      return toUser(row);
    },

    async get(id: string, scopePath: string): Promise<User | undefined> {
      const r = await findRow(id, scopePath);
      return r ? toUser(r) : undefined;
    },

    async list(scopePath: string, filter: UserFilter = {}, page: PageRequest = {}): Promise<Page<User>> {
      const limit = pageSize(page.limit);
      let q = db
        .selectFrom('users')
        .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
        .selectAll('users')
        .where('tenants.path', 'like', `${scopePath}%`);
      if (filter.role) q = q.where('users.role', '=', filter.role);
      if (filter.disabled === true) q = q.where('users.disabled_at', 'is not', null);
      if (filter.disabled === false) q = q.where('users.disabled_at', 'is', null);
      if (filter.q) {
        const like = `%${filter.q.toLowerCase().replace(/[%_\\]/g, '')}%`;
        q = q.where((eb) => eb.or([eb('users.name', 'like', like), eb('users.email', 'like', like)]));
      }
      const rows = await applyKeyset(q, {
        sortColumn: 'users.name',
        idColumn: 'users.id',
        direction: 'asc',
        limit,
        cursor: page.cursor,
      }).execute();
      return toPage(rows, limit, (r) => [r.name, r.id], toUser);
    },

    /** Changes role, email or the disabled flag; disabling ends every session of the user. */
    async update(id: string, scopePath: string, change: UserUpdate): Promise<User> {
      const r = await findRow(id, scopePath);
      if (!r) throw new NotFoundError(`user ${id} not found`);
      const set: Partial<UsersTable> = {};
      if (change.role !== undefined) set.role = checkRole(change.role);
      if (change.email !== undefined) {
        set.email = normalizeEmail(change.email);
        await ensureUnique(null, set.email, id);
      }
      if (change.disabled === true && r.disabled_at === null) set.disabled_at = nowIso();
      if (change.disabled === false) set.disabled_at = null;
      if (Object.keys(set).length > 0) await db.updateTable('users').set(set).where('id', '=', id).execute();
      if (change.disabled === true) await revokeSessions(id);
      const after = await findRow(id, scopePath);
      if (!after) throw new NotFoundError(`user ${id} not found`);
      return toUser(after);
    },

    /** Deletes the user, ends its sessions and revokes the API tokens it owns. */
    async delete(id: string, scopePath: string): Promise<User> {
      const r = await findRow(id, scopePath);
      if (!r) throw new NotFoundError(`user ${id} not found`);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_sessions').where('user_id', '=', id).execute();
        await trx
          .updateTable('tokens')
          .set({ revoked_at: nowIso() })
          .where('user_id', '=', id)
          .where('revoked_at', 'is', null)
          .execute();
        await trx.deleteFrom('users').where('id', '=', id).execute();
      });
      return toUser(r);
    },

    /** Whether `password` is the user's current one (for a change of one's own password). */
    async passwordMatches(id: string, password: string): Promise<boolean> {
      const r = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
      return r ? verifyPassword(password, r.password_hash) : false;
    },

    /** Sets a new password and ends the user's other sessions (all but `keepSessionId`). */
    async setPassword(id: string, scopePath: string, password: string, keepSessionId?: string): Promise<User> {
      checkPassword(password);
      const r = await findRow(id, scopePath);
      if (!r) throw new NotFoundError(`user ${id} not found`);
      const now = nowIso();
      await db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password), password_changed_at: now })
        .where('id', '=', id)
        .execute();
      await revokeSessions(id, keepSessionId);
      return toUser({ ...r, password_changed_at: now });
    },

    /**
     * Checks a name (or email) and password and opens a session. Every failure — unknown name,
     * wrong password, disabled user — is the same AuthError, after the same scrypt work.
     */
    async login(
      nameOrEmail: string,
      password: string,
      opts: { ttlSeconds?: number; now?: Date } = {},
    ): Promise<LoginResult> {
      const key = nameOrEmail.trim().toLowerCase();
      const r = await db
        .selectFrom('users')
        .selectAll()
        .where((eb) => eb.or([eb('name', '=', key), eb('email', '=', key)]))
        .executeTakeFirst();
      decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
      const ok = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), r?.password_hash ?? (await decoyHash));
      if (!r || !ok || r.disabled_at !== null) throw new AuthError('invalid name or password');
      const now = opts.now ?? new Date();
      const expiresAt = new Date(now.getTime() + (opts.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000).toISOString();
      const id = randomBytes(6).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      await db
        .insertInto('user_sessions')
        .values({
          id,
          user_id: r.id,
          secret_hash: hashSecret(secret),
          created_at: now.toISOString(),
          expires_at: expiresAt,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
      await db.updateTable('users').set({ last_login_at: now.toISOString() }).where('id', '=', r.id).execute();
      return { token: `pals_${id}_${secret}`, expiresAt, user: toUser({ ...r, last_login_at: now.toISOString() }) };
    },

    /** Resolves a session token to its user's principal (current role and tenant) or throws 401. */
    async authenticateSession(token: string, now = nowIso()): Promise<Principal> {
      const { id, secret } = parseSessionToken(token);
      const r = await db
        .selectFrom('user_sessions')
        .innerJoin('users', 'users.id', 'user_sessions.user_id')
        .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
        .select([
          'user_sessions.id',
          'user_sessions.secret_hash',
          'user_sessions.expires_at',
          'user_sessions.revoked_at',
          'users.id as user_id',
          'users.name',
          'users.role',
          'users.tenant_id',
          'users.disabled_at',
          'tenants.path',
        ])
        .where('user_sessions.id', '=', id)
        .executeTakeFirst();
      if (!r || !secretMatches(secret, r.secret_hash)) throw new AuthError('unknown session token');
      if (r.revoked_at) throw new AuthError('session has ended; log in again');
      if (r.expires_at <= now) throw new AuthError('session has expired; log in again');
      if (r.disabled_at) throw new AuthError('user is disabled');
      return { ...principalOf(r), session: true };
    },

    /** Ends one session; true when it was still open. */
    async endSession(sessionId: string): Promise<boolean> {
      const res = await db
        .updateTable('user_sessions')
        .set({ revoked_at: nowIso() })
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

/** SQLite's and PostgreSQL's unique-constraint errors. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
