// Address and CIDR matching for fd.ip/fd.net style fields, compiled once per rule: IPv4 as
// 32-bit integers (no allocation per event), IPv6 as BigInt. Invalid addresses never match.

import { isIP } from 'node:net';

/** Dotted quad → unsigned 32-bit integer, or -1 when the text is not an IPv4 address. */
export function parseIPv4(s: string): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + part;
}

/** IPv6 text (incl. `::` and an embedded IPv4 tail) → 128-bit BigInt, or undefined. */
export function parseIPv6(s: string): bigint | undefined {
  if (isIP(s) !== 6) return undefined;
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = parseIPv4(v4[1]!);
    text = `${text.slice(0, v4.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let out = 0n;
  for (const g of groups) out = (out << 16n) | BigInt(Number.parseInt(g || '0', 16));
  return out;
}

/** A set of addresses and networks; `has` answers whether an address falls into any of them. */
export function compileAddressSet(entries: readonly string[], allowNetworks: boolean): (addr: string) => boolean {
  const v4: { net: number; mask: number }[] = [];
  const v6: { net: bigint; mask: bigint }[] = [];
  for (const e of entries) {
    const [addr, bitsText] = e.split('/');
    const bits = bitsText !== undefined && allowNetworks ? Number(bitsText) : undefined;
    const a4 = parseIPv4(addr!);
    if (a4 >= 0) {
      const b = bits ?? 32;
      const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
      v4.push({ net: (a4 & mask) >>> 0, mask });
      continue;
    }
    const a6 = parseIPv6(addr!);
    if (a6 !== undefined) {
      const b = BigInt(bits ?? 128);
      const mask = b === 0n ? 0n : ((1n << 128n) - 1n) ^ ((1n << (128n - b)) - 1n);
      v6.push({ net: a6 & mask, mask });
    }
  }
  return (addr) => {
    const a4 = parseIPv4(addr);
    if (a4 >= 0) {
      for (const n of v4) if ((a4 & n.mask) >>> 0 === n.net) return true;
      return false;
    }
    if (v6.length === 0) return false;
    const a6 = parseIPv6(addr);
    if (a6 === undefined) return false;
    for (const n of v6) if ((a6 & n.mask) === n.net) return true;
    return false;
  };
}
