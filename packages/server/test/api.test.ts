// The REST API end to end through app.inject(), once on SQLite and once on a real PostgreSQL.

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

describe.each(['sqlite', 'postgres'] as const)('API on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, pg);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves its OpenAPI document and Swagger UI', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const json = doc.json() as { openapi: string; paths: Record<string, unknown> };
    expect(json.openapi).toMatch(/^3\./);
    expect(Object.keys(json.paths)).toEqual(
      expect.arrayContaining(['/api/v1/findings', '/api/v1/scans', '/api/v1/events']),
    );
    const ui = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('answers health, readiness and metrics', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await h.app.inject({ method: 'GET', url: '/api/v1/workloads', headers: bearer(h.tokens.A.analyst) });
    const m = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toContain('palisade_http_requests_total{method="GET",route="/api/v1/workloads",status="200"}');
    expect(m.body).toContain('palisade_findings_open');
    expect(m.body).toContain('palisade_agents_connected');
  });

  it('tracks a finding through open → fixed → reopened across uploaded scans, with history', async () => {
    const workload = { kind: 'container' as const, name: 'shop/web', provider: 'aws' as const, region: 'eu-west-1' };
    const upload = async (rules: string[], offset: number) => {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/scans',
        headers: bearer(h.tokens.A.ci),
        payload: {
          report: report(
            'shop/web:1',
            rules.map((x) => finding(x)),
            new Date(Date.now() + offset).toISOString(),
          ),
          workload,
        },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json() as { scanId: string; workloadId: string; opened: number; fixed: number; reopened: number };
    };
    const a = await upload(['CVE-X', 'CVE-Y'], 0);
    expect(a.opened).toBe(2);
    const b = await upload(['CVE-Y', 'CVE-Z'], 1000);
    expect(b).toMatchObject({ opened: 1, fixed: 1 });
    const statuses = async () => {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/findings?workloadId=${a.workloadId}&limit=100`,
        headers: bearer(h.tokens.A.analyst),
      });
      expect(r.statusCode).toBe(200);
      const items = (r.json() as { items: { id: string; ruleId: string; status: string }[] }).items;
      return Object.fromEntries(items.map((f) => [f.ruleId, f]));
    };
    let s = await statuses();
    expect([s['CVE-X']?.status, s['CVE-Y']?.status, s['CVE-Z']?.status]).toEqual(['fixed', 'open', 'open']);
    const c = await upload(['CVE-X', 'CVE-Y', 'CVE-Z'], 2000);
    expect(c.reopened).toBe(1);
    s = await statuses();
    expect(s['CVE-X']?.status).toBe('open');
    const hist = await h.app.inject({
      method: 'GET',
      url: `/api/v1/findings/${s['CVE-X']?.id}/history`,
      headers: bearer(h.tokens.A['read-only']),
    });
    expect((hist.json() as { items: { action: string }[] }).items.map((i) => i.action)).toEqual([
      'opened',
      'fixed',
      'reopened',
    ]);

    const sup = await h.app.inject({
      method: 'POST',
      url: `/api/v1/findings/${s['CVE-Z']?.id}/suppress`,
      headers: bearer(h.tokens.A.analyst),
      payload: { reason: 'not reachable from outside', until: '2999-01-01T00:00:00.000Z' },
    });
    expect(sup.statusCode).toBe(200);
    expect(sup.json()).toMatchObject({ status: 'suppressed', suppression: { reason: 'not reachable from outside' } });

    const posture = await h.app.inject({ method: 'GET', url: '/api/v1/posture', headers: bearer(h.tokens.A.analyst) });
    expect(posture.json()).toMatchObject({
      tenantId: h.tenantA,
      findings: { total: 2, bySeverity: { HIGH: 2 } },
      workloads: 1,
    });

    const wl = await h.app.inject({
      method: 'GET',
      url: '/api/v1/workloads?provider=aws&sort=name',
      headers: bearer(h.tokens.A['read-only']),
    });
    expect((wl.json() as { items: { name: string; region: string }[] }).items).toEqual([
      expect.objectContaining({ name: 'shop/web', region: 'eu-west-1' }),
    ]);

    const audit = await h.app.inject({
      method: 'GET',
      url: '/api/v1/audit?action=finding.suppress',
      headers: bearer(h.tokens.A.admin),
    });
    expect((audit.json() as { items: { targetId: string }[] }).items.map((e) => e.targetId)).toEqual([s['CVE-Z']?.id]);
  });

  it('ingests an NDJSON event batch once however often it is sent, and lists alerts', async () => {
    const agent = await h.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: bearer(h.tokens.A.agent),
      payload: { name: 'node-1', version: '0.1.0' },
    });
    expect(agent.statusCode).toBe(200);
    const agentId = (agent.json() as { id: string }).id;
    const beat = await h.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agentId}/heartbeat`,
      headers: bearer(h.tokens.A.agent),
      payload: { health: { queue: 0 } },
    });
    expect(beat.statusCode).toBe(200);
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        id: `e-${i}`,
        ts: new Date(1_700_000_000_000 + i * 1000).toISOString(),
        type: 'exec',
        host: 'node-1',
        ...(i % 3 === 0 ? { rule: 'Shell in container', priority: 'WARNING' } : {}),
      }),
    ).join('\n');
    const send = () =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/events?agentId=${agentId}`,
        headers: { ...bearer(h.tokens.A.agent), 'content-type': 'application/x-ndjson' },
        payload: lines,
      });
    const first = await send();
    expect(first.json()).toEqual({ received: 300, accepted: 300, duplicates: 0 });
    const second = await send();
    expect(second.json()).toEqual({ received: 300, accepted: 0, duplicates: 300 });
    expect(await h.store.events.count(h.tenantA)).toBe(300);
    const alerts = await h.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?limit=1000&priority=WARNING',
      headers: bearer(h.tokens.A.analyst),
    });
    expect((alerts.json() as { items: unknown[] }).items).toHaveLength(100);
    const agents = await h.app.inject({
      method: 'GET',
      url: '/api/v1/agents',
      headers: bearer(h.tokens.A['read-only']),
    });
    expect((agents.json() as { items: { name: string; health: unknown }[] }).items).toEqual([
      expect.objectContaining({ name: 'node-1', health: { queue: 0 } }),
    ]);
  });

  it('answers bad input with clear 400s', async () => {
    const unknownField = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(h.tokens.A.admin),
      payload: { name: 'x', kind: 'team', colour: 'red' },
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().message).toMatch(/additional properties/i);
    const badKind = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(h.tokens.A.admin),
      payload: { name: 'x', kind: 'galaxy' },
    });
    expect(badKind.statusCode).toBe(400);
    const badLine = await h.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...bearer(h.tokens.A.agent), 'content-type': 'application/x-ndjson' },
      payload: '{"id":"1","ts":"2024-01-01T00:00:00Z","type":"exec"}\n{not json',
    });
    expect(badLine.statusCode).toBe(400);
    expect(badLine.json().message).toBe('events batch line 2: not valid JSON');
    const badCursor = await h.app.inject({
      method: 'GET',
      url: '/api/v1/findings?cursor=zzz',
      headers: bearer(h.tokens.A.analyst),
    });
    expect(badCursor.statusCode).toBe(400);
    const badSeverity = await h.app.inject({
      method: 'GET',
      url: '/api/v1/findings?severity=SEVERE',
      headers: bearer(h.tokens.A.analyst),
    });
    expect(badSeverity.statusCode).toBe(400);
    expect(badSeverity.json().message).toContain('SEVERE');
    const badScan = await h.app.inject({
      method: 'POST',
      url: '/api/v1/scans',
      headers: bearer(h.tokens.A.ci),
      payload: { report: { schemaVersion: 2 } },
    });
    expect(badScan.statusCode).toBe(400);
  });

  it('shows a new token once, lists it without its secret, and refuses it once revoked', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(h.tokens.A.admin),
      payload: { name: 'pipeline', role: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json() as { token: string; info: { id: string } };
    const list = await h.app.inject({
      method: 'GET',
      url: '/api/v1/tokens?limit=100',
      headers: bearer(h.tokens.A.admin),
    });
    expect(list.body).toContain(info.id);
    expect(list.body).not.toContain(token.slice(-20));
    const ok = await h.app.inject({
      method: 'POST',
      url: '/api/v1/scans',
      headers: bearer(token),
      payload: { report: report('t', []) },
    });
    expect(ok.statusCode).toBe(201);
    const revoke = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${info.id}`,
      headers: bearer(h.tokens.A.admin),
    });
    expect(revoke.statusCode).toBe(200);
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/v1/scans',
      headers: bearer(token),
      payload: { report: report('t', []) },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().message).toMatch(/revoked/);
  });

  it('paginates lists with cursors', async () => {
    for (let i = 0; i < 5; i++) await h.store.workloads.upsert(h.tenantB, { kind: 'host', name: `host-${i}` });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/workloads?sort=name&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: bearer(h.tokens.B.analyst),
      });
      const page = r.json() as { items: { name: string }[]; nextCursor?: string };
      names.push(...page.items.map((w) => w.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['host-0', 'host-1', 'host-2', 'host-3', 'host-4']);
  });
});

describe('API limits and logging (sqlite)', () => {
  it('rate-limits per token', async () => {
    const h = await createHarness('sqlite', undefined, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        codes.push(
          (await h.app.inject({ method: 'GET', url: '/api/v1/workloads', headers: bearer(h.tokens.A.analyst) }))
            .statusCode,
        );
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      // Another token has its own budget.
      expect(
        (await h.app.inject({ method: 'GET', url: '/api/v1/workloads', headers: bearer(h.tokens.B.analyst) }))
          .statusCode,
      ).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('refuses bodies over the limit with 413', async () => {
    const h = await createHarness('sqlite', undefined, { bodyLimit: 1024 });
    try {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: bearer(h.rootToken),
        payload: { name: 'x'.repeat(5000), kind: 'team' },
      });
      expect(r.statusCode).toBe(413);
    } finally {
      await h.close();
    }
  });

  it('never writes a token to the log', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const h = await createHarness('sqlite', undefined, { logLevel: 'trace', logStream });
    try {
      await h.app.inject({ method: 'GET', url: '/api/v1/findings', headers: bearer(h.tokens.A.analyst) });
      await h.app.inject({ method: 'GET', url: '/api/v1/findings', headers: bearer(`${h.tokens.A.analyst}x`) });
      const created = await h.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: bearer(h.rootToken),
        payload: { name: 'n', role: 'ci' },
      });
      const newToken = (created.json() as { token: string }).token;
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('');
      for (const secret of [h.tokens.A.analyst, h.rootToken, newToken]) expect(all).not.toContain(secret.slice(-30));
    } finally {
      await h.close();
    }
  });
});
