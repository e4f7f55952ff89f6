// The repository suite, run once against embedded SQLite and once against a real PostgreSQL.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuthError, InputError, UsageError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, openStore, type Store } from '../src/index.js';
import { finding, report } from './sample-report.js';
import { useStoreFixture } from './store-fixture.js';

const stores = useStoreFixture('palisade-store-');
const open = stores.open;

describe.each(['sqlite', 'postgres'] as const)('store on %s', (kind) => {
  let store: Store;
  beforeAll(async () => {
    store = await open(kind);
    await store.tenants.createRoot('Acme');
  });
  afterAll(async () => {
    await store?.close();
  });

  it('reports its dialect and answers ping', async () => {
    expect(store.dialect).toBe(kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('keeps a tenant tree and scopes listing to a subtree', async () => {
    const prod = await store.tenants.create({ parentId: 'root', name: 'prod account', kind: 'account' });
    const cluster = await store.tenants.create({ parentId: prod.id, name: 'eks-1', kind: 'cluster' });
    const dev = await store.tenants.create({ parentId: 'root', name: 'dev account', kind: 'account' });
    expect(cluster.path).toBe(`/root/${prod.id}/${cluster.id}/`);
    const underProd = await store.tenants.list(prod.path);
    expect(underProd.items.map((t) => t.id).sort()).toEqual([prod.id, cluster.id].sort());
    expect(await store.tenants.getWithin(dev.id, prod.path)).toBeUndefined();
    expect((await store.tenants.getWithin(cluster.id, '/root/'))?.name).toBe('eks-1');
    await expect(store.tenants.delete(prod.id)).rejects.toBeInstanceOf(UsageError);
    await store.tenants.delete(dev.id);
    expect(await store.tenants.get(dev.id)).toBeUndefined();
  });

  it('issues tokens shown once, stores only a hash, and refuses revoked or expired ones', async () => {
    const { token, info } = await store.tokens.issue({ tenantId: 'root', name: 'ci', role: 'ci' });
    expect(token).toMatch(/^pal_[a-z0-9]+_[A-Za-z0-9_-]{43}$/);
    const row = await store.db.selectFrom('tokens').selectAll().where('id', '=', info.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token.split('_').slice(2).join('_'));
    const who = await store.tokens.authenticate(token);
    expect(who).toMatchObject({ tokenId: info.id, tenantId: 'root', role: 'ci', tenantPath: '/root/' });
    await expect(store.tokens.authenticate(`${token.slice(0, -2)}xx`)).rejects.toBeInstanceOf(AuthError);
    await expect(store.tokens.authenticate('Bearer nonsense')).rejects.toBeInstanceOf(AuthError);
    await store.tokens.revoke(info.id, '/root/');
    await expect(store.tokens.authenticate(token)).rejects.toThrow(/revoked/);
    const old = await store.tokens.issue({
      tenantId: 'root',
      name: 'old',
      role: 'analyst',
      expiresAt: '2000-01-01T00:00:00.000Z',
    });
    await expect(store.tokens.authenticate(old.token)).rejects.toThrow(/expired/);
  });

  it('upserts workloads by identity and filters, sorts and paginates them', async () => {
    for (let i = 0; i < 7; i++) {
      await store.workloads.upsert('root', {
        kind: i % 2 ? 'container' : 'host',
        name: `w-${i}`,
        provider: 'aws',
        region: i < 3 ? 'eu-west-1' : 'us-east-1',
        labels: { app: `a${i}` },
      });
    }
    const again = await store.workloads.upsert('root', { kind: 'host', name: 'w-0', provider: 'gcp' });
    expect(again.provider).toBe('gcp');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.workloads.list('/root/', {}, { by: 'name' }, { limit: 3, cursor });
      seen.push(...page.items.map((w) => w.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['w-0', 'w-1', 'w-2', 'w-3', 'w-4', 'w-5', 'w-6']);
    const eu = await store.workloads.list('/root/', { region: 'eu-west-1', kind: 'host' });
    expect(eu.items.map((w) => w.name).sort()).toEqual(['w-0', 'w-2']);
    const desc = await store.workloads.list('/root/', {}, { by: 'name', direction: 'desc' }, { limit: 2 });
    expect(desc.items.map((w) => w.name)).toEqual(['w-6', 'w-5']);
  });

  it('moves findings open → fixed → reopened across scans of one target and records history', async () => {
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const a = await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:1', [finding('CVE-X'), finding('CVE-Y')], at(0)),
    });
    expect(a).toMatchObject({ opened: 2, fixed: 0, reopened: 0 });
    const b = await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:1', [finding('CVE-Y'), finding('CVE-Z')], at(1)),
    });
    expect(b).toMatchObject({ opened: 1, fixed: 1, unchanged: 1 });
    const byRule = async () => {
      const page = await store.findings.list('/root/', { target: 'artifact:app:1' }, {}, { limit: 100 });
      return Object.fromEntries(page.items.map((f) => [f.ruleId, f]));
    };
    let f = await byRule();
    expect(f['CVE-X']?.status).toBe('fixed');
    expect(f['CVE-Y']?.status).toBe('open');
    expect(f['CVE-Z']?.status).toBe('open');
    const c = await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:1', [finding('CVE-X'), finding('CVE-Y'), finding('CVE-Z')], at(2)),
    });
    expect(c).toMatchObject({ reopened: 1, opened: 0, fixed: 0 });
    f = await byRule();
    expect(f['CVE-X']?.status).toBe('open');
    const x = f['CVE-X'];
    if (!x) throw new Error('CVE-X missing');
    const history = await store.findings.history(x.id, '/root/');
    expect(history.map((h) => h.action)).toEqual(['opened', 'fixed', 'reopened']);
    expect(history.map((h) => h.scanId)).toEqual([a.scanId, b.scanId, c.scanId]);
  });

  it('does not close findings from a scan older than the newest one already stored', async () => {
    const r = await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:late', [finding('CVE-L1')], '2030-01-01T00:00:00.000Z'),
    });
    expect(r.opened).toBe(1);
    const late = await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:late', [], '2029-01-01T00:00:00.000Z'),
    });
    expect(late.fixed).toBe(0);
  });

  it('suppresses with reason, author and expiry, and counts posture without suppressed findings', async () => {
    await store.findings.ingestScan({
      tenantId: 'root',
      report: report('app:posture', [finding('CVE-P1', 'CRITICAL'), finding('CVE-P2', 'LOW')]),
    });
    const list = await store.findings.list('/root/', { target: 'artifact:app:posture' });
    const p1 = list.items.find((x) => x.ruleId === 'CVE-P1');
    if (!p1) throw new Error('CVE-P1 missing');
    const before = await store.findings.summary('/root/');
    const s = await store.findings.suppress(p1.id, '/root/', {
      reason: 'not reachable',
      by: 'token:abc',
      until: '2999-01-01T00:00:00.000Z',
    });
    expect(s.status).toBe('suppressed');
    expect(s.suppression).toMatchObject({ reason: 'not reachable', by: 'token:abc' });
    const after = await store.findings.summary('/root/');
    expect(after.bySeverity.CRITICAL).toBe((before.bySeverity.CRITICAL ?? 0) - 1);
    const suppressed = await store.findings.list('/root/', { status: 'suppressed' });
    expect(suppressed.items.map((x) => x.id)).toContain(p1.id);
    const expired = await store.findings.suppress(p1.id, '/root/', {
      reason: 'old',
      by: 'token:abc',
      until: '2001-01-01T00:00:00.000Z',
    });
    expect(expired.status).toBe('open');
    const bySeverity = await store.findings.list('/root/', { severity: ['CRITICAL'] }, { by: 'severity' });
    expect(bySeverity.items.every((x) => x.severity === 'CRITICAL')).toBe(true);
  });

  it('stores an event batch once however often it is sent', async () => {
    const batch = Array.from({ length: 1500 }, (_, i) => ({
      id: `ev-${i}`,
      ts: new Date(1_700_000_000_000 + i).toISOString(),
      type: 'exec',
      host: 'h1',
      ...(i % 10 === 0 ? { rule: 'Terminal shell in container', priority: 'WARNING', output: 'shell' } : {}),
    }));
    const first = await store.events.insertBatch('root', null, batch);
    expect(first).toEqual({ accepted: 1500, duplicates: 0 });
    const second = await store.events.insertBatch('root', null, batch);
    expect(second).toEqual({ accepted: 0, duplicates: 1500 });
    expect(await store.events.count('root')).toBe(1500);
    const alerts = await store.events.listAlerts('/root/', {}, { limit: 1000 });
    expect(alerts.items).toHaveLength(150);
    expect((alerts.items[0]?.ts ?? '') >= (alerts.items[1]?.ts ?? '')).toBe(true);
  });

  it('registers agents idempotently and records heartbeats', async () => {
    const a = await store.agents.register('root', { name: 'node-1', version: '0.1.0' });
    const again = await store.agents.register('root', { name: 'node-1', version: '0.1.1' });
    expect(again.id).toBe(a.id);
    const beat = await store.agents.heartbeat(a.id, '/root/', { health: { queue: 3 } });
    expect(beat.health).toEqual({ queue: 3 });
    expect(await store.agents.countSeenSince(new Date(Date.now() - 60_000).toISOString())).toBeGreaterThanOrEqual(1);
  });

  it('keeps an audit log newest first', async () => {
    await store.audit.record({
      tenantId: 'root',
      actor: 'token:a',
      action: 'tenant.create',
      targetType: 'tenant',
      targetId: 't1',
      detail: { name: 'x' },
    });
    await store.audit.record({
      tenantId: 'root',
      actor: 'token:a',
      action: 'token.revoke',
      targetType: 'token',
      targetId: 'k1',
      detail: null,
    });
    const page = await store.audit.list('/root/');
    expect(page.items[0]?.action).toBe('token.revoke');
    const only = await store.audit.list('/root/', { action: 'tenant.create' });
    expect(only.items.map((e) => e.detail)).toEqual([{ name: 'x' }]);
  });

  it('rejects a forged cursor with an InputError', async () => {
    await expect(store.workloads.list('/root/', {}, {}, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InputError);
  });
});

describe('cursor encoding', () => {
  it('round-trips values and ids', () => {
    expect(decodeCursor(encodeCursor('2024-01-01', 'abc'))).toEqual(['2024-01-01', 'abc']);
    expect(decodeCursor(encodeCursor(3, 'z'))).toEqual([3, 'z']);
  });
});

describe('store on sqlite (files)', () => {
  it('keeps data across reopen and runs migrations only once', async () => {
    const dataDir = stores.tempDir();
    const s1 = await openStore({ dataDir });
    await s1.tenants.createRoot('Acme');
    await s1.close();
    const s2 = await openStore({ dataDir });
    expect(await s2.tenants.count()).toBe(1);
    await s2.close();
  });

  it('names the file when it cannot be opened', async () => {
    const dir = stores.tempDir();
    const notADir = path.join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const err = await openStore({ dataDir: path.join(notADir, 'data') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(String(err)).toContain(path.join(notADir, 'data', 'palisade.db'));
  });
});
