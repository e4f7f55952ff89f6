// The DNS policy proxy: forwards queries (UDP and TCP) to an upstream resolver and, before an
// answer reaches the client, opens the policies' domain sets for the addresses it carries.

import dgram from 'node:dgram';
import net from 'node:net';
import { InputError } from '@palisade/core';
import * as dnsPacket from 'dns-packet';
import { domainMatches } from '../evaluate/evaluate.js';
import type { PolicyModel } from '../model/types.js';
import { compileRuleset } from '../nft/compile.js';
import type { DomainSet, NftRuleset } from '../nft/ir.js';
import { DomainSetFeeder, type SetAdd } from './set-feeder.js';

export interface HostPort {
  readonly host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  readonly port: number;
}

export interface DnsProxyOptions {
  readonly listen: HostPort;
  readonly upstream: HostPort;
  /** The policies; their domain sets are found by compiling (same names as the applied table). */
  readonly model?: PolicyModel;
  /** Or the compiled ruleset itself, to skip the compile. */
  readonly ruleset?: NftRuleset;
  readonly table?: string;
  /** The namespace whose table holds the sets (`ip netns exec`). */
  readonly netns?: string;
  /** Shorter TTLs are raised to this many seconds for the set timeout (default 30). */
  readonly minTtlSeconds?: number;
  /** Longer TTLs are cut to this (default 3600), so a stale address does not stay open for days. */
  readonly maxTtlSeconds?: number;
  readonly upstreamTimeoutMs?: number;
}

export interface DnsAnswerRecord {
  readonly name: string;
  readonly address: string;
  readonly ttl: number;
  /** Domain sets the address was added to. */
  readonly sets: readonly string[];
}

export interface DnsProxy {
  /** Where it listens (UDP and TCP on the same port). */
  readonly address: HostPort;
  /** The most recent name that resolved to this address, while its TTL lasts (for flow logs). */
  domainFor(address: string, now?: number): string | undefined;
  /** Called for every A/AAAA answer after the sets were updated. */
  onAnswer(listener: (a: DnsAnswerRecord) => void): void;
  /**
   * After the table was replaced (a replace empties the domain sets): forget what the sets held and
   * take the new ruleset's domain sets. The next answers fill them again.
   */
  rulesetReplaced(ruleset: NftRuleset): void;
  readonly stats: { queries: number; answers: number; nftRuns: number; failures: number };
  close(): Promise<void>;
}

const MAX_RECENT = 200_000;

/** Starts the proxy; resolves once both sockets listen. */
export async function startDnsProxy(options: DnsProxyOptions): Promise<DnsProxy> {
  const ruleset =
    options.ruleset ??
    (options.model ? compileRuleset(options.model, { table: options.table ?? 'palisade' }) : undefined);
  if (!ruleset) throw new InputError('startDnsProxy needs the policy model or its compiled ruleset');
  const minTtl = options.minTtlSeconds ?? 30;
  const maxTtl = Math.max(minTtl, options.maxTtlSeconds ?? 3600);
  const timeoutMs = options.upstreamTimeoutMs ?? 3000;
  const feeder = new DomainSetFeeder(options.table ?? ruleset.table, options.netns ? { netns: options.netns } : {});
  const recent = new Map<string, { name: string; until: number }>();
  const listeners: ((a: DnsAnswerRecord) => void)[] = [];
  const stats = { queries: 0, answers: 0, nftRuns: 0, failures: 0 };
  let setsFor = matcherFor(ruleset.domainSets ?? []);

  /** Opens the sets for an upstream answer; returns the bytes to release to the client. */
  async function release(query: Buffer, answer: Buffer): Promise<Buffer> {
    let decoded: dnsPacket.Packet;
    try {
      decoded = dnsPacket.decode(answer);
    } catch {
      return answer; // cannot be read, so it opens nothing; the client's resolver judges it
    }
    const qname = decoded.questions?.[0]?.name?.toLowerCase();
    if (!qname) return answer;
    const adds: SetAdd[] = [];
    const records: DnsAnswerRecord[] = [];
    const now = Date.now();
    for (const a of decoded.answers ?? []) {
      if ((a.type !== 'A' && a.type !== 'AAAA') || typeof a.data !== 'string') continue;
      const family = a.type === 'A' ? 4 : 6;
      const ttl = Math.min(maxTtl, Math.max(minTtl, a.ttl ?? 0));
      const sets = setsFor(qname, family);
      for (const set of sets) adds.push({ set, address: a.data, ttl });
      records.push({ name: qname, address: a.data, ttl, sets });
      if (recent.size >= MAX_RECENT) recent.clear(); // crude bound; the next answers refill it
      recent.set(a.data, { name: qname, until: now + ttl * 1000 });
    }
    stats.answers += records.length;
    if (adds.length > 0) {
      try {
        await feeder.add(adds, now);
        stats.nftRuns = feeder.nftRuns;
      } catch (err) {
        // Releasing the answer would send the client to an address the firewall does not open.
        stats.failures++;
        process.emitWarning(`dns-proxy: could not update the domain sets: ${(err as Error).message}`);
        return servfail(query);
      }
    }
    for (const r of records) for (const l of listeners) l(r);
    return answer;
  }

  const udp = dgram.createSocket(net.isIPv6(options.listen.host) ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    stats.queries++;
    forwardUdp(msg, options.upstream, timeoutMs)
      .then((answer) => release(msg, answer))
      .then(
        (out) => udp.send(out, rinfo.port, rinfo.address),
        () => {
          stats.failures++;
          udp.send(servfail(msg), rinfo.port, rinfo.address);
        },
      );
  });
  udp.on('error', () => {}); // a send to a vanished client must not end the proxy
  const clients = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    sock.on('error', () => {});
    sock.setTimeout(30_000, () => sock.destroy());
    readFrames(sock, (msg) => {
      stats.queries++;
      forwardTcp(msg, options.upstream, timeoutMs)
        .then((answer) => release(msg, answer))
        .catch(() => {
          stats.failures++;
          return servfail(msg);
        })
        .then((out) => {
          if (!sock.destroyed) sock.write(frame(out));
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, options.listen.host, () => resolve());
  });

  return {
    address: { host: options.listen.host, port },
    stats,
    domainFor(address, now = Date.now()) {
      const r = recent.get(address);
      return r && r.until >= now ? r.name : undefined;
    },
    rulesetReplaced(next) {
      setsFor = matcherFor(next.domainSets ?? []);
      feeder.reset();
    },
    onAnswer(listener) {
      listeners.push(listener);
    },
    close() {
      return new Promise<void>((resolve) => {
        udp.close(() => tcp.close(() => resolve()));
        for (const c of clients) c.destroy();
      });
    },
  };
}

/** Question name + family → the domain sets it opens (memoised: the same names come back often). */
function matcherFor(domainSets: readonly DomainSet[]): (name: string, family: 4 | 6) => string[] {
  const cache = new Map<string, string[]>();
  return (name, family) => {
    const key = `${family}${name}`;
    let sets = cache.get(key);
    if (!sets) {
      sets = domainSets
        .filter((s) => s.family === family && s.domains.some((d) => domainMatches(d, name)))
        .map((s) => s.name);
      if (cache.size > 50_000) cache.clear();
      cache.set(key, sets);
    }
    return sets;
  };
}

/** A SERVFAIL reply to a query, keeping its id and question (or a bare header if it is unreadable). */
export function servfail(query: Buffer): Buffer {
  const header = Buffer.alloc(12);
  if (query.length >= 2) query.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8182, 2); // QR, RD, RA, rcode 2
  try {
    const q = dnsPacket.decode(query);
    const body = dnsPacket.encode({
      id: q.id ?? 0,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | 2,
      questions: q.questions ?? [],
    });
    return body;
  } catch {
    return header;
  }
}

function forwardUdp(msg: Buffer, upstream: HostPort, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('upstream timeout'));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (answer) => {
      // Each query has its own socket (random source port); still, ignore a reply with another id.
      if (answer.length < 2 || answer.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve(answer);
    });
    sock.send(msg, upstream.port, upstream.host);
  });
}

function forwardTcp(msg: Buffer, upstream: HostPort, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: upstream.host, port: upstream.port });
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new Error('upstream timeout'));
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error('upstream closed')));
    readFrames(sock, (answer) => {
      sock.destroy();
      resolve(answer);
    });
    sock.write(frame(msg));
  });
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** DNS over TCP: each message is preceded by its 2-byte length. */
function readFrames(sock: net.Socket, onMessage: (msg: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      onMessage(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
  });
}
