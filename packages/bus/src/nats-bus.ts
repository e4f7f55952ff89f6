// The EventBus over NATS JetStream, for several server replicas. Every message is stored in one
// stream (default PALISADE, subjects "palisade.>") with a message id, so a publish retried after a
// lost acknowledgement is stored once. Each subscribed pattern gets an ordered consumer that starts
// at "new messages": every replica sees every message, in order, and after a reconnect the consumer
// resumes from the last sequence it saw. Topic "a.b" is subject "palisade.a.b"; "a.>" and ">" keep
// NATS's meaning, which is also the in-process bus's (topics.ts).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  type ConsumerMessages,
  connect,
  credsAuthenticator,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import type { BusHandler, EventBus, Subscription } from './event-bus.js';
import { type NatsAuth, type NatsUrlSettings, parseNatsUrl } from './nats-url.js';
import { checkPattern, checkTopic } from './topics.js';

export interface NatsBusOptions extends NatsAuth {
  /** nats://[user:pass@|token@]host:4222[,…][?creds=FILE&tls_ca=FILE&tls_cert=FILE&tls_key=FILE], or tls://… */
  url: string;
  /** JetStream stream name; default PALISADE. */
  stream?: string;
  /** First subject token of every topic; default "palisade". */
  subjectPrefix?: string;
  /** How long the stream keeps messages; default one hour (they are wake-ups, not a history). */
  maxAgeMs?: number;
  /** Stream replicas in a clustered JetStream; default 1. */
  replicas?: number;
  /** Connection name shown by the NATS server's monitoring. */
  name?: string;
  /** Acknowledgement timeout of a publish; default 5000 ms. */
  publishTimeoutMs?: number;
  /**
   * When set, a publish that fails (NATS unreachable, no acknowledgement in time) is reported here
   * and resolves, instead of rejecting: for callers whose own work is already done (the server
   * publishes after committing), a lost notification must not fail the request.
   */
  onPublishError?: (err: Error, topic: string) => void;
  /** A handler failed, or a message could not be decoded. */
  onError?: (err: unknown, topic: string) => void;
  /** Connection changes (disconnect, reconnect …) with the server's address, for the log. */
  onStatus?: (status: string, server: string) => void;
}

interface PatternConsumer {
  pattern: string;
  handlers: Set<BusHandler>;
  ready: Promise<void>;
  messages?: ConsumerMessages;
  stopped: boolean;
}

const DEFAULT_STREAM = 'PALISADE';
const DEFAULT_PREFIX = 'palisade';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** nats.js reports codes; an operator needs to know what to do about them. */
function explainConnectError(err: unknown): string {
  const code = (err as { code?: string }).code ?? describe(err);
  if (code === 'CONNECTION_REFUSED') return 'connection refused (is nats-server running there?)';
  if (code === 'AUTHORIZATION_VIOLATION') return 'authorization violation (check the token, user/password or creds)';
  if (code === 'TIMEOUT') return 'timed out (is the address right and reachable?)';
  return describe(err);
}

/** Connection options for nats.js from a URL plus explicit settings (explicit ones win). */
export function natsConnectionOptions(
  settings: NatsUrlSettings,
  explicit: NatsAuth,
  name: string | undefined,
): ConnectionOptions {
  const auth: NatsAuth = { ...settings, ...Object.fromEntries(Object.entries(explicit).filter(([, v]) => v)) };
  const opts: ConnectionOptions = {
    servers: settings.servers,
    name,
    // After the first connection, keep trying for ever: replicas outlive a NATS restart.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    timeout: 5000,
  };
  if (auth.credsFile) {
    const file = auth.credsFile;
    let creds: Uint8Array;
    try {
      creds = readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read NATS creds file ${file}: ${describe(err)}`);
    }
    opts.authenticator = credsAuthenticator(creds);
  } else if (auth.user && auth.pass) {
    opts.user = auth.user;
    opts.pass = auth.pass;
  } else if (auth.token) {
    opts.token = auth.token;
  }
  if (auth.tls) {
    opts.tls = { ...auth.tls };
    // nats.js gives Node no TLS server name for an IP address, so Node would check the certificate
    // against "localhost"; naming the one server's address makes it check the IP SAN instead.
    const only = settings.servers.length === 1 ? settings.servers[0] : undefined;
    const host = only?.slice(0, only.lastIndexOf(':')).replace(/^\[|\]$/g, '');
    if (host && isIP(host)) (opts.tls as Record<string, unknown>).host = host;
  }
  return opts;
}

/** Opens a connection with an error that names the server (never its credentials). */
export async function connectNats(url: string, explicit: NatsAuth = {}, name?: string): Promise<NatsConnection> {
  const settings = parseNatsUrl(url);
  try {
    return await connect(natsConnectionOptions(settings, explicit, name));
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${settings.display}: ${explainConnectError(err)}`);
  }
}

export class NatsEventBus implements EventBus {
  private readonly consumers = new Map<string, PatternConsumer>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private closed = false;
  /** False between a disconnect and the reconnect: publishes then fail at once (see publish). */
  private connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly prefix: string,
    private readonly display: string,
    private readonly opts: NatsBusOptions,
  ) {}

  /** Connects, makes sure the stream exists, and returns the bus. Fails fast when NATS is down. */
  static async connect(opts: NatsBusOptions): Promise<NatsEventBus> {
    const settings = parseNatsUrl(opts.url);
    const stream = opts.stream ?? DEFAULT_STREAM;
    const prefix = opts.subjectPrefix ?? DEFAULT_PREFIX;
    checkTopic(prefix);
    const nc = await connectNats(opts.url, opts, opts.name ?? 'palisade');
    try {
      const jsm = await nc.jetstreamManager().catch((err: unknown) => {
        const why = describe(err) === '503' ? 'not enabled' : describe(err);
        throw new Error(`JetStream is not available on ${settings.display}: ${why} (start nats-server with -js)`);
      });
      await ensureStream(jsm, stream, prefix, opts);
      const bus = new NatsEventBus(nc, nc.jetstream(), stream, prefix, settings.display, opts);
      void bus.watchStatus();
      return bus;
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  private subject(topic: string): string {
    return `${this.prefix}.${topic}`;
  }

  async publish<T>(topic: string, message: T): Promise<void> {
    if (this.closed) throw new Error(`event bus is closed; cannot publish on ${topic}`);
    checkTopic(topic);
    const data = this.encoder.encode(JSON.stringify(message ?? null));
    try {
      // Waiting out the acknowledgement timeout while NATS is known to be away would hold every
      // caller (an ingest request, say) for nothing; the caller learns at once instead.
      if (!this.connected) throw new Error('disconnected, reconnecting');
      await this.js.publish(this.subject(topic), data, {
        msgID: randomUUID(),
        timeout: this.opts.publishTimeoutMs ?? 5000,
        expect: { streamName: this.stream },
      });
    } catch (err) {
      const failure = new Error(`NATS publish on ${topic} to ${this.display} failed: ${describe(err)}`);
      if (!this.opts.onPublishError) throw failure;
      this.opts.onPublishError(failure, topic);
    }
  }

  subscribe<T>(topic: string, handler: BusHandler<T>): Subscription {
    if (this.closed) throw new Error(`event bus is closed; cannot subscribe to ${topic}`);
    checkPattern(topic);
    let entry = this.consumers.get(topic);
    if (!entry) {
      entry = this.startConsumer(topic);
      this.consumers.set(topic, entry);
    }
    const consumer = entry;
    const h = handler as BusHandler;
    consumer.handlers.add(h);
    return {
      unsubscribe: () => {
        consumer.handlers.delete(h);
        if (consumer.handlers.size > 0 || this.consumers.get(topic) !== consumer) return;
        this.consumers.delete(topic);
        this.stopConsumer(consumer);
      },
    };
  }

  async ready(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.ready));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.consumers.values()) this.stopConsumer(c);
    this.consumers.clear();
    // Draining needs the server; cut off from it, there is nothing in flight worth waiting for.
    if (this.connected) await this.nc.drain().catch(() => this.nc.close());
    else await this.nc.close();
  }

  private startConsumer(pattern: string): PatternConsumer {
    const entry: PatternConsumer = { pattern, handlers: new Set(), ready: Promise.resolve(), stopped: false };
    entry.ready = (async () => {
      const consumer = await this.js.consumers.get(this.stream, {
        filterSubjects: this.subject(pattern),
        deliver_policy: DeliverPolicy.New,
      });
      // Heartbeats every 5 s let a consumer lost in a NATS restart be noticed and recreated soon.
      const messages = await consumer.consume({ expires: 10_000 });
      if (entry.stopped) {
        await messages.close();
        return;
      }
      entry.messages = messages;
      void this.deliver(entry, messages);
    })().catch((err: unknown) => {
      throw new Error(`cannot subscribe to ${pattern} on NATS ${this.display}: ${describe(err)}`);
    });
    // ready() reports the failure; this keeps it from also being an unhandled rejection.
    entry.ready.catch(() => undefined);
    return entry;
  }

  private stopConsumer(entry: PatternConsumer): void {
    entry.stopped = true;
    void entry.messages?.close().catch(() => undefined);
  }

  /** Messages in stream order; each one's handlers run together, as the in-process bus runs them. */
  private async deliver(entry: PatternConsumer, messages: ConsumerMessages): Promise<void> {
    try {
      await this.deliverEach(entry, messages);
    } catch (err) {
      if (!entry.stopped) {
        this.opts.onError?.(new Error(`NATS consumer of ${entry.pattern} stopped: ${describe(err)}`), entry.pattern);
      }
      return;
    }
    // The client ends a consumer it cannot keep (its stream deleted, say): say so rather than go quiet.
    if (!entry.stopped && !this.closed) {
      this.opts.onError?.(new Error(`NATS consumer of ${entry.pattern} ended`), entry.pattern);
    }
  }

  private async deliverEach(entry: PatternConsumer, messages: ConsumerMessages): Promise<void> {
    const skip = this.prefix.length + 1;
    for await (const m of messages) {
      if (entry.stopped) break;
      const topic = m.subject.slice(skip);
      let value: unknown;
      try {
        value = JSON.parse(this.decoder.decode(m.data));
      } catch (err) {
        this.opts.onError?.(new Error(`undecodable message on ${m.subject}: ${describe(err)}`), topic);
        continue;
      }
      await Promise.all(
        [...entry.handlers].map((h) =>
          Promise.resolve()
            .then(() => h(value, topic))
            .catch((err: unknown) => this.opts.onError?.(err, topic)),
        ),
      );
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      if (s.type === 'reconnect') this.connected = true;
      // Attempts, pings and cluster updates would repeat every second of an outage: not for the log.
      if (s.type === 'pingTimer' || s.type === 'reconnecting' || s.type === 'update') continue;
      this.opts.onStatus?.(String(s.type), typeof s.data === 'string' ? s.data : this.display);
    }
  }
}

async function ensureStream(jsm: JetStreamManager, stream: string, prefix: string, opts: NatsBusOptions) {
  const subjects = [`${prefix}.>`];
  try {
    const info = await jsm.streams.info(stream);
    if (!info.config.subjects?.includes(subjects[0] as string)) {
      throw new Error(
        `NATS stream ${stream} exists with subjects ${JSON.stringify(info.config.subjects)}, not ${subjects[0]}: ` +
          'choose another stream name or subject prefix',
      );
    }
    return;
  } catch (err) {
    if (!/stream not found/i.test(describe(err))) throw err;
  }
  try {
    await jsm.streams.add({
      name: stream,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(opts.maxAgeMs ?? 3_600_000),
      duplicate_window: nanos(120_000),
      num_replicas: opts.replicas ?? 1,
    });
  } catch (err) {
    // Another replica created it between our look and our add: that is the stream we wanted.
    if (!/already in use/i.test(describe(err)))
      throw new Error(`cannot create NATS stream ${stream}: ${describe(err)}`);
  }
}
