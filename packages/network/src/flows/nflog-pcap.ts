// Reads the packets the ruleset logs to NFLOG, as the pcap stream `tcpdump -i nflog:N -U -w -`
// writes (link type 239): the log prefix ("D <rule id> ") and the packet's addresses and ports.

import { formatIpv6, InputError } from '@palisade/core';

export interface NflogPacket {
  readonly group: number;
  readonly prefix: string;
  readonly family: 4 | 6;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly length: number;
  readonly time: number;
}

const LINKTYPE_NFLOG = 239;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

/** Incremental pcap reader: feed it chunks, get the complete NFLOG packets so far. */
export class NflogPcapReader {
  private buf: Buffer = Buffer.alloc(0);
  private littleEndian: boolean | undefined;

  constructor(private readonly source = 'nflog capture') {}

  push(chunk: Buffer): NflogPacket[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: NflogPacket[] = [];
    if (this.littleEndian === undefined) {
      if (this.buf.length < 24) return out;
      const magic = this.buf.readUInt32LE(0);
      if (magic === 0xa1b2c3d4) this.littleEndian = true;
      else if (magic === 0xd4c3b2a1) this.littleEndian = false;
      else throw new InputError(`${this.source}: not a pcap stream (magic 0x${magic.toString(16)})`);
      const linktype = this.u32(20);
      if (linktype !== LINKTYPE_NFLOG)
        throw new InputError(`${this.source}: link type ${linktype}, expected NFLOG (${LINKTYPE_NFLOG})`);
      this.buf = this.buf.subarray(24);
    }
    while (this.buf.length >= 16) {
      const incl = this.u32(8);
      if (incl > 262_144) throw new InputError(`${this.source}: record of ${incl} bytes is not plausible`);
      if (this.buf.length < 16 + incl) break;
      const time = this.u32(0) * 1000 + Math.floor(this.u32(4) / 1000);
      const p = parseNflog(this.buf.subarray(16, 16 + incl), time);
      if (p) out.push(p);
      this.buf = this.buf.subarray(16 + incl);
    }
    return out;
  }

  private u32(at: number): number {
    return this.littleEndian ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }
}

/** One NFLOG record: a 4-byte header (family, version, group) then host-endian TLVs. */
export function parseNflog(rec: Buffer, time = 0): NflogPacket | undefined {
  if (rec.length < 4) return undefined;
  const group = rec.readUInt16BE(2);
  let prefix = '';
  let payload: Buffer | undefined;
  let at = 4;
  while (at + 4 <= rec.length) {
    const len = rec.readUInt16LE(at);
    const type = rec.readUInt16LE(at + 2) & 0x7fff;
    if (len < 4 || at + len > rec.length) break;
    const value = rec.subarray(at + 4, at + len);
    if (type === NFULA_PREFIX) {
      const nul = value.indexOf(0);
      prefix = value.subarray(0, nul < 0 ? value.length : nul).toString('latin1');
    } else if (type === NFULA_PAYLOAD) payload = value;
    at += (len + 3) & ~3;
  }
  if (!payload) return undefined;
  const ip = parseIpHeader(payload);
  return ip ? { group, prefix, time, length: payload.length, ...ip } : undefined;
}

function parseIpHeader(
  p: Buffer,
): Pick<NflogPacket, 'family' | 'protocol' | 'src' | 'dst' | 'sport' | 'dport'> | undefined {
  if (p.length < 1) return undefined;
  const version = p[0]! >> 4;
  let l4: number;
  let out: Pick<NflogPacket, 'family' | 'protocol' | 'src' | 'dst'>;
  if (version === 4) {
    if (p.length < 20) return undefined;
    l4 = (p[0]! & 0xf) * 4;
    out = {
      family: 4,
      protocol: p[9]!,
      src: [...p.subarray(12, 16)].join('.'),
      dst: [...p.subarray(16, 20)].join('.'),
    };
  } else if (version === 6) {
    if (p.length < 40) return undefined;
    l4 = 40;
    out = { family: 6, protocol: p[6]!, src: formatIpv6(p.subarray(8, 24)), dst: formatIpv6(p.subarray(24, 40)) };
  } else return undefined;
  const ported = out.protocol === 6 || out.protocol === 17 || out.protocol === 132 || out.protocol === 136;
  if (ported && p.length >= l4 + 4) return { ...out, sport: p.readUInt16BE(l4), dport: p.readUInt16BE(l4 + 2) };
  return out;
}
