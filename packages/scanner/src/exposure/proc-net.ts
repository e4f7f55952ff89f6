// Parses the kernel's socket tables (/proc/<pid>/net/{tcp,tcp6,udp,udp6}) into listening sockets.
// Addresses there are hex in the host's byte order per 32-bit word; ports are big-endian hex.

import { formatIpv6, InputError } from '@palisade/core';

export type SocketProto = 'tcp' | 'udp';

export interface SocketEntry {
  proto: SocketProto;
  family: 4 | 6;
  address: string;
  port: number;
  inode: number;
  uid: number;
}

const TCP_LISTEN = '0A';
// An unconnected UDP socket bound to a port is "listening" in the sense that matters here.
const UDP_UNCONNECTED = '07';

/** Listening entries of one table; malformed lines are skipped, a table without its header is an error. */
export function parseSocketTable(text: string, proto: SocketProto, family: 4 | 6): SocketEntry[] {
  const lines = text.split('\n');
  if (!lines[0]?.includes('local_address'))
    throw new InputError(`not a /proc/net/${proto}${family === 6 ? '6' : ''} table`);
  const wanted = proto === 'tcp' ? TCP_LISTEN : UDP_UNCONNECTED;
  const out: SocketEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== wanted) continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    if (!addrHex || !portHex) continue;
    const address = family === 4 ? ipv4FromHex(addrHex) : ipv6FromHex(addrHex);
    const port = Number.parseInt(portHex, 16);
    const inode = Number(f[9]);
    if (!address || !Number.isInteger(port) || !Number.isInteger(inode)) continue;
    // UDP sockets connected to a peer are clients, not services; a zero port is not bound.
    if (port === 0) continue;
    out.push({ proto, family, address, port, inode, uid: Number(f[7]) });
  }
  return out;
}

function ipv4FromHex(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = Number.parseInt(hex, 16);
  // Little-endian machines print the address word byte-swapped.
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

function ipv6FromHex(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined;
  // Each 32-bit word is printed in host (little-endian) byte order.
  const bytes = new Uint8Array(16);
  for (let w = 0; w < 4; w++) {
    for (let b = 0; b < 4; b++)
      bytes[w * 4 + b] = Number.parseInt(hex.slice(w * 8 + (3 - b) * 2, w * 8 + (3 - b) * 2 + 2), 16);
  }
  return formatIpv6(bytes);
}

export type BindScope = 'wildcard' | 'loopback' | 'specific';

export function bindScope(address: string): BindScope {
  if (address === '0.0.0.0' || address === '::') return 'wildcard';
  if (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.')) return 'loopback';
  return 'specific';
}
