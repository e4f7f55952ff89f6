// Real receivers on loopback for the output tests: an HTTP server (webhook, Slack, and the
// Elasticsearch bulk API) and UDP/TCP syslog listeners that parse RFC 5424 frames.

import { createHmac, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Responder = (req: ReceivedRequest) => { status: number; body?: unknown };

/** An HTTP server that records every request and answers through a replaceable responder. */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => ({ status: 200, body: 'ok' });
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(r);
      const answer = this.respond(r);
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(body);
    });
  });

  /** Listens on `port` (default: any free one) and returns the base URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A webhook receiver's check: HMAC-SHA256 of the raw body, compared in constant time, and a fresh timestamp. */
export function verifyWebhook(req: ReceivedRequest, secret: string, nowSeconds: number): string | undefined {
  const sig = req.headers['x-palisade-signature'];
  const ts = req.headers['x-palisade-timestamp'];
  if (typeof sig !== 'string' || typeof ts !== 'string') return 'missing signature or timestamp header';
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(req.body).digest('hex')}`);
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
  const body = JSON.parse(req.body) as { delivered_at?: number };
  if (String(body.delivered_at) !== ts) return 'timestamp header does not match the signed body';
  if (Math.abs(nowSeconds - Number(ts)) > 300) return 'stale timestamp (replay?)';
  return undefined;
}

export interface BulkItem {
  index: string;
  id: string;
  doc: Record<string, unknown>;
}

/**
 * Enough of Elasticsearch's bulk API: parses NDJSON action/source pairs, keeps what it indexed,
 * and answers per item; `itemStatus` decides an item's status, `requestStatus` a whole request's.
 */
export class BulkReceiver extends HttpReceiver {
  readonly indexed = new Map<string, BulkItem>();
  readonly batches: BulkItem[][] = [];
  itemStatus: (item: BulkItem) => number = () => 201;
  requestStatus: () => number = () => 200;

  constructor() {
    super();
    this.respond = (req) => {
      const status = this.requestStatus();
      if (status !== 200) return { status, body: { error: { type: 'es_rejected_execution_exception' }, status } };
      if (req.url !== '/_bulk' || req.method !== 'POST') return { status: 404, body: { error: 'no such route' } };
      const lines = req.body.split('\n').filter((l) => l.length > 0);
      if (lines.length % 2 !== 0) return { status: 400, body: { error: 'odd number of bulk lines' } };
      const batch: BulkItem[] = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = JSON.parse(lines[i] as string) as { index?: { _index: string; _id: string } };
        if (!action.index) return { status: 400, body: { error: 'only index actions are expected' } };
        batch.push({
          index: action.index._index,
          id: action.index._id,
          doc: JSON.parse(lines[i + 1] as string) as Record<string, unknown>,
        });
      }
      this.batches.push(batch);
      let errors = false;
      const items = batch.map((item) => {
        const s = this.itemStatus(item);
        if (s >= 200 && s < 300) {
          this.indexed.set(item.id, item);
          return { index: { _index: item.index, _id: item.id, status: s, result: 'created' } };
        }
        errors = true;
        const type = s === 429 ? 'es_rejected_execution_exception' : 'mapper_parsing_exception';
        return { index: { _index: item.index, _id: item.id, status: s, error: { type, reason: `rejected (${s})` } } };
      });
      return { status: 200, body: { took: 1, errors, items } };
    };
  }
}

export interface SyslogMessage {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
  /** Bytes of the whole message (without TCP framing). */
  size: number;
}

/** Parses one RFC 5424 message; throws on anything malformed. */
export function parseRfc5424(buf: Buffer): SyslogMessage {
  const text = buf.toString('utf8');
  const head = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!head) throw new Error(`not an RFC 5424 header: ${text.slice(0, 80)}`);
  let i = head[0].length;
  const sd: SyslogMessage['sd'] = {};
  if (text[i] === '-') {
    i++;
  } else {
    while (text[i] === '[') {
      const idEnd = text.slice(i).search(/[ \]]/) + i;
      const id = text.slice(i + 1, idEnd);
      const params: Record<string, string> = {};
      i = idEnd;
      while (text[i] === ' ') {
        const eq = text.indexOf('="', i);
        const name = text.slice(i + 1, eq);
        let j = eq + 2;
        let value = '';
        while (text[j] !== '"') {
          if (j >= text.length) throw new Error('unterminated SD value');
          if (text[j] === '\\' && ['"', '\\', ']'].includes(text[j + 1] as string)) j++;
          value += text[j];
          j++;
        }
        params[name] = value;
        i = j + 1;
      }
      if (text[i] !== ']') throw new Error(`bad SD element at ${i}: ${text.slice(i, i + 20)}`);
      sd[id] = params;
      i++;
    }
  }
  let rest = buf.subarray(Buffer.byteLength(text.slice(0, i)));
  if (rest[0] === 0x20) rest = rest.subarray(1);
  if (rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf) rest = rest.subarray(3);
  // A fatal decoder proves the message was cut on a character boundary.
  const msg = new TextDecoder('utf-8', { fatal: true }).decode(rest);
  const pri = Number(head[1]);
  return {
    pri,
    facility: pri >> 3,
    severity: pri & 7,
    version: Number(head[2]),
    timestamp: head[3] as string,
    hostname: head[4] as string,
    appName: head[5] as string,
    procId: head[6] as string,
    msgId: head[7] as string,
    sd,
    msg,
    size: buf.length,
  };
}

/** A UDP syslog listener: one RFC 5424 message per datagram. */
export class UdpSyslogListener {
  readonly messages: SyslogMessage[] = [];
  readonly errors: string[] = [];
  private socket = dgram.createSocket('udp4');

  async start(): Promise<number> {
    this.socket.on('message', (m) => {
      try {
        this.messages.push(parseRfc5424(m));
      } catch (err) {
        this.errors.push((err as Error).message);
      }
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A TCP syslog listener reading RFC 6587 octet-counted frames, across chunk boundaries. */
export class TcpSyslogListener {
  readonly messages: SyslogMessage[] = [];
  readonly errors: string[] = [];
  private readonly conns = new Set<net.Socket>();
  private server = net.createServer((conn) => {
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const space = buf.indexOf(0x20);
        if (space < 0) return;
        const len = Number(buf.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(len) || len <= 0) {
          this.errors.push(`bad frame length "${buf.subarray(0, space).toString('ascii')}"`);
          conn.destroy();
          return;
        }
        if (buf.length < space + 1 + len) return;
        try {
          this.messages.push(parseRfc5424(buf.subarray(space + 1, space + 1 + len)));
        } catch (err) {
          this.errors.push((err as Error).message);
        }
        buf = buf.subarray(space + 1 + len);
      }
    });
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` holds (a syslog datagram has no acknowledgement to wait for). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (let i = 0; i < timeoutMs / 10; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
