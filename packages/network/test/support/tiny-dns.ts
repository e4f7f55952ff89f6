// Test support: a tiny authoritative DNS server (UDP and TCP on one port) answering from a table,
// and a client that asks one question over UDP or TCP. Loopback only.

import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface TinyRecord {
  readonly type: 'A' | 'AAAA';
  readonly address: string;
  readonly ttl: number;
}

export interface TinyDnsServer {
  readonly port: number;
  readonly records: Map<string, TinyRecord[]>;
  /** When set, the server answers every query with these raw bytes (robustness tests). */
  raw?: Buffer;
  close(): Promise<void>;
}

function answer(server: TinyDnsServer, query: Buffer): Buffer {
  if (server.raw) return server.raw;
  const q = dnsPacket.decode(query);
  const question = q.questions?.[0];
  const records = (question && server.records.get(question.name.toLowerCase())) ?? [];
  const matching = records.filter((r) => r.type === question?.type);
  return dnsPacket.encode({
    id: q.id ?? 0,
    type: 'response',
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (records.length === 0 ? 3 : 0), // NXDOMAIN when unknown
    questions: q.questions ?? [],
    answers: matching.map((r) => ({ type: r.type, name: question!.name, ttl: r.ttl, class: 'IN', data: r.address })),
  });
}

export async function startTinyDns(records: Record<string, TinyRecord[]> = {}): Promise<TinyDnsServer> {
  const udp = dgram.createSocket('udp4');
  const clients = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    sock.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const out = answer(server, msg);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  const server: TinyDnsServer = {
    port,
    records: new Map(Object.entries(records)),
    close: () =>
      new Promise<void>((r) => {
        for (const c of clients) c.destroy();
        udp.close(() => tcp.close(() => r()));
      }),
  };
  udp.on('message', (msg, rinfo) => {
    try {
      udp.send(answer(server, msg), rinfo.port, rinfo.address);
    } catch {
      // an unreadable query gets no answer
    }
  });
  return server;
}

let nextId = 1;

/** What tests read of a reply; dns-packet's own types hide `rcode` and `data` behind unions. */
export interface DnsReply {
  rcode?: string;
  answers?: { name: string; type: string; ttl?: number; data?: unknown }[];
}

function toReply(p: dnsPacket.Packet): DnsReply {
  return {
    rcode: (p as { rcode?: string }).rcode,
    answers: p.answers?.map((a) => ({ ...a, data: 'data' in a ? a.data : undefined })),
  };
}

/** Asks one question; resolves with the decoded answer (rejects after timeoutMs). */
export function query(
  port: number,
  name: string,
  type: 'A' | 'AAAA' = 'A',
  transport: 'udp' | 'tcp' = 'udp',
  timeoutMs = 3000,
): Promise<DnsReply> {
  const id = nextId++ & 0xffff;
  const msg = dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no answer for ${name}`));
    }, timeoutMs);
    let done = () => clearTimeout(timer);
    if (transport === 'udp') {
      const sock = dgram.createSocket('udp4');
      done = () => {
        clearTimeout(timer);
        sock.close();
      };
      sock.on('message', (d) => {
        done();
        resolve(toReply(dnsPacket.decode(d)));
      });
      sock.send(msg, port, '127.0.0.1');
    } else {
      const sock = net.connect(port, '127.0.0.1');
      done = () => {
        clearTimeout(timer);
        sock.destroy();
      };
      let buf: Buffer = Buffer.alloc(0);
      sock.on('error', (e) => {
        done();
        reject(e);
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          done();
          resolve(toReply(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)))));
        }
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    }
  });
}
