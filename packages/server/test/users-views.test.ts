// Users, login sessions and the console views through the REST API, once on SQLite and once on a
// real PostgreSQL: login/logout/me, user administration with its audit trail, password changes,
// the login throttle, posture trends, top risky workloads and images.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresFixture, startPostgres } from '../../store/test/postgres-fixture.js';
import { finding, report } from '../../store/test/sample-report.js';
import { bearer, createHarness, type Harness } from './harness.js';

let pg: PostgresFixture | undefined;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const PASSWORD = 'a long enough password';

describe.each(['sqlite', 'postgres'] as const)('users and console views on %s', (kind) => {
  let h: Harness;
  const logLines: string[] = [];
  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await createHarness(kind, pg, { logLevel: 'info', logStream });
  });
  afterAll(async () => {
    await h?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: unknown) =>
    h.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: token ? bearer(token) : {},
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const login = async (name: string, password = PASSWORD) => {
    const r = await api('POST', '/auth/login', undefined, { name, password });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { token: string; expiresAt: string; user: { id: string; role: string } };
  };

  it('lets an admin create users who log in, see themselves, create owned tokens and log out', async () => {
    const created = await api('POST', '/users', h.tokens.A.admin, {
      name: 'Erin',
      email: 'erin@example.com',
      role: 'analyst',
      password: PASSWORD,
    });
    expect(created.statusCode, created.body).toBe(201);
    const erin = created.json() as { id: string; name: string; tenantId: string };
    expect(erin).toMatchObject({ name: 'erin', tenantId: h.tenantA });
    expect(created.body).not.toContain(PASSWORD);
    expect(
      (await api('POST', '/users', h.tokens.A.admin, { name: 'erin', role: 'analyst', password: PASSWORD })).statusCode,
    ).toBe(400);
    expect(
      (await api('POST', '/users', h.tokens.A.admin, { name: 'x', role: 'ci', password: PASSWORD })).statusCode,
    ).toBe(400);
    expect(
      (await api('POST', '/users', h.tokens.A.admin, { name: 'x', role: 'analyst', password: 'short' })).statusCode,
    ).toBe(400);

    const session = await login('erin@example.com');
    expect(session.token).toMatch(/^pals_/);
    const me = await api('GET', '/auth/me', session.token);
    expect(me.json()).toMatchObject({ tenantId: h.tenantA, role: 'analyst', kind: 'session', user: { id: erin.id } });
    expect((await api('GET', '/findings', session.token)).statusCode).toBe(200);
    expect((await api('GET', '/users', session.token)).statusCode).toBe(403);

    // An admin user's tokens are owned by them and name them as creator.
    await api('PATCH', `/users/${erin.id}`, h.tokens.A.admin, { role: 'admin' });
    const token = await api('POST', '/tokens', session.token, { name: 'erin-ci', role: 'ci' });
    expect(token.statusCode, token.body).toBe(201);
    expect((token.json() as { info: unknown }).info).toMatchObject({ userId: erin.id, createdBy: `user:${erin.id}` });

    const out = await api('POST', '/auth/logout', session.token);
    expect(out.json()).toEqual({ tenantId: h.tenantA, ended: true });
    expect((await api('GET', '/auth/me', session.token)).statusCode).toBe(401);
    expect((await api('POST', '/auth/logout', h.tokens.A.analyst)).json()).toEqual({
      tenantId: h.tenantA,
      ended: false,
    });

    const audit = (await api('GET', '/audit?limit=50', h.tokens.A.admin)).json() as {
      items: { action: string; actor: string; detail: unknown }[];
    };
    const actions = audit.items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.create', 'user.login', 'user.update', 'token.create', 'user.logout']),
    );
    expect(audit.items.find((e) => e.action === 'token.create')?.actor).toBe(`user:${erin.id}`);
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
  });

  it('changes passwords: your own with the current one, anyone else only as an admin', async () => {
    const u = (
      await api('POST', '/users', h.tokens.A.admin, { name: 'frank', role: 'read-only', password: PASSWORD })
    ).json() as { id: string };
    const s1 = await login('frank');
    const s2 = await login('frank');
    const wrong = await api('POST', `/users/${u.id}/password`, s1.token, {
      newPassword: 'frank new password',
      currentPassword: 'nope',
    });
    expect(wrong.statusCode).toBe(403);
    const own = await api('POST', `/users/${u.id}/password`, s1.token, {
      newPassword: 'frank new password',
      currentPassword: PASSWORD,
    });
    expect(own.statusCode, own.body).toBe(200);
    expect((await api('GET', '/auth/me', s1.token)).statusCode).toBe(200);
    expect((await api('GET', '/auth/me', s2.token)).statusCode).toBe(401);

    const other = (
      await api('POST', '/users', h.tokens.A.admin, { name: 'gina', role: 'analyst', password: PASSWORD })
    ).json() as { id: string };
    expect(
      (await api('POST', `/users/${other.id}/password`, s1.token, { newPassword: 'gina new password' })).statusCode,
    ).toBe(403);
    const byAdmin = await api('POST', `/users/${other.id}/password`, h.tokens.A.admin, {
      newPassword: 'gina new password',
    });
    expect(byAdmin.statusCode).toBe(200);
    await login('gina', 'gina new password');
    expect(
      (await api('POST', `/users/${other.id}/password`, h.tokens.B.admin, { newPassword: 'gina newer password' }))
        .statusCode,
    ).toBe(404);
  });

  it('disables a user: sessions end, login fails with the generic 401, and admins cannot lock themselves out', async () => {
    const u = (
      await api('POST', '/users', h.tokens.A.admin, { name: 'hank', role: 'admin', password: PASSWORD })
    ).json() as { id: string };
    const s = await login('hank');
    expect((await api('PATCH', `/users/${u.id}`, s.token, { disabled: true })).statusCode).toBe(400);
    expect((await api('DELETE', `/users/${u.id}`, s.token)).statusCode).toBe(400);
    const disabled = await api('PATCH', `/users/${u.id}`, h.tokens.A.admin, { disabled: true });
    expect(disabled.json()).toMatchObject({ disabled: true });
    expect((await api('GET', '/auth/me', s.token)).statusCode).toBe(401);
    const refused = await api('POST', '/auth/login', undefined, { name: 'hank', password: PASSWORD });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ message: 'invalid name or password' });
    const list = (await api('GET', '/users?disabled=true', h.tokens.A.admin)).json() as { items: { name: string }[] };
    expect(list.items.map((x) => x.name)).toEqual(['hank']);
    expect((await api('GET', '/users', h.tokens.B.admin)).json()).toMatchObject({ items: [] });
    expect((await api('DELETE', `/users/${u.id}`, h.tokens.A.admin)).statusCode).toBe(200);
    expect((await api('GET', `/users/${u.id}`, h.tokens.A.admin)).statusCode).toBe(404);
  });

  it('throttles repeated failed logins per name, whether or not the name exists', async () => {
    for (const name of ['ivy-unknown', 'erin']) {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++)
        codes.push((await api('POST', '/auth/login', undefined, { name, password: 'wrong password' })).statusCode);
      expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    }
    const blocked = await api('POST', '/auth/login', undefined, { name: 'erin', password: PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('never writes a password to the log', () => {
    const all = logLines.join('');
    expect(all).toContain('failed login');
    for (const secret of [PASSWORD, 'frank new password', 'gina new password', 'wrong password'])
      expect(all).not.toContain(secret);
  });

  it('records posture snapshots when findings change and serves gap-filled trends', async () => {
    const upload = await api('POST', '/scans', h.tokens.B.ci, {
      report: report('trend:1', [finding('CVE-T1', 'CRITICAL'), finding('CVE-T2', 'MEDIUM')]),
    });
    expect(upload.statusCode).toBe(201);
    const trend = await api('GET', '/posture/trends?days=7', h.tokens.B['read-only']);
    expect(trend.statusCode, trend.body).toBe(200);
    const body = trend.json() as {
      tenantId: string;
      points: { day: string; total: number; bySeverity: Record<string, number> }[];
    };
    expect(body.tenantId).toBe(h.tenantB);
    expect(body.points).toHaveLength(7);
    expect(body.points.slice(0, 6).every((p) => p.total === 0)).toBe(true);
    expect(body.points[6]).toMatchObject({
      day: new Date().toISOString().slice(0, 10),
      total: 2,
      bySeverity: { CRITICAL: 1, MEDIUM: 1 },
    });

    const f = (await api('GET', '/findings?ruleId=CVE-T1', h.tokens.B.analyst)).json() as { items: { id: string }[] };
    await api('POST', `/findings/${f.items[0]?.id}/suppress`, h.tokens.B.analyst, { reason: 'accepted' });
    const after = (await api('GET', '/posture/trends?days=1', h.tokens.B.analyst)).json() as {
      points: { total: number }[];
    };
    expect(after.points).toEqual([expect.objectContaining({ total: 1 })]);
    // The root sees its children's snapshots summed.
    const root = (await api('GET', '/posture/trends?days=1', h.rootToken)).json() as { points: { total: number }[] };
    expect(root.points[0]?.total).toBeGreaterThanOrEqual(1);
    expect((await api('GET', '/posture/trends?days=0', h.tokens.B.analyst)).statusCode).toBe(400);
  });

  it('ranks risky workloads and lists images with the workloads running their vulnerabilities', async () => {
    const digest = 'sha256:1111';
    for (const [name, findings] of [
      ['web-1', [finding('CVE-W1', 'CRITICAL'), finding('CVE-W2', 'HIGH')]],
      ['web-2', [finding('CVE-W1', 'CRITICAL')]],
    ] as const) {
      const r = await api('POST', '/scans', h.tokens.B.ci, {
        report: report('web:1', [...findings]),
        workload: { kind: 'pod', name, namespace: 'shop', imageDigest: digest },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const risks = await api('GET', '/workloads/top-risks?limit=2&namespace=shop', h.tokens.B['read-only']);
    expect(risks.statusCode, risks.body).toBe(200);
    const ranked = risks.json() as {
      items: { workload: { name: string }; score: number; counts: { critical: number } }[];
      nextCursor?: string;
    };
    expect(ranked.items.map((r) => [r.workload.name, r.score])).toEqual([
      ['web-1', 15],
      ['web-2', 10],
    ]);
    expect(ranked.nextCursor).toBeUndefined();

    const images = (await api('GET', '/images', h.tokens.B.analyst)).json() as {
      items: { digest: string; workloads: number; vulnerabilities: { total: number } }[];
    };
    expect(images.items).toEqual([
      expect.objectContaining({ digest, workloads: 2, vulnerabilities: expect.objectContaining({ total: 2 }) }),
    ]);
    const vulns = await api('GET', `/images/${encodeURIComponent(digest)}/vulnerabilities`, h.tokens.B.analyst);
    expect(vulns.statusCode, vulns.body).toBe(200);
    const items = (
      vulns.json() as { items: { ruleId: string; workloadCount: number; workloads: { name: string }[] }[] }
    ).items;
    expect(items.map((v) => [v.ruleId, v.workloadCount, v.workloads.map((w) => w.name)])).toEqual([
      ['CVE-W1', 2, ['web-1', 'web-2']],
      ['CVE-W2', 2, ['web-1', 'web-2']],
    ]);
    expect(
      (
        await api('GET', `/images/${encodeURIComponent(digest)}/vulnerabilities?severity=HIGH`, h.tokens.B.analyst)
      ).json(),
    ).toMatchObject({
      items: [{ ruleId: 'CVE-W2' }],
    });
    expect(
      (await api('GET', `/images/${encodeURIComponent(digest)}/vulnerabilities`, h.tokens.A.analyst)).statusCode,
    ).toBe(404);
    expect((await api('GET', '/images?limit=0', h.tokens.B.analyst)).statusCode).toBe(400);

    // A CI scan of an image (no workload) is tied to the pods running it by the image's digest.
    const built = `sha256:${'e'.repeat(64)}`;
    const ciReport = report('shop:2', [finding('CVE-CI', 'HIGH')]);
    ciReport.artifact.image = { id: built, layers: [] };
    expect((await api('POST', '/scans', h.tokens.B.ci, { report: ciReport })).statusCode).toBe(201);
    await api('POST', '/scans', h.tokens.B.ci, {
      report: report('shop:2', []),
      workload: { kind: 'pod', name: 'shop-2', imageDigest: built },
    });
    const ci = await api('GET', `/images/${built}/vulnerabilities`, h.tokens.B.analyst);
    expect(ci.statusCode, ci.body).toBe(200);
    expect((ci.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        ruleId: 'CVE-CI',
        workloadCount: 1,
        workloads: [expect.objectContaining({ name: 'shop-2' })],
      }),
    ]);
  });
});

describe('login rate limit (SQLite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite', undefined, { rateLimit: { max: 1000, timeWindowMs: 60_000 } });
    await h.store.users.create({ tenantId: h.tenantA, name: 'busy', role: 'read-only', password: PASSWORD });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('allows 30 login requests a minute per address, far below the API-wide limit', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 31; i++) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { name: 'busy', password: PASSWORD },
      });
      codes.push(r.statusCode);
    }
    expect(codes.slice(0, 30).every((c) => c === 200)).toBe(true);
    expect(codes[30]).toBe(429);
    // Other routes keep the API-wide budget.
    const other = await h.app.inject({ method: 'GET', url: '/api/v1/findings', headers: bearer(h.tokens.A.analyst) });
    expect(other.statusCode).toBe(200);
  });
});
