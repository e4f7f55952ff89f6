import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConntrackLine } from './conntrack-line.js';
import { NflogPcapReader, parseNflog } from './nflog-pcap.js';

describe('parseConntrackLine', () => {
  it('reads an event with the original tuple, mark and id', () => {
    const line =
      '    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.20.1.2 dst=10.20.9.2 sport=59532 dport=80 [UNREPLIED] src=10.20.9.2 dst=10.20.1.2 sport=80 dport=59532 mark=5 id=2846630481';
    expect(parseConntrackLine(line)).toEqual({
      event: 'NEW',
      family: 4,
      protocol: 6,
      src: '10.20.1.2',
      dst: '10.20.9.2',
      sport: 59532,
      dport: 80,
      mark: 5,
      id: 2846630481,
    });
  });

  it('reads a listing line with both directions’ counters', () => {
    const line =
      'ipv6     10 udp      17 25 src=2001:db8::1 dst=2001:db8::2 sport=5353 dport=53 packets=1 bytes=76 src=2001:db8::2 dst=2001:db8::1 sport=53 dport=5353 packets=2 bytes=200 mark=0 use=1 id=7';
    expect(parseConntrackLine(line)).toMatchObject({
      family: 6,
      protocol: 17,
      src: '2001:db8::1',
      packets: [1, 2],
      bytes: [76, 200],
      id: 7,
    });
  });

  it('ignores summaries and never throws on random text (fast-check)', () => {
    expect(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 6 flow events have been shown.')).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        parseConntrackLine(s);
        parseConntrackLine(`[NEW] ipv4 2 ${s}`);
      }),
    );
  });
});

/** An NFLOG record as the kernel sends it: header, prefix TLV, payload TLV (little-endian TLVs). */
function nflogRecord(prefix: string, payload: Buffer, group = 1): Buffer {
  const tlv = (type: number, value: Buffer) => {
    const len = 4 + value.length;
    const out = Buffer.alloc((len + 3) & ~3);
    out.writeUInt16LE(len, 0);
    out.writeUInt16LE(type, 2);
    value.copy(out, 4);
    return out;
  };
  const header = Buffer.from([2, 0, group >> 8, group & 255]);
  return Buffer.concat([header, tlv(10, Buffer.from(`${prefix}\0`, 'latin1')), tlv(9, payload)]);
}

function ipv4Tcp(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const p = Buffer.alloc(40);
  p[0] = 0x45;
  p[9] = 6;
  Buffer.from(src).copy(p, 12);
  Buffer.from(dst).copy(p, 16);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  return p;
}

function pcap(records: Buffer[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt32LE(0x40000, 16);
  global.writeUInt32LE(239, 20);
  const recs = records.map((r) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000, 0);
    h.writeUInt32LE(r.length, 8);
    h.writeUInt32LE(r.length, 12);
    return Buffer.concat([h, r]);
  });
  return Buffer.concat([global, ...recs]);
}

describe('NFLOG pcap reader', () => {
  it('reads prefix, addresses and ports, across arbitrary chunk boundaries', () => {
    const stream = pcap([
      nflogRecord('D 7 ', ipv4Tcp([10, 20, 1, 2], [10, 20, 9, 4], 40000, 80)),
      nflogRecord('L 9 ', ipv4Tcp([10, 0, 0, 1], [10, 0, 0, 2], 1, 2)),
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 6 }), (cuts) => {
        const reader = new NflogPcapReader();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const out = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          out.push(...reader.push(stream.subarray(at, p)));
          at = p;
        }
        expect(out.map((p) => [p.prefix, p.src, p.dst, p.sport, p.dport, p.protocol])).toEqual([
          ['D 7 ', '10.20.1.2', '10.20.9.4', 40000, 80, 6],
          ['L 9 ', '10.0.0.1', '10.0.0.2', 1, 2, 6],
        ]);
      }),
    );
  });

  it('rejects a stream that is not an NFLOG pcap with a clear error', () => {
    expect(() => new NflogPcapReader('cap').push(Buffer.alloc(24))).toThrow(/cap: not a pcap stream/);
    const eth = pcap([]);
    eth.writeUInt32LE(1, 20);
    expect(() => new NflogPcapReader('cap').push(eth)).toThrow(/link type 1, expected NFLOG/);
  });

  it('never throws on random records (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseNflog(Buffer.from(bytes));
      }),
    );
  });
});
