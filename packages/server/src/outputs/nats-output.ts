// NATS output: each alert as one JSON message on a subject, over core NATS (fire-and-forget, the
// server's flush confirming receipt) or JetStream (a stream stores it and acknowledges; the alert's
// tenant and id are the message id, so a redelivery within the stream's duplicate window is stored
// once). The subject may name the priority or the tenant: "falco.{priority}" → "falco.critical".

import { connectNats, type NatsAuth, type NatsConnection, parseNatsUrl } from '@palisade/bus';
import { errorMessage, InputError } from '@palisade/core';
import type { AlertDocument, Output } from './output.js';
import { sendOneByOne } from './output.js';

export interface NatsOutputOptions extends NatsAuth {
  name: string;
  /** nats://[user:pass@|token@]host:4222[?creds=FILE&tls_ca=…], or tls://… */
  url: string;
  /** Subject template; {priority} and {tenant} are replaced (lower-cased, made subject-safe). */
  subject: string;
  /** Publish through JetStream and wait for the stream's acknowledgement. Default false. */
  jetstream?: boolean;
  timeoutMs?: number;
}

/** A subject token from a value: no whitespace, dots or wildcards, never empty. */
function token(value: string): string {
  return value.toLowerCase().replace(/[\s.*>]+/g, '_') || '_';
}

export function natsSubject(template: string, doc: Pick<AlertDocument, 'priority' | 'tenant'>): string {
  return template.replace(/\{(priority|tenant)\}/g, (_m, key: 'priority' | 'tenant') => token(doc[key]));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function natsOutput(opts: NatsOutputOptions): Output {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let server: string;
  try {
    server = parseNatsUrl(opts.url).display;
  } catch (err) {
    throw new InputError(`nats output ${opts.name}: ${errorMessage(err)}`);
  }
  const encoder = new TextEncoder();
  let connection: Promise<NatsConnection> | undefined;

  // Connected on first use, so a NATS that is down at start delays alerts rather than the server.
  const connected = (): Promise<NatsConnection> => {
    if (connection) return connection;
    const attempt = connectNats(opts.url, opts, `palisade-output-${opts.name}`);
    connection = attempt;
    // A failed attempt is forgotten: the queue's retry connects again.
    attempt.catch(() => {
      if (connection === attempt) connection = undefined;
    });
    return attempt;
  };

  return {
    name: opts.name,
    type: 'nats',
    batchSize: 100,
    async send(batch) {
      const nc = await connected();
      if (opts.jetstream) {
        const js = nc.jetstream();
        return sendOneByOne(batch, async (doc) => {
          await js.publish(natsSubject(opts.subject, doc), encoder.encode(JSON.stringify(doc)), {
            msgID: `${doc.tenant}:${doc.uuid}`,
            timeout: timeoutMs,
          });
        });
      }
      for (const doc of batch) nc.publish(natsSubject(opts.subject, doc), encoder.encode(JSON.stringify(doc)));
      // The server answering a PING sent after them means it has every message of the batch.
      await withTimeout(nc.flush(), timeoutMs, `NATS flush to ${server}`);
      return [];
    },
    async close() {
      const c = connection;
      connection = undefined;
      if (c) await (await c.catch(() => undefined))?.drain();
    },
  };
}
