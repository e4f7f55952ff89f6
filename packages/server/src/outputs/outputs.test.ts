// End to end: events ingested through the API reach real receivers on loopback (webhook with
// HMAC check, Slack, Elasticsearch bulk, syslog UDP/TCP); failures retry, then dead-letter.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@palisade/store';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresFixture, startPostgres } from '../../../store/test/postgres-fixture.js';
import { bearer, createHarness, type Harness, ingestEvents } from '../../test/harness.js';
import { buildApp } from '../app.js';
import {
  BulkReceiver,
  HttpReceiver,
  TcpSyslogListener,
  UdpSyslogListener,
  verifyWebhook,
  waitUntil,
} from './__fixtures__/receivers.js';
import { AlertDispatcher } from './alert-dispatcher.js';
import { parseOutputsConfig } from './outputs-config.js';

const SECRET = 'a-shared-secret-of-some-length';
const FAST_RETRY = 'retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 }';

function alertEvent(id: string, priority: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    ts: '2026-11-27T03:40:00.123456789Z',
    type: 'execve',
    host: 'web-1',
    rule: 'Terminal shell in container',
    priority,
    output: `A shell was spawned in a container (user=root container=nginx id=${id})`,
    source: 'syscall',
    tags: ['container', 'shell'],
    output_fields: { 'container.id': 'abcdef0123456789', 'container.name': 'nginx', 'proc.name': 'bash' },
    container: { id: 'abcdef0123456789', name: 'nginx', image: 'nginx:1.27' },
    ...extra,
  };
}

const plainEvent = (id: string) => ({ id, ts: '2026-11-27T03:40:00Z', type: 'open', host: 'web-1' });

let h: Harness | undefined;
let pg: PostgresFixture | undefined;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function harnessWith(yaml: string, kind: 'sqlite' | 'postgres' = 'sqlite'): Promise<Harness> {
  h = await createHarness(kind, kind === 'postgres' ? pg : undefined, {
    outputs: parseOutputsConfig(yaml, 'test.yaml', {}),
    outputsRandom: () => 0.5,
  });
  return h;
}

async function metric(harness: Harness, name: string, output: string): Promise<number> {
  const text = await harness.app.palisade.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{output="${output}"}`));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

async function receiver<T extends HttpReceiver>(r: T): Promise<[T, string]> {
  const url = await r.start();
  cleanups.push(() => r.stop());
  return [r, url];
}

describe('webhook output', () => {
  it('delivers each new alert at or above the minimum priority, signed, with custom fields', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    const verdicts: (string | undefined)[] = [];
    hook.respond = (req) => {
      const problem = verifyWebhook(req, SECRET, Math.floor(Date.now() / 1000));
      verdicts.push(problem);
      return problem ? { status: 401, body: problem } : { status: 200, body: 'ok' };
    };
    const harness = await harnessWith(`
outputs:
  - name: soc
    type: webhook
    url: ${url}/hook
    secret: ${SECRET}
    minPriority: Warning
    customFields: { env: prod, team: sec }
    ${FAST_RETRY}
`);
    const batch = [
      plainEvent('e1'),
      alertEvent('a1', 'Critical'),
      alertEvent('a2', 'Notice'),
      alertEvent('a3', 'Warning'),
    ];
    await ingestEvents(harness, batch);
    expect(verdicts).toEqual([undefined, undefined]);
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies.map((b) => b.uuid)).toEqual(['a1', 'a3']);
    expect(bodies[0]).toMatchObject({
      rule: 'Terminal shell in container',
      priority: 'Critical',
      hostname: 'web-1',
      tenant: harness.tenantA,
      env: 'prod',
      team: 'sec',
      container: { id: 'abcdef0123456789', name: 'nginx', image: 'nginx:1.27' },
    });
    expect(hook.requests[0]?.url).toBe('/hook');

    // The same batch again (a sender retrying after a lost acknowledgement) is not re-delivered.
    await ingestEvents(harness, batch);
    expect(hook.requests).toHaveLength(2);
    expect(await metric(harness, 'palisade_output_sent_total', 'soc')).toBe(2);
  });

  it('a receiver with another secret rejects the signature; 401 is not retried but dead-lettered', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    hook.respond = (req) => {
      const problem = verifyWebhook(req, 'some-other-secret-entirely', Math.floor(Date.now() / 1000));
      return problem ? { status: 401, body: problem } : { status: 200 };
    };
    const harness = await harnessWith(`
outputs:
  - { name: soc, type: webhook, url: "${url}", secret: ${SECRET}, ${FAST_RETRY} }
`);
    await ingestEvents(harness, [alertEvent('a1', 'Error')]);
    expect(hook.requests).toHaveLength(1);
    const letters = await harness.store.deadLetters.list('/');
    expect(letters.items).toHaveLength(1);
    expect(letters.items[0]).toMatchObject({ output: 'soc', alertId: 'a1', attempts: 1 });
    expect(letters.items[0]?.error).toContain('401');
    expect(letters.items[0]?.error).toContain('bad signature');
  });

  it('retries transient failures with backoff, then succeeds once', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    let calls = 0;
    hook.respond = () => (++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200 });
    const harness = await harnessWith(`
outputs:
  - { name: soc, type: webhook, url: "${url}", secret: ${SECRET}, retry: { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 } }
`);
    await ingestEvents(harness, [alertEvent('a1', 'Error')]);
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => (JSON.parse(r.body) as { uuid: string }).uuid))).toEqual(new Set(['a1']));
    expect(await metric(harness, 'palisade_output_sent_total', 'soc')).toBe(1);
    expect(await metric(harness, 'palisade_output_failed_total', 'soc')).toBe(2);
    expect(await harness.store.deadLetters.count()).toBe(0);
  });

  it.each(['sqlite', 'postgres'] as const)(
    'on %s: dead-letters after the retries run out, lists it to admins, and delivers it on retry',
    async (kind) => {
      const [hook, url] = await receiver(new HttpReceiver());
      let up = false;
      hook.respond = () => (up ? { status: 200 } : { status: 500, body: 'down' });
      const harness = await harnessWith(
        `
outputs:
  - { name: soc, type: webhook, url: "${url}", secret: ${SECRET}, ${FAST_RETRY} }
`,
        kind,
      );
      // A re-sent batch is not delivered twice on either dialect (RETURNING skips conflicts).
      await ingestEvents(harness, [plainEvent('p0'), alertEvent('a1', 'Critical')]);
      expect(hook.requests).toHaveLength(3);
      expect(await metric(harness, 'palisade_output_dead_letter_total', 'soc')).toBe(1);
      await ingestEvents(harness, [plainEvent('p0'), alertEvent('a1', 'Critical')]);
      expect(hook.requests).toHaveLength(3);
      expect(await harness.store.deadLetters.count()).toBe(1);
      expect(await metric(harness, 'palisade_output_failed_total', 'soc')).toBe(3);

      const list = await harness.app.inject({ url: '/api/v1/dead-letters', headers: bearer(harness.tokens.A.admin) });
      expect(list.statusCode).toBe(200);
      const items = (list.json() as { items: { id: string; alertId: string; attempts: number; error: string }[] })
        .items;
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ alertId: 'a1', attempts: 3 });
      expect(items[0]?.error).toContain('500');
      const analyst = await harness.app.inject({
        url: '/api/v1/dead-letters',
        headers: bearer(harness.tokens.A.analyst),
      });
      expect(analyst.statusCode).toBe(403);
      const otherTenant = await harness.app.inject({
        method: 'POST',
        url: `/api/v1/dead-letters/${items[0]?.id}/retry`,
        headers: bearer(harness.tokens.B.admin),
      });
      expect(otherTenant.statusCode).toBe(404);

      up = true;
      const retry = await harness.app.inject({
        method: 'POST',
        url: `/api/v1/dead-letters/${items[0]?.id}/retry`,
        headers: bearer(harness.tokens.A.admin),
      });
      expect(retry.statusCode, retry.body).toBe(202);
      await harness.app.palisade.outputs?.idle();
      expect(hook.requests).toHaveLength(4);
      const last = hook.requests[3];
      expect(last && verifyWebhook(last, SECRET, Math.floor(Date.now() / 1000))).toBeUndefined();
      expect((JSON.parse(last?.body ?? '{}') as { uuid: string }).uuid).toBe('a1');
      expect(await harness.store.deadLetters.count()).toBe(0);
      const again = await harness.app.inject({
        method: 'POST',
        url: `/api/v1/dead-letters/${items[0]?.id}/retry`,
        headers: bearer(harness.tokens.A.admin),
      });
      expect(again.statusCode).toBe(404);
      const audit = await harness.store.audit.list('/', { action: 'dead-letter.retry' });
      expect(audit.items).toHaveLength(1);
    },
  );

  it('dead-letters what does not fit the outbox instead of dropping it', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    const harness = await harnessWith(`
outputs:
  - { name: soc, type: webhook, url: "${url}", queueSize: 2, ${FAST_RETRY} }
`);
    await ingestEvents(
      harness,
      [1, 2, 3, 4, 5].map((i) => alertEvent(`a${i}`, 'Error')),
    );
    const delivered = hook.requests.length;
    const dead = await harness.store.deadLetters.list('/');
    expect(delivered + dead.items.length).toBe(5);
    expect(dead.items.length).toBeGreaterThanOrEqual(3);
    expect(dead.items[0]?.error).toContain('outbox full');
  });

  it('on close, alerts still waiting for a retry stay in the outbox and go out after a restart', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    let up = false;
    hook.respond = () => (up ? { status: 200 } : { status: 503 });
    const outputs = parseOutputsConfig(
      `outputs: [{ name: soc, type: webhook, url: "${url}", retry: { attempts: 50, initialDelayMs: 60000, maxDelayMs: 60000 } }]`,
      't.yaml',
      {},
    );
    h = await createHarness('sqlite', undefined, { outputs });
    const harness = h;
    const r = await harness.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { ...bearer(harness.tokens.A.agent), 'content-type': 'application/x-ndjson' },
      payload: JSON.stringify(alertEvent('a1', 'Error')),
    });
    expect(r.statusCode).toBe(200);
    await waitUntil(() => hook.requests.length >= 1, 'the first attempt');
    await harness.app.close();
    expect(await harness.store.deadLetters.count()).toBe(0);
    const waiting = await harness.store.outbox.list('soc');
    expect(waiting.map((e) => [e.alertId, e.attempts])).toEqual([['a1', 1]]);
    expect(waiting[0]?.lastError).toContain('503');

    // The next start on the same store resumes it (the retry time is not waited out twice: the
    // row keeps its schedule, so move it to now as an hour passing would).
    await harness.store.outbox.reschedule(
      [{ id: waiting[0]?.id ?? '', attempts: 1, error: 'waited' }],
      new Date(0).toISOString(),
    );
    up = true;
    const again = await buildApp({ store: harness.store, logLevel: 'silent', rateLimit: false, outputs });
    try {
      await again.palisade.outputs?.idle();
      expect(hook.requests.map((q) => (JSON.parse(q.body) as { uuid: string }).uuid)).toEqual(['a1', 'a1']);
      expect(await harness.store.outbox.list()).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('outbox of an output removed from the config', () => {
  it('goes to the dead letters at the next start, where admins see it', async () => {
    const [, url] = await receiver(new HttpReceiver());
    const outputs = parseOutputsConfig(`outputs: [{ name: soc, type: webhook, url: "${url}" }]`, 't.yaml', {});
    h = await createHarness('sqlite', undefined, { outputs });
    const harness = h;
    await harness.store.outbox.add([
      { output: 'gone', tenantId: harness.tenantA, alertId: 'old-1', alert: { uuid: 'old-1' } },
    ]);
    const again = await buildApp({ store: harness.store, logLevel: 'silent', rateLimit: false, outputs });
    try {
      await again.palisade.outputs?.idle();
      const letters = await harness.store.deadLetters.list('/');
      expect(letters.items).toMatchObject([{ output: 'gone', alertId: 'old-1', attempts: 0 }]);
      expect(letters.items[0]?.error).toBe('output "gone" is not configured on this server');
      expect(await harness.store.outbox.list()).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('outbox shared by two servers (postgres)', () => {
  it('delivers each alert once and in order, whichever server stored it', async () => {
    const [hook, url] = await receiver(new HttpReceiver());
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'palisade-outbox-shared-'));
    if (!pg) throw new Error('postgres fixture did not start');
    const store = await openStore({ dataDir, db: await pg.newDatabaseUrl() });
    await store.tenants.createRoot('root');
    const registries = [new Registry(), new Registry()];
    const server = (owner: string, registry: Registry) =>
      new AlertDispatcher({
        outputs: parseOutputsConfig(`outputs: [{ name: soc, type: webhook, url: "${url}", ${FAST_RETRY} }]`, 't', {}),
        outbox: store.outbox,
        registry,
        log: { error: () => {} },
        owner,
        pollMs: 10,
      });
    const servers = registries.map((r, i) => server(`server-${i}`, r));
    try {
      const ids: string[] = [];
      for (let b = 0; b < 10; b++) {
        const batch = Array.from({ length: 15 }, (_, i) => alertEvent(`s${b}-${i}`, 'Error'));
        ids.push(...batch.map((e) => e.id));
        // Batches land on either server, as behind a load balancer.
        const delivery = servers[b % 2]?.newDelivery('root', null);
        await store.events.insertBatch('root', null, batch, { outbox: delivery?.plan });
        delivery?.committed();
      }
      await waitUntil(() => hook.requests.length >= ids.length, 'every delivery', 20_000);
      await Promise.all(servers.map((d) => d.idle()));
      const uuids = hook.requests.map((r) => (JSON.parse(r.body) as { uuid: string }).uuid);
      expect(uuids).toEqual(ids);
      expect(await store.outbox.list()).toEqual([]);
      const sent = await Promise.all(registries.map((r) => r.getSingleMetric('palisade_output_sent_total')?.get()));
      const perServer = sent.map((m) => m?.values.reduce((n, v) => n + v.value, 0) ?? 0);
      // Whichever took the line at each moment, together they sent each alert once.
      expect(perServer.reduce((a, b) => a + b, 0)).toBe(ids.length);
    } finally {
      await Promise.all(servers.map((d) => d.close()));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('slack output', () => {
  it('posts blocks with rule, priority, host, container, output and custom fields', async () => {
    const [slack, url] = await receiver(new HttpReceiver());
    const harness = await harnessWith(`
outputs:
  - { name: chat, type: slack, url: "${url}/services/T0/B0/XYZ", customFields: { cluster: prod-eu }, ${FAST_RETRY} }
`);
    await ingestEvents(harness, [alertEvent('a1', 'Critical', { output: 'shell <bash> & more' })]);
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]?.url).toBe('/services/T0/B0/XYZ');
    const body = JSON.parse(slack.requests[0]?.body ?? '{}') as {
      text: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[];
    };
    expect(body.text).toBe('Critical: Terminal shell in container on web-1');
    const fields = body.blocks.find((b) => b.fields)?.fields?.map((f) => f.text) ?? [];
    expect(fields).toEqual([
      '*Rule*\nTerminal shell in container',
      '*Priority*\n:red_circle: Critical',
      '*Host*\nweb-1',
      '*Container*\nnginx (nginx:1.27) id abcdef012345',
    ]);
    const all = JSON.stringify(body.blocks);
    expect(all).toContain('shell &lt;bash&gt; &amp; more');
    expect(body.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '*cluster*: prod-eu' }] });
  });
});

describe('elasticsearch output', () => {
  it('indexes through the bulk API into a dated index, retrying only the failed items', async () => {
    const [es, url] = await receiver(new BulkReceiver());
    const seen = new Map<string, number>();
    es.itemStatus = (item) => {
      const n = (seen.get(item.id) ?? 0) + 1;
      seen.set(item.id, n);
      if (item.id.endsWith(':a2') && n === 1) return 429;
      if (item.id.endsWith(':a3')) return 400;
      return 201;
    };
    const harness = await harnessWith(`
outputs:
  - name: es
    type: elasticsearch
    url: ${url}
    index: palisade-alerts-%Y.%m.%d
    username: elastic
    password: changeme
    customFields: { env: prod }
    ${FAST_RETRY}
`);
    await ingestEvents(harness, [alertEvent('a1', 'Error'), alertEvent('a2', 'Error'), alertEvent('a3', 'Error')]);
    expect(es.batches.map((b) => b.map((i) => i.id.split(':')[1]))).toEqual([['a1', 'a2', 'a3'], ['a2']]);
    expect(es.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('elastic:changeme').toString('base64')}`);
    expect(es.requests[0]?.headers['content-type']).toBe('application/x-ndjson');
    expect([...es.indexed.keys()].sort()).toEqual([`${harness.tenantA}:a1`, `${harness.tenantA}:a2`]);
    const doc = es.indexed.get(`${harness.tenantA}:a1`);
    expect(doc?.index).toBe('palisade-alerts-2026.11.27');
    expect(doc?.doc).toMatchObject({ rule: 'Terminal shell in container', env: 'prod', '@timestamp': doc?.doc.time });
    const dead = await harness.store.deadLetters.list('/');
    expect(dead.items.map((d) => [d.alertId, d.attempts])).toEqual([['a3', 1]]);
    expect(dead.items[0]?.error).toContain('mapper_parsing_exception');
    expect(await metric(harness, 'palisade_output_sent_total', 'es')).toBe(2);
    expect(await metric(harness, 'palisade_output_dead_letter_total', 'es')).toBe(1);
  });

  it('retries the whole request on 429 and sends the API key', async () => {
    const [es, url] = await receiver(new BulkReceiver());
    let requests = 0;
    es.requestStatus = () => (++requests <= 2 ? 429 : 200);
    const harness = await harnessWith(`
outputs:
  - { name: os, type: opensearch, url: "${url}/", apiKey: "aWQ6a2V5", ${FAST_RETRY} }
`);
    await ingestEvents(harness, [alertEvent('a1', 'Error'), alertEvent('a2', 'Warning')]);
    expect(es.requests).toHaveLength(3);
    expect(es.requests[2]?.headers.authorization).toBe('ApiKey aWQ6a2V5');
    expect(es.indexed.size).toBe(2);
    expect(await harness.store.deadLetters.count()).toBe(0);
  });
});

describe('syslog output', () => {
  it('sends RFC 5424 over UDP with PRI from the priority and rule/host in structured data', async () => {
    const listener = new UdpSyslogListener();
    const port = await listener.start();
    cleanups.push(() => listener.stop());
    const harness = await harnessWith(`
outputs:
  - { name: siem, type: syslog, host: 127.0.0.1, port: ${port}, protocol: udp, facility: local3, customFields: { "dc": "eu]1" }, ${FAST_RETRY} }
`);
    const long = `${'é'.repeat(3000)}`;
    await ingestEvents(harness, [alertEvent('a1', 'Warning'), alertEvent('a2', 'Critical', { output: long })]);
    await waitUntil(() => listener.messages.length + listener.errors.length >= 2, 'two datagrams');
    expect(listener.errors).toEqual([]);
    const [m1, m2] = [...listener.messages].sort((a, b) => a.severity - b.severity).reverse();
    expect(m1).toMatchObject({ pri: 19 * 8 + 4, version: 1, hostname: 'web-1', appName: 'palisade', msgId: 'alert' });
    expect(m1?.timestamp).toBe('2026-11-27T03:40:00.123Z');
    expect(m1?.sd['palisade@32473']).toMatchObject({
      rule: 'Terminal shell in container',
      host: 'web-1',
      priority: 'Warning',
      dc: 'eu]1',
      container: 'abcdef0123456789',
    });
    expect(m1?.msg).toContain('A shell was spawned');
    // The long one is cut to the UDP limit on a character boundary (the parser's decoder is fatal).
    expect(m2?.severity).toBe(2);
    expect(m2?.size).toBeLessThanOrEqual(2048);
    expect(m2?.msg.length).toBeGreaterThan(100);
    expect(/^é+$/.test(m2?.msg ?? '')).toBe(true);
  });

  it('frames RFC 5424 messages with octet counting over TCP', async () => {
    const listener = new TcpSyslogListener();
    const port = await listener.start();
    cleanups.push(() => listener.stop());
    const harness = await harnessWith(`
outputs:
  - { name: siem, type: syslog, host: 127.0.0.1, port: ${port}, protocol: tcp, minPriority: Error, ${FAST_RETRY} }
`);
    const multiline = 'line one\nline two with "quotes"';
    await ingestEvents(harness, [
      alertEvent('a1', 'Error', { output: multiline }),
      alertEvent('a2', 'Informational'),
      alertEvent('a3', 'Alert'),
    ]);
    await waitUntil(() => listener.messages.length >= 2, 'two frames');
    expect(listener.errors).toEqual([]);
    expect(listener.messages.map((m) => [m.sd['palisade@32473']?.id, m.pri])).toEqual([
      ['a1', 16 * 8 + 3],
      ['a3', 16 * 8 + 1],
    ]);
    expect(listener.messages[0]?.msg).toBe(multiline);
  });

  it('dead-letters when nothing listens on the TCP port', async () => {
    const listener = new TcpSyslogListener();
    const port = await listener.start();
    await listener.stop();
    const harness = await harnessWith(`
outputs:
  - { name: siem, type: syslog, host: 127.0.0.1, port: ${port}, protocol: tcp, ${FAST_RETRY} }
`);
    await ingestEvents(harness, [alertEvent('a1', 'Error')]);
    const dead = await harness.store.deadLetters.list('/');
    expect(dead.items.map((d) => [d.output, d.attempts])).toEqual([['siem', 3]]);
    expect(dead.items[0]?.error).toContain('ECONNREFUSED');
  });
});
