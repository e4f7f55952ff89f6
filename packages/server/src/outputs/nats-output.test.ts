// NATS alert output end to end: events ingested through the API reach a real nats-server — a core
// NATS subscriber, and a JetStream stream that stores each alert once — with the minimum priority,
// custom fields and the subject template applied.

import type { NatsConnection } from '@palisade/bus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerFixture, natsClient, startNatsServer } from '../../../../test-support/nats.js';
import { createHarness, type Harness, ingestEvents } from '../../test/harness.js';
import { natsOutput, natsSubject } from './nats-output.js';
import { parseOutputsConfig } from './outputs-config.js';

const FAST_RETRY = 'retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 }';

function alertEvent(id: string, priority: string) {
  return {
    id,
    ts: '2026-11-27T03:40:00.123Z',
    type: 'execve',
    host: 'web-1',
    rule: 'Terminal shell in container',
    priority,
    output: `A shell was spawned in a container (id=${id})`,
    source: 'syscall',
    tags: ['container', 'shell'],
    output_fields: { 'proc.name': 'bash' },
    container: { id: 'abcdef0123456789', name: 'nginx', image: 'nginx:1.27' },
  };
}

let nats: NatsServerFixture;
let client: NatsConnection;
let h: Harness | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  client = await natsClient(nats.url);
});
afterAll(async () => {
  await client?.close();
  await nats?.stop();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harnessWith(yaml: string): Promise<Harness> {
  h = await createHarness('sqlite', undefined, { outputs: parseOutputsConfig(yaml, 'test.yaml', {}) });
  return h;
}

/** Messages a core subscription has buffered, drained without waiting for more. */
async function drain(
  sub: ReturnType<NatsConnection['subscribe']>,
  n: number,
): Promise<{ subject: string; body: Record<string, unknown> }[]> {
  const out: { subject: string; body: Record<string, unknown> }[] = [];
  for await (const m of sub) {
    out.push({ subject: m.subject, body: m.json() });
    if (out.length === n) break;
  }
  return out;
}

describe('nats output on a real nats-server', () => {
  it('publishes each alert at or above the minimum priority as JSON, with custom fields, on core NATS', async () => {
    const sub = client.subscribe('h3.alerts.>');
    await client.flush();
    const harness = await harnessWith(`
outputs:
  - name: bus
    type: nats
    url: ${nats.url}
    subject: h3.alerts.{priority}
    minPriority: Warning
    customFields: { env: prod }
    ${FAST_RETRY}
`);
    await ingestEvents(harness, [
      alertEvent('a1', 'Critical'),
      alertEvent('a2', 'Notice'),
      alertEvent('a3', 'Warning'),
    ]);
    const got = await drain(sub, 2);
    sub.unsubscribe();
    expect(got.map((m) => m.subject)).toEqual(['h3.alerts.critical', 'h3.alerts.warning']);
    expect(got.map((m) => m.body.uuid)).toEqual(['a1', 'a3']);
    expect(got[0]?.body).toMatchObject({
      rule: 'Terminal shell in container',
      priority: 'Critical',
      hostname: 'web-1',
      tenant: harness.tenantA,
      env: 'prod',
      container: { id: 'abcdef0123456789', name: 'nginx', image: 'nginx:1.27' },
    });
  });

  it('stores each alert once in a JetStream stream, keyed by tenant and alert id', async () => {
    const jsm = await client.jetstreamManager();
    await jsm.streams.add({ name: 'H3_ALERTS', subjects: ['h3js.>'] });
    const harness = await harnessWith(`
outputs:
  - name: stream
    type: nats
    url: ${nats.url}
    subject: h3js.{tenant}.alerts
    jetstream: true
    ${FAST_RETRY}
`);
    await ingestEvents(harness, [alertEvent('j1', 'Error'), alertEvent('j2', 'Debug')]);
    expect(await harness.store.deadLetters.count()).toBe(0);
    // The same alert delivered again (a dead letter retried) within the duplicate window is stored once.
    const again = natsOutput({ name: 'again', url: nats.url, subject: 'h3js.{tenant}.alerts', jetstream: true });
    const stored = await jsm.streams.getMessage('H3_ALERTS', { seq: 1 });
    expect(await again.send([stored.json()])).toEqual([]);
    await again.close?.();
    const info = await jsm.streams.info('H3_ALERTS');
    expect(info.state.messages).toBe(2);
    const first = await jsm.streams.getMessage('H3_ALERTS', { seq: 1 });
    expect(first.subject).toBe(`h3js.${harness.tenantA}.alerts`);
    expect(first.header.get('Nats-Msg-Id')).toBe(`${harness.tenantA}:j1`);
    expect(first.json()).toMatchObject({ uuid: 'j1', priority: 'Error' });
  });

  it('dead-letters alerts when no stream takes the subject, and names the output', async () => {
    const harness = await harnessWith(`
outputs:
  - name: nostream
    type: nats
    url: ${nats.url}
    subject: h3none.alerts
    jetstream: true
    ${FAST_RETRY}
`);
    await ingestEvents(harness, [alertEvent('n1', 'Error')]);
    const letters = await harness.store.deadLetters.list('/');
    expect(letters.items.map((l) => [l.output, (l.alert as { uuid: string }).uuid])).toEqual([['nostream', 'n1']]);
  });
});

describe('nats output configuration', () => {
  it('refuses a subject with wildcards or empty tokens, and a URL of another scheme', () => {
    const config = (subject: string, url = 'nats://127.0.0.1:4222') =>
      `outputs:\n  - { name: n, type: nats, url: "${url}", subject: "${subject}" }\n`;
    expect(() => parseOutputsConfig(config('falco.>'), 'o.yaml', {})).toThrow(/subject/);
    expect(() => parseOutputsConfig(config('a..b'), 'o.yaml', {})).toThrow(/subject/);
    expect(() => parseOutputsConfig(config('a b'), 'o.yaml', {})).toThrow(/subject/);
    expect(() => parseOutputsConfig(config('ok', 'http://h'), 'o.yaml', {})).toThrow(/url/);
    expect(() => parseOutputsConfig(config('ok', 'nats://h/path'), 'o.yaml', {})).toThrow(/nats output n: .*no path/);
    expect(parseOutputsConfig(config('falco.{priority}'), 'o.yaml', {})[0]?.output.type).toBe('nats');
  });

  it('fills the subject template with subject-safe priority and tenant', () => {
    expect(natsSubject('falco.{priority}.{tenant}', { priority: 'Critical', tenant: 'team a.b' })).toBe(
      'falco.critical.team_a_b',
    );
    expect(natsSubject('plain', { priority: 'Debug', tenant: 't' })).toBe('plain');
  });
});
