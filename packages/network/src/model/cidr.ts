// IPv4/IPv6 addresses and CIDRs as bigints, for membership tests in the evaluator and for
// deciding which nftables sets need intervals. Bare addresses are read as /32 or /128.

import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  readonly text: string;
}

function v6ToBigint(ip: string): bigint {
  let addr = ip;
  const v4tail = addr.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4tail) {
    const n = v4ToBigint(v4tail[1]!);
    addr = `${addr.slice(0, -v4tail[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function v4ToBigint(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** Parses an address; undefined when it is not one. */
export function parseIp(ip: string): { version: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { version: 4, value: v4ToBigint(ip) };
  if (isIPv6(ip)) return { version: 6, value: v6ToBigint(ip) };
  return undefined;
}

const cidrCache = new Map<string, Cidr | undefined>();

/** Parses `a.b.c.d/n`, `x::/n` or a bare address; undefined when malformed. Memoised. */
export function parseCidr(text: string): Cidr | undefined {
  if (cidrCache.has(text)) return cidrCache.get(text);
  const c = parseCidrUncached(text);
  if (cidrCache.size > 200_000) cidrCache.clear();
  cidrCache.set(text, c);
  return c;
}

function parseCidrUncached(text: string): Cidr | undefined {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return undefined;
  const hostBits = BigInt(max - prefix);
  const base = (ip.value >> hostBits) << hostBits;
  return { version: ip.version, base, prefix, text };
}

export function cidrContains(c: Cidr, ip: { version: 4 | 6; value: bigint }): boolean {
  if (c.version !== ip.version) return false;
  const hostBits = BigInt((c.version === 4 ? 32 : 128) - c.prefix);
  return ip.value >> hostBits === c.base >> hostBits;
}

export function isSingleAddress(c: Cidr): boolean {
  return c.prefix === (c.version === 4 ? 32 : 128);
}

/** Canonical `base/prefix` text (host bits cleared), as nftables wants it. */
export function formatCidr(c: Cidr): string {
  let addr: string;
  if (c.version === 4) {
    addr = [24n, 16n, 8n, 0n].map((s) => String((c.base >> s) & 0xffn)).join('.');
  } else {
    const groups: string[] = [];
    for (let s = 112n; s >= 0n; s -= 16n) groups.push(((c.base >> s) & 0xffffn).toString(16));
    addr = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  return isSingleAddress(c) ? addr : `${addr}/${c.prefix}`;
}
