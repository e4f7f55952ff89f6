// Runs the server: opens the store (migrating it), creates the root tenant and bootstrap admin
// token on first start only, listens (optionally TLS) and closes gracefully.

import { readFileSync } from 'node:fs';
import { type EventBus, openBus } from '@palisade/bus';
import { errorMessage, UsageError } from '@palisade/core';
import { isWellFormedToken, openStore, type Store } from '@palisade/store';
import { buildApp } from './app.js';
import { loadOutputsConfig } from './outputs/outputs-config.js';

export interface StartServerOptions {
  dataDir: string;
  /** `postgres://…` for PostgreSQL; default the SQLite file under dataDir. */
  db?: string;
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Bootstrap admin token for the first start (else PALISADE_BOOTSTRAP_TOKEN, else generated). */
  bootstrapToken?: string;
  logLevel?: string;
  /** Print the bootstrap token to stderr on first start. Default true. */
  printBootstrapToken?: boolean;
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** YAML file listing alert outputs (webhook, slack, elasticsearch, syslog); see docs/server.md. */
  outputsConfig?: string;
  /**
   * Event bus shared by server replicas: nats://host:4222 (NATS JetStream; credentials and TLS as
   * in docs/server.md) or memory: / unset for the in-process bus of a single server.
   */
  bus?: string;
}

export interface RunningServer {
  url: string;
  /** Set on first start only: the admin token of the root tenant. */
  bootstrapToken?: string;
  close(): Promise<void>;
}

export const ROOT_TENANT_ID = 'root';

/** First start only: the root tenant and an admin token for it. Later starts return undefined. */
export async function bootstrapStore(store: Store, presetToken?: string): Promise<string | undefined> {
  if ((await store.tenants.count()) > 0) return undefined;
  if (presetToken && !isWellFormedToken(presetToken)) {
    throw new UsageError(
      'bootstrap token must look like pal_<id>_<secret> (id: 4-32 of a-z0-9; secret: 32+ of A-Za-z0-9_-), e.g. pal_boot_$(openssl rand -hex 32)',
    );
  }
  await store.tenants.createRoot('root', ROOT_TENANT_ID);
  const { token } = await store.tokens.issue({
    tenantId: ROOT_TENANT_ID,
    name: 'bootstrap admin',
    role: 'admin',
    presetToken,
    createdBy: 'bootstrap',
  });
  return token;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read TLS ${what} ${file}: ${errorMessage(err)}`);
  }
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  const https =
    opts.tlsCert && opts.tlsKey
      ? { cert: readPem(opts.tlsCert, 'certificate'), key: readPem(opts.tlsKey, 'key') }
      : undefined;
  // Read before the store opens: a broken outputs file stops the start with its own message.
  const outputs = opts.outputsConfig ? loadOutputsConfig(opts.outputsConfig) : undefined;
  const store = await openStore({ dataDir: opts.dataDir, db: opts.db });
  let bootstrapToken: string | undefined;
  try {
    bootstrapToken = await bootstrapStore(store, opts.bootstrapToken ?? process.env.PALISADE_BOOTSTRAP_TOKEN);
  } catch (err) {
    await store.close();
    throw err;
  }

  // Lines the bus reports before the app's logger exists go to stderr; after, to the log.
  let busLog: (msg: string, err?: unknown) => void = (msg, err) =>
    process.stderr.write(`palisade server: ${msg}${err ? `: ${errorMessage(err)}` : ''}\n`);
  let bus: EventBus;
  try {
    bus = await openBus(opts.bus, {
      name: 'palisade-server',
      onError: (err, topic) => busLog(`bus handler failed on ${topic}`, err),
      // The request's own work is committed by then: a lost wake-up costs agents elsewhere at most
      // their long-poll wait, while failing the request would make senders retry stored work.
      onPublishError: (err, topic) => busLog(`bus publish on ${topic} failed`, err),
      onStatus: (status, server) => busLog(`bus ${status} (${server})`),
    });
  } catch (err) {
    await store.close();
    throw new UsageError(errorMessage(err));
  }

  let ready = true;
  const app = await buildApp({
    store,
    bus,
    logLevel: opts.logLevel,
    https,
    rateLimit: opts.rateLimit,
    isReady: () => ready,
    outputs,
  });
  busLog = (msg, err) => {
    if (err) app.log.error({ err }, msg);
    else app.log.warn(msg);
  };
  try {
    // Subscriptions (policy wake-ups) are live before the first request can depend on them.
    await bus.ready();
  } catch (err) {
    await app.close();
    await bus.close();
    await store.close();
    throw new UsageError(errorMessage(err));
  }
  const host = opts.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: opts.port ?? 8470 });
  } catch (err) {
    await app.close();
    await bus.close();
    await store.close();
    throw new UsageError(`cannot listen on ${host}:${opts.port ?? 8470}: ${errorMessage(err)}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 8470);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `${https ? 'https' : 'http'}://${shownHost}:${port}`;
  if (bootstrapToken && opts.printBootstrapToken !== false) {
    process.stderr.write(`palisade server: first start; bootstrap admin token (shown once): ${bootstrapToken}\n`);
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(bootstrapToken ? { bootstrapToken } : {}),
    close() {
      // Readiness flips first so a load balancer stops sending; in-flight requests then finish.
      closing ??= (async () => {
        ready = false;
        await app.close();
        await app.palisade.bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}
