import path from 'node:path';
import { AuthError, InputError, UsageError } from '@palisade/core';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, openStore, type Store } from '../src/index.js';
import { finding, report } from './sample-report.js';
import { useStoreFixture } from './store-fixture.js';

const stores = useStoreFixture('h2-store-');
const open = stores.open;

const DAY = 24 * 3600 * 1000;
const PASSWORD = 'correct horse battery';

describe.each(['sqlite', 'postgres'] as const)('migration 0006 on %s', (kind) => {
  it("backfills today's posture snapshot from findings stored before it", async () => {
    const dataDir = stores.tempDir();
    const file = path.join(dataDir, 'palisade.db');
    const url = kind === 'postgres' ? await stores.databaseUrl() : undefined;
    const db = new Kysely<unknown>({
      dialect: url
        ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) })
        : new SqliteDialect({ database: new SqliteDatabase(file) }),
    });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0005_users')).error).toBeUndefined();
    const now = new Date().toISOString();
    const raw = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await raw
      .insertInto('tenants')
      .values({ id: 'root', parent_id: null, name: 'root', kind: 'org', path: '/root/', created_at: now })
      .execute();
    const row = (id: string, severity: string, extra: Record<string, unknown> = {}) => ({
      id,
      tenant_id: 'root',
      target: 'artifact:x',
      workload_id: null,
      fingerprint: id,
      type: 'vulnerability',
      rule_id: id,
      severity,
      severity_rank: 0,
      title: id,
      package_name: null,
      installed_version: null,
      fixed_version: null,
      state: 'open',
      data: '{}',
      first_seen: now,
      last_seen: now,
      fixed_at: null,
      last_scan_id: 's',
      suppressed_at: null,
      suppressed_by: null,
      suppression_reason: null,
      suppressed_until: null,
      ...extra,
    });
    await raw
      .insertInto('findings')
      .values([
        row('f1', 'HIGH'),
        row('f2', 'HIGH'),
        row('f3', 'LOW', { state: 'fixed' }),
        row('f4', 'LOW', { suppressed_at: now }),
      ])
      .execute();
    await db.destroy();

    const migrated = await openStore({ dataDir, db: url ?? file });
    const trend = await migrated.posture.trends('/root/', 1);
    await migrated.close();
    expect(trend.points).toEqual([
      expect.objectContaining({ total: 2, bySeverity: expect.objectContaining({ HIGH: 2, LOW: 0 }) }),
    ]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('users and console views on %s', (kind) => {
  let store: Store;
  let team: string;
  let other: string;
  beforeAll(async () => {
    store = await open(kind);
    await store.tenants.createRoot('Acme');
    team = (await store.tenants.create({ parentId: 'root', name: 'team', kind: 'team' })).id;
    other = (await store.tenants.create({ parentId: 'root', name: 'other', kind: 'team' })).id;
  });
  afterAll(async () => {
    await store?.close();
  });

  it('creates users with a scrypt hash, unique lower-case names and human roles only', async () => {
    const u = await store.users.create({
      tenantId: team,
      name: 'Alice',
      email: 'Alice@Example.com',
      role: 'analyst',
      password: PASSWORD,
    });
    expect(u).toMatchObject({ name: 'alice', email: 'alice@example.com', role: 'analyst', disabled: false });
    const row = await store.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    await expect(
      store.users.create({ tenantId: team, name: 'ALICE', role: 'analyst', password: PASSWORD }),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(
      store.users.create({ tenantId: team, name: 'alice@example.com', role: 'analyst', password: PASSWORD }),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(
      store.users.create({ tenantId: team, name: 'bob', role: 'analyst', password: 'short' }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(
      store.users.create({ tenantId: team, name: 'bob', role: 'ci' as 'analyst', password: PASSWORD }),
    ).rejects.toThrow(/API tokens/);
    await expect(
      store.users.create({ tenantId: team, name: 'bad name!', role: 'analyst', password: PASSWORD }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('refuses one of two simultaneous creations of the same name with a clear error', async () => {
    // Both pass the pre-insert check while their scrypt hashes run; the unique index decides.
    const results = await Promise.allSettled([
      store.users.create({ tenantId: team, name: 'twin', role: 'analyst', password: PASSWORD }),
      store.users.create({ tenantId: team, name: 'twin', role: 'read-only', password: PASSWORD }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(UsageError);
    expect(String(rejected.reason.message)).toMatch(/already exists/);
  });

  it('logs in by name or email into a session that carries the current role and tenant', async () => {
    const carol = await store.users.create({
      tenantId: team,
      name: 'carol',
      email: 'carol@example.com',
      role: 'read-only',
      password: PASSWORD,
    });
    const login = await store.users.login('Carol@example.com', PASSWORD);
    expect(login.token).toMatch(/^pals_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const sessions = await store.db.selectFrom('user_sessions').selectAll().where('user_id', '=', carol.id).execute();
    // The secret is everything after the id; it may itself contain '_' (base64url).
    const secret = login.token.slice('pals_'.length + 13);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(sessions)).not.toContain(secret);
    const who = await store.users.authenticateSession(login.token);
    expect(who).toMatchObject({
      tenantId: team,
      role: 'read-only',
      userId: carol.id,
      session: true,
      tenantPath: `/root/${team}/`,
    });
    await store.users.update(carol.id, '/root/', { role: 'admin' });
    expect((await store.users.authenticateSession(login.token)).role).toBe('admin');

    // One message for every failure, so a caller cannot tell which names exist.
    const failures = await Promise.all([
      store.users.login('carol', 'wrong password!!').catch((e: unknown) => e),
      store.users.login('nobody', PASSWORD).catch((e: unknown) => e),
    ]);
    for (const f of failures) {
      expect(f).toBeInstanceOf(AuthError);
      expect((f as Error).message).toBe('invalid name or password');
    }

    const expired = await store.users.login('carol', PASSWORD, { now: new Date(Date.now() - 2 * DAY), ttlSeconds: 60 });
    await expect(store.users.authenticateSession(expired.token)).rejects.toThrow(/expired/);
    expect(await store.users.endSession(who.tokenId)).toBe(true);
    await expect(store.users.authenticateSession(login.token)).rejects.toThrow(/ended/);
    await expect(store.users.authenticateSession('pals_nonsense')).rejects.toBeInstanceOf(AuthError);
  });

  it('ends other sessions on a password change, and everything of a disabled user', async () => {
    const dave = await store.users.create({ tenantId: team, name: 'dave', role: 'admin', password: PASSWORD });
    const s1 = await store.users.login('dave', PASSWORD);
    const s2 = await store.users.login('dave', PASSWORD);
    const p1 = await store.users.authenticateSession(s1.token);
    await store.users.setPassword(dave.id, '/root/', 'a new long password', p1.tokenId);
    await expect(store.users.authenticateSession(s2.token)).rejects.toThrow(/ended/);
    await expect(store.users.authenticateSession(s1.token)).resolves.toMatchObject({ userId: dave.id });
    await expect(store.users.login('dave', PASSWORD)).rejects.toBeInstanceOf(AuthError);
    expect(await store.users.passwordMatches(dave.id, 'a new long password')).toBe(true);

    const owned = await store.tokens.issue({
      tenantId: team,
      name: 'dave-cli',
      role: 'admin',
      userId: dave.id,
      createdBy: `user:${dave.id}`,
    });
    expect(owned.info.userId).toBe(dave.id);
    await expect(store.tokens.authenticate(owned.token)).resolves.toMatchObject({ userId: dave.id });
    const disabled = await store.users.update(dave.id, '/root/', { disabled: true });
    expect(disabled.disabled).toBe(true);
    await expect(store.users.authenticateSession(s1.token)).rejects.toBeInstanceOf(AuthError);
    await expect(store.tokens.authenticate(owned.token)).rejects.toThrow(/owner is disabled/);
    await expect(store.users.login('dave', 'a new long password')).rejects.toThrow('invalid name or password');
    await store.users.update(dave.id, '/root/', { disabled: false });
    await expect(store.tokens.authenticate(owned.token)).resolves.toMatchObject({ userId: dave.id });
    await store.users.delete(dave.id, '/root/');
    await expect(store.tokens.authenticate(owned.token)).rejects.toThrow(/revoked/);
    expect(await store.users.get(dave.id, '/root/')).toBeUndefined();
  });

  it('lists users of a subtree by name with filters and cursor pages', async () => {
    for (const n of ['u1', 'u2', 'u3'])
      await store.users.create({ tenantId: other, name: n, role: 'read-only', password: PASSWORD });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.users.list(`/root/${other}/`, {}, { limit: 2, cursor });
      names.push(...page.items.map((u) => u.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['u1', 'u2', 'u3']);
    expect(
      (await store.users.list(`/root/${team}/`, { role: 'read-only' })).items.every((u) => u.tenantId === team),
    ).toBe(true);
    expect((await store.users.list('/root/', { q: 'U2' })).items.map((u) => u.name)).toEqual(['u2']);
    const u3 = (await store.users.list('/root/', { q: 'u3' })).items[0];
    expect(await store.users.get(u3?.id ?? '', `/root/${team}/`)).toBeUndefined();
  });

  it('keeps daily posture snapshots and fills trend gaps by carrying the last value forward', async () => {
    const child = (await store.tenants.create({ parentId: team, name: 'eks', kind: 'cluster' })).id;
    const today = new Date('2030-03-10T12:00:00Z');
    const day = (n: number) => new Date(today.getTime() - n * DAY);
    const t0 = Date.now();
    await store.findings.ingestScan({
      tenantId: child,
      report: report('app:trend', [finding('CVE-A', 'CRITICAL'), finding('CVE-B', 'LOW')], new Date(t0).toISOString()),
    });
    await store.posture.recordSnapshot(child, day(3));
    await store.findings.ingestScan({
      tenantId: child,
      report: report('app:trend', [finding('CVE-B', 'LOW')], new Date(t0 + 1000).toISOString()),
    });
    await store.posture.recordSnapshot(child, day(1));
    // A second change on the same day rewrites that day's row.
    await store.posture.recordSnapshot(child, day(1));

    const trend = await store.posture.trends(`/root/${team}/`, 5, today);
    expect(trend.from).toBe('2030-03-06');
    expect(trend.to).toBe('2030-03-10');
    expect(trend.points.map((p) => [p.day, p.total])).toEqual([
      ['2030-03-06', 0],
      ['2030-03-07', 2],
      ['2030-03-08', 2],
      ['2030-03-09', 1],
      ['2030-03-10', 1],
    ]);
    expect(trend.points[1]?.bySeverity).toMatchObject({ CRITICAL: 1, LOW: 1, HIGH: 0 });
    expect(trend.points[1]?.byType).toEqual({ vulnerability: 2 });
    // The window starts from the last snapshot before it.
    const later = await store.posture.trends('/root/', 2, new Date(today.getTime() + 30 * DAY));
    expect(later.points.map((p) => p.total)).toEqual([1, 1]);
    expect((await store.posture.trends(`/root/${other}/`, 3, today)).points.map((p) => p.total)).toEqual([0, 0, 0]);
    await expect(store.posture.trends('/root/', 0)).rejects.toBeInstanceOf(InputError);
    await expect(store.posture.trends('/root/', 367)).rejects.toBeInstanceOf(InputError);
  });

  it('ranks workloads by weighted severity, exposure and recent alerts', async () => {
    const riskTenant = (await store.tenants.create({ parentId: 'root', name: 'risk', kind: 'account' })).id;
    const scope = `/root/${riskTenant}/`;
    const up = (name: string) => store.workloads.upsert(riskTenant, { kind: 'host', name, cluster: 'c1' });
    const [w1, w2, w3] = [await up('w1'), await up('w2'), await up('w3')];
    const scan = (workloadId: string, findings: ReturnType<typeof finding>[]) =>
      store.findings.ingestScan({ tenantId: riskTenant, workloadId, report: report(`img-${workloadId}`, findings) });
    await scan(w1.id, [finding('CVE-1', 'CRITICAL')]);
    await scan(w2.id, [
      finding('CVE-2', 'HIGH'),
      finding('CVE-3', 'HIGH'),
      { ...finding('EXP-1', 'MEDIUM'), id: 'fp-exp', type: 'exposure' },
    ]);
    const agent = await store.agents.register(riskTenant, { name: 'a3', workloadId: w3.id });
    const now = new Date();
    await store.events.insertBatch(riskTenant, agent.id, [
      { id: 'e1', ts: now.toISOString(), type: 'exec', rule: 'Shell in container', priority: 'Warning' },
      { id: 'e2', ts: now.toISOString(), type: 'exec', rule: 'Shell in container', priority: 'Critical' },
      { id: 'e3', ts: now.toISOString(), type: 'exec' },
      {
        id: 'e4',
        ts: new Date(now.getTime() - 2 * DAY).toISOString(),
        type: 'exec',
        rule: 'old',
        priority: 'Critical',
      },
    ]);

    const ranked = await store.posture.topRisks(scope, {}, {}, now);
    expect(ranked.items.map((r) => [r.workload.name, r.score])).toEqual([
      ['w2', 14],
      ['w3', 13],
      ['w1', 10],
    ]);
    expect(ranked.items[0]?.counts).toEqual({
      critical: 0,
      high: 2,
      medium: 1,
      low: 0,
      unknown: 0,
      exposure: 1,
      alerts24h: 0,
    });
    expect(ranked.items[1]?.counts.alerts24h).toBe(2);

    const first = await store.posture.topRisks(scope, {}, { limit: 2 }, now);
    expect(first.items).toHaveLength(2);
    const rest = await store.posture.topRisks(scope, {}, { limit: 2, cursor: first.nextCursor }, now);
    expect(rest.items.map((r) => r.workload.name)).toEqual(['w1']);
    expect(rest.nextCursor).toBeUndefined();
    expect((await store.posture.topRisks(scope, { cluster: 'other' }, {}, now)).items).toEqual([]);
    expect((await store.posture.topRisks(`/root/${other}/`, {}, {}, now)).items).toEqual([]);
  });

  it('lists images with workload and deduplicated vulnerability counts, and who runs each vulnerability', async () => {
    const imgTenant = (await store.tenants.create({ parentId: 'root', name: 'images', kind: 'account' })).id;
    const scope = `/root/${imgTenant}/`;
    const digest = 'sha256:aaaa';
    const pods = [];
    for (const name of ['pod-b', 'pod-a']) {
      pods.push(await store.workloads.upsert(imgTenant, { kind: 'pod', name, imageDigest: digest, namespace: 'shop' }));
    }
    const lone = await store.workloads.upsert(imgTenant, { kind: 'pod', name: 'pod-c', imageDigest: 'sha256:bbbb' });
    for (const p of pods) {
      await store.findings.ingestScan({
        tenantId: imgTenant,
        workloadId: p.id,
        report: report('shop:1', [
          finding('CVE-1', 'CRITICAL'),
          finding('CVE-2', 'LOW'),
          { ...finding('SECRET-1'), id: 'fp-s', type: 'secret' },
        ]),
      });
    }
    await store.findings.ingestScan({
      tenantId: imgTenant,
      workloadId: lone.id,
      report: report('other:1', [finding('CVE-9', 'MEDIUM')]),
    });

    const images = await store.images.list(scope);
    expect(images.items.map((i) => [i.digest, i.workloads, i.vulnerabilities.total])).toEqual([
      [digest, 2, 2],
      ['sha256:bbbb', 1, 1],
    ]);
    expect(images.items[0]?.vulnerabilities.bySeverity).toMatchObject({ CRITICAL: 1, LOW: 1, HIGH: 0 });
    const paged = await store.images.list(scope, {}, { limit: 1 });
    expect(paged.items.map((i) => i.digest)).toEqual([digest]);
    expect(
      (await store.images.list(scope, {}, { limit: 1, cursor: paged.nextCursor })).items.map((i) => i.digest),
    ).toEqual(['sha256:bbbb']);
    expect((await store.images.list(scope, { q: 'bbb' })).items).toHaveLength(1);

    const vulns = await store.images.vulnerabilities(digest, scope);
    expect(vulns.items.map((v) => [v.ruleId, v.severity, v.workloadCount])).toEqual([
      ['CVE-1', 'CRITICAL', 2],
      ['CVE-2', 'LOW', 2],
    ]);
    expect(vulns.items[0]?.workloads.map((w) => w.name)).toEqual(['pod-a', 'pod-b']);
    expect(vulns.items[0]).toMatchObject({
      packageName: 'openssl',
      installedVersion: '3.0.11-1',
      fixedVersion: '3.0.13-1',
    });
    const page1 = await store.images.vulnerabilities(digest, scope, {}, { limit: 1 });
    const page2 = await store.images.vulnerabilities(digest, scope, {}, { limit: 1, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((v) => v.ruleId)).toEqual(['CVE-1', 'CVE-2']);
    expect(page2.nextCursor).toBeUndefined();
    expect(
      (await store.images.vulnerabilities(digest, scope, { severity: ['LOW'] })).items.map((v) => v.ruleId),
    ).toEqual(['CVE-2']);
    await expect(store.images.vulnerabilities(digest, `/root/${other}/`)).rejects.toThrow(/no workload or scan/);

    // A scan of the image itself (CI, no workload) adds its findings to the image, matched by
    // config id or repo digest, and shows the workloads that run it.
    const built = `sha256:${'c'.repeat(64)}`;
    const scanned = report('shop:2', [finding('CVE-7', 'HIGH')]);
    scanned.artifact.image = { id: built, repoDigests: [`registry.example/shop@sha256:${'d'.repeat(64)}`], layers: [] };
    const upload = await store.findings.ingestScan({ tenantId: imgTenant, report: scanned });
    await store.images.recordScanDigests(upload.scanId, imgTenant, scanned.artifact.image);
    await store.workloads.upsert(imgTenant, { kind: 'pod', name: 'pod-d', imageDigest: `sha256:${'d'.repeat(64)}` });
    const all = await store.images.list(scope);
    expect(all.items.map((i) => [i.digest, i.workloads, i.vulnerabilities.total])).toEqual([
      [digest, 2, 2],
      ['sha256:bbbb', 1, 1],
      [built, 0, 1],
      [`sha256:${'d'.repeat(64)}`, 1, 1],
    ]);
    const viaRepoDigest = await store.images.vulnerabilities(`sha256:${'d'.repeat(64)}`, scope);
    expect(viaRepoDigest.items.map((v) => [v.ruleId, v.workloads.map((w) => w.name)])).toEqual([['CVE-7', ['pod-d']]]);
    expect((await store.images.vulnerabilities(built, scope)).items.map((v) => [v.ruleId, v.workloadCount])).toEqual([
      ['CVE-7', 0],
    ]);
  });
});
