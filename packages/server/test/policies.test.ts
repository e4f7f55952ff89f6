// Policies end to end on SQLite and PostgreSQL: versioning, soft delete, selector matching against
// the agent's workload labels, ETag / 304, long-poll woken by a change or expiring, tenant isolation.

import type { AddressInfo } from 'node:net';
import type { Policy } from '@palisade/store';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PostgresFixture, startPostgres } from '../../store/test/postgres-fixture.js';
import { PalisadeClient } from '../src/client.js';
import { bundleRevision, ifNoneMatchHas } from '../src/policies/policy-bundle.js';
import { parsePolicyDocument } from '../src/routes/policies.js';
import { bearer, createHarness, type Harness } from './harness.js';

let pg: PostgresFixture | undefined;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const NETPOL = `apiVersion: palisade.dev/v1
kind: NetworkPolicy
metadata:
  name: allow-api
spec:
  selector: app == 'api'
  ingress:
    - action: Allow
`;

describe.each(['sqlite', 'postgres'] as const)('policies on %s', (kind) => {
  let h: Harness;
  let prodAgent: string;
  let devAgent: string;
  let bareAgent: string;

  const create = (token: string, body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/policies', headers: bearer(token), payload: body });
  const fetchBundle = (agentId: string, token: string, opts: { etag?: string; wait?: number } = {}) =>
    h.app.inject({
      method: 'GET',
      url: `/api/v1/agents/${agentId}/policies${opts.wait !== undefined ? `?wait=${opts.wait}` : ''}`,
      headers: { ...bearer(token), ...(opts.etag ? { 'if-none-match': `"${opts.etag}"` } : {}) },
    });
  const register = async (name: string, labels?: Record<string, string>) => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: bearer(h.tokens.A.agent),
      payload: { name, ...(labels ? { workload: { kind: 'host', name: `${name}-host`, labels } } : {}) },
    });
    expect(r.statusCode, r.body).toBe(200);
    return (r.json() as { id: string }).id;
  };

  beforeAll(async () => {
    h = await createHarness(kind, pg);
    prodAgent = await register('prod-api', { env: 'prod', app: 'api' });
    devAgent = await register('dev-api', { env: 'dev', app: 'api' });
    bareAgent = await register('bare');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('versions a name, lists the newest, keeps every version, and deletes softly with an audit trail', async () => {
    const v1 = await create(h.tokens.A.analyst, { kind: 'NetworkPolicy', name: 'allow-api', document: NETPOL });
    expect(v1.statusCode, v1.body).toBe(201);
    const p1 = v1.json() as Policy;
    expect(p1).toMatchObject({ version: 1, kind: 'NetworkPolicy', tenantId: h.tenantA, workloadSelector: '' });
    expect(p1.parsed).toMatchObject({ kind: 'NetworkPolicy', metadata: { name: 'allow-api' } });

    const p2 = (
      await create(h.tokens.A.admin, {
        kind: 'NetworkPolicy',
        name: 'allow-api',
        document: '{"kind":"NetworkPolicy","spec":{}}',
      })
    ).json() as Policy;
    expect(p2.version).toBe(2);
    expect(p2.parsed).toEqual({ kind: 'NetworkPolicy', spec: {} });
    // Same name, other kind: its own sequence.
    const rules = (await create(h.tokens.A.admin, { kind: 'rules', name: 'allow-api', document: '- rule: x' })).json();
    expect((rules as Policy).version).toBe(1);

    const list = (
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/policies?kind=NetworkPolicy',
        headers: bearer(h.tokens.A['read-only']),
      })
    ).json() as { items: Policy[] };
    expect(list.items.map((p) => [p.name, p.version])).toEqual([['allow-api', 2]]);

    const versions = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/policies/${p1.id}/versions`,
        headers: bearer(h.tokens.A.analyst),
      })
    ).json() as { items: Policy[] };
    expect(versions.items.map((p) => p.version)).toEqual([2, 1]);

    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/policies/${p2.id}`,
      headers: bearer(h.tokens.A.analyst),
    });
    expect(del.statusCode, del.body).toBe(200);
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/policies/${p2.id}`,
      headers: bearer(h.tokens.A.analyst),
    });
    expect(again.statusCode).toBe(404);
    const after = (
      await h.app.inject({ method: 'GET', url: '/api/v1/policies', headers: bearer(h.tokens.A.analyst) })
    ).json() as { items: Policy[] };
    expect(after.items.map((p) => `${p.kind}/${p.name}`)).toEqual(['rules/allow-api']);
    const old = (
      await h.app.inject({ method: 'GET', url: `/api/v1/policies/${p1.id}`, headers: bearer(h.tokens.A.analyst) })
    ).json() as Policy;
    expect(old.deleted).toBe(true);
    // Recreating continues the sequence.
    const p3 = (await create(h.tokens.A.admin, { kind: 'NetworkPolicy', name: 'allow-api', document: NETPOL })).json();
    expect((p3 as Policy).version).toBe(3);
    await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/policies/${(p3 as Policy).id}`,
      headers: bearer(h.tokens.A.admin),
    });
    await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/policies/${(rules as Policy).id}`,
      headers: bearer(h.tokens.A.admin),
    });

    const audit = (
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/audit?action=policy.create',
        headers: bearer(h.tokens.A.admin),
      })
    ).json() as { items: { targetId: string }[] };
    expect(audit.items.map((a) => a.targetId)).toEqual(expect.arrayContaining([p1.id, p2.id]));
    const deletes = (
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/audit?action=policy.delete',
        headers: bearer(h.tokens.A.admin),
      })
    ).json() as { items: unknown[] };
    expect(deletes.items.length).toBe(3);
  });

  it('gives concurrent creates of one name distinct, consecutive versions', async () => {
    const made = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        h.store.policies.create(h.tenantB, {
          kind: 'BehaviourProfile',
          name: 'race',
          document: `n: ${i}`,
          parsed: { n: i },
          workloadSelector: '',
        }),
      ),
    );
    expect(made.map((p) => p.version).sort()).toEqual([1, 2, 3, 4, 5]);
    await h.store.policies.delete(made[0]?.id ?? '', '/root/');
  });

  it('pages the list with a cursor', async () => {
    for (const n of ['page-1', 'page-2', 'page-3']) {
      await create(h.tokens.B.admin, { kind: 'Tier', name: n, document: `kind: Tier\nname: ${n}` });
    }
    const first = (
      await h.app.inject({ method: 'GET', url: '/api/v1/policies?limit=2', headers: bearer(h.tokens.B.admin) })
    ).json() as { items: Policy[]; nextCursor?: string };
    expect(first.items.map((p) => p.name)).toEqual(['page-3', 'page-2']);
    const second = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/policies?limit=2&cursor=${first.nextCursor}`,
        headers: bearer(h.tokens.B.admin),
      })
    ).json() as { items: Policy[]; nextCursor?: string };
    expect(second.items.map((p) => p.name)).toEqual(['page-1']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('refuses an invalid selector with its position, and a document that does not parse', async () => {
    const bad = await create(h.tokens.A.admin, {
      kind: 'NetworkPolicy',
      name: 'x',
      document: NETPOL,
      workloadSelector: "env == 'prod' &&",
    });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { message: string }).message).toMatch(/position \d+/);
    const yaml = await create(h.tokens.A.admin, { kind: 'NetworkPolicy', name: 'x', document: 'a: [1, 2\nb: }' });
    expect(yaml.statusCode).toBe(400);
    expect((yaml.json() as { message: string }).message).toContain('not valid YAML/JSON');
    const huge = await create(h.tokens.A.admin, { kind: 'rules', name: 'x', document: 'a'.repeat(600 * 1024) });
    expect([400, 413]).toContain(huge.statusCode);
    const list = (
      await h.app.inject({ method: 'GET', url: '/api/v1/policies', headers: bearer(h.tokens.A.admin) })
    ).json();
    expect((list as { items: Policy[] }).items.filter((p) => p.name === 'x')).toEqual([]);
  });

  it("gives each agent the policies whose selector matches its workload's labels, with an ETag and 304", async () => {
    const all = (
      await create(h.tokens.A.admin, { kind: 'rules', name: 'base', document: '- list: shells' })
    ).json() as Policy;
    const prod = (
      await create(h.tokens.A.admin, {
        kind: 'NetworkPolicy',
        name: 'prod-api',
        document: NETPOL,
        workloadSelector: "env == 'prod' && app in {'api'}",
      })
    ).json() as Policy;
    const r = await fetchBundle(prodAgent, h.tokens.A.agent);
    expect(r.statusCode, r.body).toBe(200);
    const bundle = r.json() as { revision: string; policies: Policy[] };
    expect(bundle.policies.map((p) => p.id).sort()).toEqual([all.id, prod.id].sort());
    expect(r.headers.etag).toBe(`"${bundle.revision}"`);

    const dev = (await fetchBundle(devAgent, h.tokens.A.agent)).json() as { revision: string; policies: Policy[] };
    expect(dev.policies.map((p) => p.id)).toEqual([all.id]);
    const bare = (await fetchBundle(bareAgent, h.tokens.A.agent)).json() as { policies: Policy[] };
    expect(bare.policies.map((p) => p.id)).toEqual([all.id]);

    const unchanged = await fetchBundle(prodAgent, h.tokens.A.agent, { etag: bundle.revision });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
    expect(unchanged.headers.etag).toBe(`"${bundle.revision}"`);
    const stale = await fetchBundle(prodAgent, h.tokens.A.agent, { etag: 'something-else' });
    expect(stale.statusCode).toBe(200);
  });

  it('holds a long poll until a change in the tenant, then answers 200 with the new revision', async () => {
    const current = (await fetchBundle(prodAgent, h.tokens.A.agent)).json() as { revision: string };
    const started = Date.now();
    const poll = fetchBundle(prodAgent, h.tokens.A.agent, { etag: current.revision, wait: 30 });
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantA)).toBe(1), { timeout: 5000 });
    const added = (
      await create(h.tokens.A.analyst, {
        kind: 'ResponsePolicy',
        name: 'kill-miners',
        document: 'action: kill',
        workloadSelector: "app == 'api'",
      })
    ).json() as Policy;
    const r = await poll;
    expect(r.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);
    const bundle = r.json() as { revision: string; policies: Policy[] };
    expect(bundle.revision).not.toBe(current.revision);
    expect(bundle.policies.map((p) => p.id)).toContain(added.id);
  });

  it('keeps waiting through a change that does not touch the bundle, and expires to 304', async () => {
    const current = (await fetchBundle(devAgent, h.tokens.A.agent)).json() as { revision: string };
    const poll = fetchBundle(devAgent, h.tokens.A.agent, { etag: current.revision, wait: 1 });
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantA)).toBe(1), { timeout: 5000 });
    // Only prod workloads match this one, so the dev agent's bundle stays as it was.
    await create(h.tokens.A.admin, {
      kind: 'NetworkPolicy',
      name: 'prod-only',
      document: NETPOL,
      workloadSelector: "env == 'prod'",
    });
    const r = await poll;
    expect(r.statusCode).toBe(304);
    expect(r.headers.etag).toBe(`"${current.revision}"`);
  });

  it("keeps tenants apart: another tenant's agent can neither read nor wait on an agent's bundle", async () => {
    const asB = await fetchBundle(prodAgent, h.tokens.B.agent, { wait: 1 });
    expect(asB.statusCode).toBe(404);
    const bAgent = (await h.store.agents.register(h.tenantB, { name: 'b-agent' })).id;
    const bBundle = (await fetchBundle(bAgent, h.tokens.B.agent)).json() as { policies: Policy[] };
    expect(bBundle.policies.every((p) => p.tenantId === h.tenantB)).toBe(true);
    // A change in tenant A does not wake tenant B's waiters.
    const bRev = (await fetchBundle(bAgent, h.tokens.B.agent)).json() as { revision: string };
    const poll = fetchBundle(bAgent, h.tokens.B.agent, { etag: bRev.revision, wait: 1 });
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantB)).toBe(1), { timeout: 5000 });
    await create(h.tokens.A.admin, { kind: 'rules', name: 'a-only', document: '- macro: m' });
    expect((await poll).statusCode).toBe(304);
    const aPolicy = (await h.store.policies.list(`/root/${h.tenantA}/`)).items[0];
    const cross = await h.app.inject({
      method: 'GET',
      url: `/api/v1/policies/${aPolicy?.id}`,
      headers: bearer(h.tokens.B.admin),
    });
    expect(cross.statusCode).toBe(404);
  });
});

describe('policy client over real HTTP (sqlite)', () => {
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await createHarness('sqlite', undefined);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates, lists, versions, deletes and long-polls through PalisadeClient', async () => {
    const analyst = new PalisadeClient(url, h.tokens.A.analyst);
    const agentClient = new PalisadeClient(url, h.tokens.A.agent);
    const agent = await agentClient.registerAgent({
      name: 'n1',
      workload: { kind: 'vm', name: 'n1', labels: { tier: 'web' } },
    });
    const first = await agentClient.agentPolicies(agent.id);
    expect(first).toMatchObject({ modified: true, policies: [] });

    const v1 = await analyst.createPolicy({
      kind: 'GlobalNetworkPolicy',
      name: 'web',
      document: NETPOL,
      workloadSelector: 'has(tier)',
    });
    const v2 = await analyst.createPolicy({
      kind: 'GlobalNetworkPolicy',
      name: 'web',
      document: NETPOL,
      workloadSelector: "tier == 'web'",
    });
    expect(v2.version).toBe(2);
    expect((await analyst.listPolicies({ kind: 'GlobalNetworkPolicy' })).items.map((p) => p.id)).toEqual([v2.id]);
    expect((await analyst.getPolicy(v1.id)).version).toBe(1);
    expect((await analyst.policyVersions(v1.id)).items.map((p) => p.version)).toEqual([2, 1]);
    await expect(
      analyst.createPolicy({ kind: 'rules', name: 'bad', document: 'x', workloadSelector: 'a ==' }),
    ).rejects.toThrow(/position/);

    const now = await agentClient.agentPolicies(agent.id);
    if (!now.modified) throw new Error('expected a bundle');
    expect(now.policies.map((p) => p.id)).toEqual([v2.id]);
    expect(await agentClient.agentPolicies(agent.id, { etag: now.revision })).toEqual({
      modified: false,
      revision: now.revision,
    });

    const poll = agentClient.agentPolicies(agent.id, { etag: now.revision, wait: 30 });
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantA)).toBe(1), { timeout: 5000 });
    await analyst.deletePolicy(v2.id);
    const woken = await poll;
    expect(woken).toMatchObject({ modified: true, policies: [] });
    await expect(new PalisadeClient(url, h.tokens.A['read-only']).agentPolicies(agent.id)).rejects.toThrow(/role/);
  });

  it('stops waiting when the agent hangs up', async () => {
    const agentClient = new PalisadeClient(url, h.tokens.A.agent);
    const agent = await agentClient.registerAgent({ name: 'hangs-up' });
    const now = await agentClient.agentPolicies(agent.id);
    const abort = new AbortController();
    const poll = fetch(`${url}/api/v1/agents/${agent.id}/policies?wait=60`, {
      headers: { ...bearer(h.tokens.A.agent), 'if-none-match': `"${now.revision}"` },
      signal: abort.signal,
    }).catch((err: unknown) => err);
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantA)).toBe(1), { timeout: 5000 });
    abort.abort();
    expect(await poll).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantA)).toBe(0), { timeout: 5000 });
  });

  it('answers pending long polls at shutdown instead of holding it', async () => {
    const agentClient = new PalisadeClient(url, h.tokens.B.agent);
    const agent = await agentClient.registerAgent({ name: 'closing' });
    const now = await agentClient.agentPolicies(agent.id);
    const poll = agentClient.agentPolicies(agent.id, { etag: now.revision, wait: 60 });
    await vi.waitFor(() => expect(h.app.palisade.policyChanges.waiting(h.tenantB)).toBe(1), { timeout: 5000 });
    await h.app.close();
    expect(await poll).toEqual({ modified: false, revision: now.revision });
  });
});

describe('policy bundle pieces', () => {
  it('derives a revision from the set of versions, whatever their order', () => {
    const p = (id: string, version: number) => ({ id, version }) as Policy;
    expect(bundleRevision([p('a', 1), p('b', 2)])).toBe(bundleRevision([p('b', 2), p('a', 1)]));
    expect(bundleRevision([p('a', 1)])).not.toBe(bundleRevision([p('a', 1), p('b', 2)]));
    expect(bundleRevision([])).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reads If-None-Match lists, weak tags and *', () => {
    expect(ifNoneMatchHas('"x", W/"abc"', 'abc')).toBe(true);
    expect(ifNoneMatchHas('*', 'abc')).toBe(true);
    expect(ifNoneMatchHas('"abcd"', 'abc')).toBe(false);
    expect(ifNoneMatchHas(undefined, 'abc')).toBe(false);
  });

  it('parses YAML, JSON and multi-document YAML; anything else is an InputError, never a crash', () => {
    expect(parsePolicyDocument('a: 1', 'p')).toEqual({ a: 1 });
    expect(parsePolicyDocument('{"a":[1]}', 'p')).toEqual({ a: [1] });
    expect(parsePolicyDocument('a: 1\n---\nb: 2\n', 'p')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(() => parsePolicyDocument('', 'p')).toThrow(/empty/);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parsePolicyDocument(text, 'p');
        } catch (err) {
          expect((err as Error).name).toBe('InputError');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
