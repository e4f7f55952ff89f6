// NATS JetStream bus against real nats-server processes: fan-out between replicas, survival of a
// NATS restart, message ids for dedupe, token auth, and the errors an operator sees.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../test-support/free-port.js';
import { type NatsServerFixture, startNatsServer } from '../../../test-support/nats.js';
import { selfSignedCert } from '../../../test-support/tls.js';
import { NatsEventBus } from './nats-bus.js';
import { openBus } from './open-bus.js';

const TOKEN = 'h3-token-0123456789abcdef';

describe('NatsEventBus on a real nats-server', () => {
  let nats: NatsServerFixture;
  const open: NatsEventBus[] = [];
  const replica = async (stream: string) => {
    const b = await NatsEventBus.connect({ url: nats.url, stream, subjectPrefix: stream.toLowerCase() });
    open.push(b);
    return b;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    for (const b of open) await b.close().catch(() => undefined);
    await nats?.stop();
  });

  it('fans every message out to every replica, whichever replica published it', async () => {
    const a = await replica('H3_FANOUT');
    const b = await replica('H3_FANOUT');
    const seen = { a: [] as string[], b: [] as string[] };
    a.subscribe<string>('policies.changed', (m) => {
      seen.a.push(m);
    });
    b.subscribe<string>('policies.changed', (m) => {
      seen.b.push(m);
    });
    await Promise.all([a.ready(), b.ready()]);
    await a.publish('policies.changed', 'from-a');
    await b.publish('policies.changed', 'from-b');
    await vi.waitFor(() => expect(seen.a).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(seen.b).toHaveLength(2), { timeout: 10_000 });
    // Both replicas see one order: the stream's.
    expect(seen.a).toEqual(seen.b);
    expect([...seen.a].sort()).toEqual(['from-a', 'from-b']);
  });

  it('stores each publish once, under a message id, in the one stream', async () => {
    const a = await replica('H3_IDS');
    await a.publish('x.y', { n: 1 });
    await a.publish('x.y', { n: 2 });
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info('H3_IDS');
      expect(info.config.subjects).toEqual(['h3_ids.>']);
      expect(info.state.messages).toBe(2);
      const first = await jsm.streams.getMessage('H3_IDS', { seq: 1 });
      expect(first.subject).toBe('h3_ids.x.y');
      expect(first.header.get('Nats-Msg-Id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.json()).toEqual({ n: 1 });
    } finally {
      await nc.close();
    }
  });

  it('keeps delivering across a restart of nats-server, without losing what was published after it', async () => {
    const a = await replica('H3_RESTART');
    const b = await replica('H3_RESTART');
    const got: number[] = [];
    b.subscribe<number>('wake.>', (m) => {
      got.push(m);
    });
    await b.ready();
    await a.publish('wake.up', 1);
    await vi.waitFor(() => expect(got).toEqual([1]), { timeout: 10_000 });

    await nats.restart();
    // Publishing fails while the client has not reconnected yet; an agent's retry is what follows.
    await vi.waitFor(() => a.publish('wake.up', 2), { timeout: 30_000, interval: 250 });
    await vi.waitFor(() => expect(got).toEqual([1, 2]), { timeout: 30_000 });
  });

  it('fails at start with the server address, and no credentials, when NATS is down', async () => {
    const port = await freePort();
    const err = await NatsEventBus.connect({ url: `nats://alice:s3cret-pw@127.0.0.1:${port}` }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`cannot connect to NATS at nats://127.0.0.1:${port}`);
    expect(err.message).not.toContain('s3cret-pw');
    expect(err.message).not.toContain('alice');

    const noCreds = await NatsEventBus.connect({ url: `${nats.url}?creds=/nonexistent/h3.creds` }).catch((e) => e);
    expect(noCreds.message).toMatch(/cannot read NATS creds file \/nonexistent\/h3\.creds: .*ENOENT/);
  });

  it('openBus: memory by default and for memory:, NATS for nats://, an error for anything else', async () => {
    const memory = await openBus(undefined);
    expect(memory.constructor.name).toBe('MemoryEventBus');
    expect((await openBus('memory:')).constructor.name).toBe('MemoryEventBus');
    const viaUrl = await openBus(nats.url, { stream: 'H3_OPEN', subjectPrefix: 'h3open' });
    expect(viaUrl).toBeInstanceOf(NatsEventBus);
    await viaUrl.close();
    await expect(openBus('redis://127.0.0.1:6379')).rejects.toThrow(/unknown bus scheme redis:/);
  });
});

describe('NatsEventBus publishing while nats-server is down', () => {
  let nats: NatsServerFixture;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('rejects with the topic and server, or reports to onPublishError and resolves when one is given', async () => {
    const reported: string[] = [];
    const strict = await NatsEventBus.connect({ url: nats.url, stream: 'H3_DOWN', publishTimeoutMs: 300 });
    const lenient = await NatsEventBus.connect({
      url: nats.url,
      stream: 'H3_DOWN',
      publishTimeoutMs: 300,
      onPublishError: (err, topic) => reported.push(`${topic}: ${err.message}`),
    });
    await nats.kill();
    await expect(strict.publish('policies.changed', {})).rejects.toThrow(
      `NATS publish on policies.changed to ${nats.url} failed`,
    );
    await expect(lenient.publish('policies.changed', {})).resolves.toBeUndefined();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(`policies.changed: NATS publish on policies.changed to ${nats.url} failed`);
    await strict.close();
    await lenient.close();
  });
});

describe('NatsEventBus with token auth on a real nats-server', () => {
  let nats: NatsServerFixture;
  beforeAll(async () => {
    nats = await startNatsServer(['--auth', TOKEN]);
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('connects with the token in the URL or in the options, and names neither on a refusal', async () => {
    const withUrl = await NatsEventBus.connect({ url: `nats://${TOKEN}@127.0.0.1:${nats.port}`, stream: 'H3_AUTH' });
    const got: unknown[] = [];
    withUrl.subscribe('auth.ok', (m) => {
      got.push(m);
    });
    await withUrl.ready();
    const withOption = await NatsEventBus.connect({ url: nats.url, token: TOKEN, stream: 'H3_AUTH' });
    await withOption.publish('auth.ok', 'yes');
    await vi.waitFor(() => expect(got).toEqual(['yes']), { timeout: 10_000 });
    await withUrl.close();
    await withOption.close();

    const err = await NatsEventBus.connect({ url: `nats://wrong-token-value@127.0.0.1:${nats.port}` }).catch((e) => e);
    expect(err.message).toContain(`cannot connect to NATS at nats://127.0.0.1:${nats.port}`);
    expect(err.message).not.toContain('wrong-token-value');
  });
});

describe('NatsEventBus over TLS on a real nats-server', () => {
  let nats: NatsServerFixture;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'h3-nats-tls-'));
  let cert = '';
  beforeAll(async () => {
    // The client trusts the self-signed certificate as its own CA.
    const made = selfSignedCert(dir);
    cert = made.cert;
    nats = await startNatsServer(['--tls', '--tlscert', made.cert, '--tlskey', made.key]);
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with tls:// and ?tls_ca=, and refuses a server it cannot verify', async () => {
    const bus = await NatsEventBus.connect({ url: `tls://127.0.0.1:${nats.port}?tls_ca=${cert}`, stream: 'H3_TLS' });
    const got: unknown[] = [];
    bus.subscribe('tls.ok', (m) => {
      got.push(m);
    });
    await bus.ready();
    await bus.publish('tls.ok', 'over tls');
    await vi.waitFor(() => expect(got).toEqual(['over tls']), { timeout: 10_000 });
    await bus.close();

    const err = await NatsEventBus.connect({ url: `tls://127.0.0.1:${nats.port}` }).catch((e) => e);
    expect(err.message).toContain(`cannot connect to NATS at tls://127.0.0.1:${nats.port}`);
  });
});
