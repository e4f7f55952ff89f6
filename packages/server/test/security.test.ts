// Walks every operation in the OpenAPI document: 401 without a token, 403 for every role the
// operation does not list, and 403/404 when a token of tenant A names tenant B's data.

import { ROLES, type Role } from '@palisade/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finding, report } from '../../store/test/sample-report.js';
import { PERMISSIONS } from '../src/permissions.js';
import { bearer, createHarness, type Harness } from './harness.js';

interface Operation {
  method: string;
  path: string;
  roles: Role[];
  queryParams: string[];
  hasBody: boolean;
}

let h: Harness;
let ops: Operation[];
/** "METHOD /path" of the operations marked x-palisade-public. */
const publicOps: string[] = [];
/** Ids of tenant B's objects, by the collection that appears in the path. */
const bIds: Record<string, string> = {};
const aIds: Record<string, string> = {};

// Bodies that pass validation, so a cross-tenant request reaches the handler's scope check.
const validBodies: Record<string, unknown> = {
  'POST /api/v1/tenants': { name: 'x', kind: 'team' },
  'PATCH /api/v1/tenants/{id}': { name: 'renamed' },
  'POST /api/v1/tokens': { name: 'x', role: 'ci' },
  'POST /api/v1/scans': { report: report('img', []) },
  'POST /api/v1/findings/{id}/suppress': { reason: 'r' },
  'POST /api/v1/agents': { name: 'x' },
  'POST /api/v1/agents/{id}/heartbeat': {},
  'POST /api/v1/events': '{"id":"1","ts":"2024-01-01T00:00:00Z","type":"exec"}',
  'POST /api/v1/policies': { kind: 'NetworkPolicy', name: 'p', document: 'kind: NetworkPolicy' },
  'POST /api/v1/users': { name: 'walker', role: 'analyst', password: 'a long enough password' },
  'PATCH /api/v1/users/{id}': { role: 'analyst' },
  'POST /api/v1/users/{id}/password': { newPassword: 'another long password' },
};
// The only operations that take no bearer token; everything else is walked below.
const PUBLIC_OPERATIONS = ['POST /api/v1/auth/login'];
// Body fields that name a tenant.
const tenantBodyField: Record<string, string> = {
  'POST /api/v1/tenants': 'parentId',
  'POST /api/v1/tokens': 'tenantId',
  'POST /api/v1/scans': 'tenantId',
  'POST /api/v1/policies': 'tenantId',
  'POST /api/v1/users': 'tenantId',
};

function urlFor(op: Operation, ids: Record<string, string>): string {
  return op.path.replace(/\{(id|digest)\}/, () => {
    const collection = op.path.split('/')[3] ?? '';
    const id = ids[collection];
    if (!id) throw new Error(`no sample id for ${collection}`);
    return id;
  });
}

function request(op: Operation, url: string, headers: Record<string, string>, body?: unknown) {
  const payload = body ?? validBodies[`${op.method} ${op.path}`];
  const ndjson = op.path.endsWith('/events');
  return h.app.inject({
    method: op.method as 'GET',
    url,
    headers: {
      ...headers,
      ...(payload !== undefined ? { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' } : {}),
    },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
}

beforeAll(async () => {
  h = await createHarness('sqlite', undefined);
  const doc = (await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<
        string,
        {
          'x-palisade-roles'?: Role[];
          'x-palisade-public'?: boolean;
          parameters?: { in: string; name: string }[];
          requestBody?: unknown;
        }
      >
    >;
  };
  ops = [];
  for (const [p, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op['x-palisade-public']) {
        publicOps.push(`${method.toUpperCase()} ${p}`);
        continue;
      }
      ops.push({
        method: method.toUpperCase(),
        path: p,
        roles: op['x-palisade-roles'] ?? [],
        queryParams: (op.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  for (const [key, tenant] of [
    ['A', h.tenantA],
    ['B', h.tenantB],
  ] as const) {
    const ids = key === 'A' ? aIds : bIds;
    const scan = await h.app.inject({
      method: 'POST',
      url: '/api/v1/scans',
      headers: bearer(h.tokens[key].ci),
      payload: {
        report: report(`img-${key}`, [finding('CVE-1')]),
        workload: { kind: 'host', name: `host-${key}`, imageDigest: `sha256:walk-${key}` },
      },
    });
    ids.images = `sha256:walk-${key}`;
    ids.users = (
      await h.store.users.create({
        tenantId: tenant,
        name: `user-${key}`,
        role: 'analyst',
        password: 'a long enough password',
      })
    ).id;
    ids.workloads = (scan.json() as { workloadId: string }).workloadId;
    ids.findings = (await h.store.findings.list(`/root/${tenant}/`)).items[0]?.id ?? '';
    ids.tenants = tenant;
    ids.tokens = (await h.store.tokens.list(`/root/${tenant}/`)).items[0]?.id ?? '';
    ids.agents = (await h.store.agents.register(tenant, { name: `agent-${key}` })).id;
    ids['dead-letters'] =
      (
        await h.store.deadLetters.add([
          { tenantId: tenant, output: 'webhook', alertId: `alert-${key}`, alert: {}, error: 'down', attempts: 3 },
        ])
      )[0] ?? '';
    ids.policies = (
      await h.store.policies.create(tenant, {
        kind: 'NetworkPolicy',
        name: `policy-${key}`,
        document: 'kind: NetworkPolicy',
        parsed: { kind: 'NetworkPolicy' },
        workloadSelector: '',
      })
    ).id;
  }
});

afterAll(async () => {
  await h?.close();
});

describe('every route in the OpenAPI document', () => {
  it('lists a healthy number of operations, each with its roles', () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) {
      expect(op.roles.length, `${op.method} ${op.path} has no x-palisade-roles`).toBeGreaterThan(0);
      expect(
        ROLES.filter((r) => !op.roles.includes(r)).length,
        `${op.method} ${op.path} is open to every role`,
      ).toBeGreaterThan(0);
    }
    // The document and the permission table agree.
    const documented = new Set(ops.map((o) => o.roles.join(',')));
    const table = new Set(Object.values(PERMISSIONS).map((r) => r.join(',')));
    for (const d of documented) expect(table.has(d)).toBe(true);
  });

  it('answers 401 without a token or with a bad one', async () => {
    for (const op of ops) {
      const url = urlFor(op, aIds);
      const none = await request(op, url, {});
      expect(none.statusCode, `${op.method} ${op.path} without token`).toBe(401);
      const forged = await request(op, url, bearer('pal_abcdef123456_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
      expect(forged.statusCode, `${op.method} ${op.path} with forged token`).toBe(401);
      const forgedSession = await request(op, url, bearer(`pals_abcdef123456_${'A'.repeat(43)}`));
      expect(forgedSession.statusCode, `${op.method} ${op.path} with a forged session`).toBe(401);
      const basic = await request(op, url, { authorization: 'Basic YWRtaW46YWRtaW4=' });
      expect(basic.statusCode, `${op.method} ${op.path} with basic auth`).toBe(401);
    }
  });

  it('answers 403 to every role the operation does not list', async () => {
    for (const op of ops) {
      for (const role of ROLES.filter((r) => !op.roles.includes(r))) {
        const r = await request(op, urlFor(op, aIds), bearer(h.tokens.A[role]));
        expect(r.statusCode, `${op.method} ${op.path} as ${role}`).toBe(403);
      }
    }
  });

  it("answers 403 or 404 when tenant A's token names tenant B's data", async () => {
    for (const op of ops) {
      const key = `${op.method} ${op.path}`;
      const role = op.roles.includes('admin') ? 'admin' : (op.roles[0] as Role);
      const token = bearer(h.tokens.A[role]);
      let res: Awaited<ReturnType<typeof request>>;
      if (op.path.includes('{')) {
        res = await request(op, urlFor(op, bIds), token);
      } else if (op.queryParams.includes('tenant')) {
        res = await request(op, `${op.path}?tenant=${h.tenantB}`, token);
      } else if (tenantBodyField[key]) {
        res = await request(op, op.path, token, {
          ...(validBodies[key] as object),
          [tenantBodyField[key] as string]: h.tenantB,
        });
      } else if (op.queryParams.includes('agentId')) {
        res = await request(op, `${op.path}?agentId=${bIds.agents}`, token);
      } else {
        // Routes that name no tenant act on the token's own tenant only.
        res = await request(op, op.path, token);
        expect(res.statusCode, `${key}: ${res.body}`).toBeLessThan(300);
        expect((res.json() as { tenantId: string }).tenantId, key).toBe(h.tenantA);
        continue;
      }
      expect([403, 404], `${key} across tenants: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    }
  });

  it('leaves only login unauthenticated, and login answers one 401 for unknown and wrong', async () => {
    expect(publicOps).toEqual(PUBLIC_OPERATIONS);
    const login = (name: string, password: string) =>
      h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { name, password } });
    const unknown = await login('nobody-here', 'a long enough password');
    const wrong = await login('user-a', 'not the password');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
  });

  it("walks session tokens like API tokens: an analyst's session is refused what analysts may not do", async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { name: 'user-a', password: 'a long enough password' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const session = (r.json() as { token: string }).token;
    for (const op of ops.filter((o) => !o.roles.includes('analyst'))) {
      const res = await request(op, urlFor(op, aIds), bearer(session));
      expect(res.statusCode, `${op.method} ${op.path} as an analyst session`).toBe(403);
    }
  });

  it("lets a parent tenant's token see its children's data", async () => {
    const r = await h.app.inject({
      method: 'GET',
      url: `/api/v1/findings/${bIds.findings}`,
      headers: bearer(h.rootToken),
    });
    expect(r.statusCode).toBe(200);
  });
});
