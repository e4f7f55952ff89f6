// Decoder tests on hand-built records: field mapping, chunking, and fuzzed garbage (InputError,
// never another exception). No kernel needed.

import { InputError, type RuntimeEvent } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatIpv6,
  kernelDevToUser,
  type SensorHello,
  type SensorStatsRecord,
  SensorStreamDecoder,
} from './decode-records.js';
import { Exec, Hdr, Hello, RecordType, Stats, Syscall } from './record-layout.js';

function header(type: number, len: number, pid: number, ret = 0): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt16LE(type, Hdr.type);
  b.writeUInt16LE(len, Hdr.len);
  b.writeBigUInt64LE(5_000_000_000n, Hdr.tsBootNs);
  b.writeUInt32LE(pid, Hdr.pid);
  b.writeUInt32LE(pid, Hdr.tid);
  b.writeUInt32LE(1, Hdr.ppid);
  b.writeUInt32LE(1000, Hdr.uid);
  b.writeUInt32LE(1001, Hdr.gid);
  b.writeBigUInt64LE(4242n, Hdr.cgroupId);
  b.writeBigInt64LE(BigInt(ret), Hdr.ret);
  b.write('bash', Hdr.comm);
  return b;
}

function helloRecord(): Buffer {
  const b = header(RecordType.hello, Hello.size, 77);
  b.writeBigInt64LE(1_700_000_000_000_000_000n, Hello.bootToEpochNs);
  b.writeUInt32LE(1, Hello.version);
  b.writeUInt32LE(2, Hello.ncpu);
  b.writeUInt32LE(77, Hello.sensorPid);
  return b;
}

function execRecord(pid: number): Buffer {
  const filename = Buffer.from('/usr/bin/curl\0');
  const args = Buffer.from('curl\0-s\0http://169.254.169.254/\0');
  const cwd = Buffer.from('tmp\0work\0'); // leaf first: /work/tmp
  const len = Exec.strings + filename.length + args.length + cwd.length;
  const b = header(RecordType.exec, len, pid);
  b.writeBigUInt64LE(123456n, Exec.exeIno);
  b.writeUInt32LE((254 << 20) | 1, Exec.exeDev);
  b.writeUInt32LE(0, Exec.exeNlink);
  b.writeUInt32LE((136 << 20) | 3, Exec.tty);
  b.writeUInt32LE(1 | 2 | 4, Exec.exeFlags);
  b.writeInt32LE(-1, Exec.loginUid);
  b.writeUInt16LE(filename.length, Exec.filenameLen);
  b.writeUInt16LE(args.length, Exec.argsLen);
  b.writeUInt16LE(cwd.length, Exec.cwdLen);
  Buffer.concat([filename, args, cwd]).copy(b, Exec.strings);
  return b;
}

function openatRecord(pid: number, path: string, flags: number, fd: number): Buffer {
  const s = Buffer.from(`${path}\0`);
  const b = header(RecordType.syscall, Syscall.strings + s.length, pid, fd);
  b.writeUInt32LE(257, Syscall.nr);
  b.writeUInt16LE(s.length, Syscall.str1Len);
  b.writeBigInt64LE(-100n, Syscall.arg0);
  b.writeBigUInt64LE(BigInt(flags), Syscall.arg1);
  s.copy(b, Syscall.strings);
  return b;
}

/** openat relative to a directory the kernel sent as components from the leaf up. */
function relativeOpenatRecord(pid: number, rel: string, dirComponents: string[]): Buffer {
  const s = Buffer.from(`${rel}\0`);
  const dir = Buffer.from(dirComponents.map((c) => `${c}\0`).join(''));
  const b = header(RecordType.syscall, Syscall.strings + s.length + dir.length, pid, 5);
  b.writeUInt32LE(257, Syscall.nr);
  b.writeUInt16LE(s.length, Syscall.str1Len);
  b.writeUInt16LE(dir.length, Syscall.dirLen);
  b.writeBigInt64LE(-100n, Syscall.arg0);
  Buffer.concat([s, dir]).copy(b, Syscall.strings);
  return b;
}

/** A write-family record: nr 1 write, 18 pwrite64, 20 writev, 296 pwritev; the kernel sends the path root first. */
function writeRecord(pid: number, nr: number, path: string, fd: number, size: number, pos = -1, iovcnt = 0): Buffer {
  const s = Buffer.from(`${path}\0`);
  const b = header(RecordType.syscall, Syscall.strings + s.length, pid, size);
  b.writeUInt32LE(nr, Syscall.nr);
  b.writeUInt16LE(s.length, Syscall.str1Len);
  b.writeBigUInt64LE(BigInt(fd), Syscall.arg0);
  b.writeBigUInt64LE(BigInt(size), Syscall.arg1);
  b.writeBigInt64LE(BigInt(pos), Syscall.arg2);
  b.writeBigUInt64LE(BigInt(iovcnt), Syscall.arg3);
  s.copy(b, Syscall.strings);
  return b;
}

function connectRecord(pid: number): Buffer {
  const b = header(RecordType.syscall, Syscall.strings + 40, pid, -115);
  b.writeUInt32LE(42, Syscall.nr);
  b.writeBigUInt64LE(7n, Syscall.arg0);
  b.writeUInt16LE(1, Syscall.hasAddr);
  const a = Syscall.strings;
  b.writeUInt16LE(2, a); // AF_INET
  b.writeUInt16LE(40000, a + 2);
  b.writeUInt16LE(4444, a + 4);
  b[a + 6] = 6;
  Buffer.from([10, 0, 0, 5]).copy(b, a + 8);
  Buffer.from([192, 168, 1, 9]).copy(b, a + 24);
  return b;
}

function statsRecord(): Buffer {
  const b = header(RecordType.stats, Stats.pairs + 32, 77);
  b.writeUInt32LE(2, Stats.ncpu);
  b.writeBigUInt64LE(10n, Stats.pairs);
  b.writeBigUInt64LE(1n, Stats.pairs + 8);
  b.writeBigUInt64LE(20n, Stats.pairs + 16);
  b.writeBigUInt64LE(2n, Stats.pairs + 24);
  return b;
}

function collect() {
  const events: RuntimeEvent[] = [];
  const hellos: SensorHello[] = [];
  const stats: SensorStatsRecord[] = [];
  const acks: number[] = [];
  const decoder = new SensorStreamDecoder(
    {
      event: (e) => events.push(e),
      hello: (h) => hellos.push(h),
      stats: (s) => stats.push(s),
      ack: (n) => acks.push(n),
    },
    'host-a',
  );
  return { decoder, events, hellos, stats, acks };
}

describe('SensorStreamDecoder', () => {
  it('maps an exec record onto RuntimeProcess fields', () => {
    const { decoder, events, hellos } = collect();
    decoder.push(Buffer.concat([helloRecord(), execRecord(4321)]));
    expect(hellos[0]?.ncpu).toBe(2);
    const ev = events[0]!;
    expect(ev.type).toBe('execve');
    expect(ev.host).toBe('host-a');
    expect(ev.ts).toBe(1_700_000_005_000_000_000);
    expect(ev.proc).toMatchObject({
      pid: 4321,
      ppid: 1,
      uid: 1000,
      gid: 1001,
      comm: 'bash',
      exe: 'curl',
      exepath: '/usr/bin/curl',
      args: ['-s', 'http://169.254.169.254/'],
      cwd: '/work/tmp',
      exeIno: 123456,
      exeNlink: 0,
      exeUpperLayer: true,
      exeLowerLayer: false,
      exeFromMemfd: true,
      cgroupId: 4242,
      loginUid: -1,
    });
    expect(ev.proc.exeDev).toBe(kernelDevToUser((254 << 20) | 1));
    expect(ev.proc.tty).toBe(34819); // /dev/pts/3 as /proc/PID/stat's tty_nr
  });

  it('maps openat and connect records onto fd and net', () => {
    const { decoder, events } = collect();
    decoder.push(Buffer.concat([openatRecord(9, '/etc/shadow', 0o2, 3), connectRecord(9)]));
    expect(events[0]).toMatchObject({
      type: 'openat',
      res: 3,
      fd: { name: '/etc/shadow', type: 'file', num: 3, openFlags: 2 },
    });
    expect(events[1]).toMatchObject({
      type: 'connect',
      res: -115,
      net: { proto: 'tcp', saddr: '10.0.0.5', sport: 40000, daddr: '192.168.1.9', dport: 4444, role: 'client' },
      fd: { name: '10.0.0.5:40000->192.168.1.9:4444', type: 'ipv4', num: 7, connected: true },
    });
  });

  it('maps write, pwrite, writev and a memfd write onto fd.name, fd.num and size', () => {
    const { decoder, events } = collect();
    decoder.push(
      Buffer.concat([
        writeRecord(9, 1, '/usr/bin/ls', 4, 512),
        writeRecord(9, 18, '/var/lib/db', 5, 8, 4096),
        writeRecord(9, 20, '/etc/passwd', 6, 30, -1, 3),
        writeRecord(9, 1, 'memfd:payload', 7, 100),
        writeRecord(9, 326, '/usr/bin/x', 1, 4096, -1, 3),
      ]),
    );
    expect(events[0]).toMatchObject({
      type: 'write',
      fd: { name: '/usr/bin/ls', type: 'file', num: 4 },
      params: { fd: 4, size: 512 },
    });
    expect(events[0]?.params?.pos).toBeUndefined();
    expect(events[0]?.res).toBeUndefined();
    expect(events[1]).toMatchObject({ type: 'pwrite', fd: { name: '/var/lib/db' }, params: { pos: 4096 } });
    expect(events[2]).toMatchObject({ type: 'writev', fd: { name: '/etc/passwd' }, params: { size: 30, iovcnt: 3 } });
    expect(events[3]?.fd).toMatchObject({ name: 'memfd:payload', type: 'memfd' });
    expect(events[4]).toMatchObject({ type: 'copy_file_range', fd: { num: 1 }, params: { size: 4096, in_fd: 3 } });
  });

  it('decodes a socket call that carries no address block without reading past the record', () => {
    // nr 49 = bind, hasAddr 0: the fuzzer once turned a write record into this shape.
    const rec = writeRecord(6, 49, '', 5, 0);
    const { decoder, events } = collect();
    decoder.push(rec);
    expect(events[0]).toMatchObject({ type: 'bind', params: { fd: 5 } });
    expect(events[0]?.net).toBeUndefined();
  });

  it('throws InputError, and nothing else, on a corrupted write record', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 160 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const rec = writeRecord(6, 1, '/usr/bin/x', 3, 10);
        rec[pos % rec.length] = byte;
        const { decoder } = collect();
        try {
          decoder.push(rec);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('resolves a relative path against the directory the kernel sent', () => {
    const { decoder, events } = collect();
    decoder.push(relativeOpenatRecord(3, '../shadow', ['ssl', 'etc']));
    expect(events[0]?.fd).toMatchObject({ name: '/etc/shadow', nameraw: '../shadow' });
  });

  it('sums per-CPU stats', () => {
    const { decoder, stats } = collect();
    decoder.push(statsRecord());
    expect(stats[0]).toMatchObject({ events: 30, drops: 3, eventsPerCpu: [10, 20], dropsPerCpu: [1, 2] });
  });

  it('decodes a long stream cut into pipe-sized chunks, records split across every boundary', () => {
    // Longer than the largest record, so a split record is completed from the head of a chunk
    // that also carries further whole records.
    const parts = [helloRecord()];
    for (let i = 0; i < 400; i++) parts.push(openatRecord(10 + i, `/var/lib/file-${i}`, 0, 3), execRecord(1000 + i));
    const stream = Buffer.concat(parts);
    const whole = collect();
    whole.decoder.push(stream);
    expect(whole.events).toHaveLength(800);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40_000 }), (size) => {
        const c = collect();
        for (let off = 0; off < stream.length; off += size) c.decoder.push(stream.subarray(off, off + size));
        expect(c.decoder.pendingBytes).toBe(0);
        expect(c.events.map((e) => ({ ...e, num: 0 }))).toEqual(whole.events.map((e) => ({ ...e, num: 0 })));
      }),
      { numRuns: 40 },
    );
  });

  it('decodes the same events however the stream is chunked', () => {
    const stream = Buffer.concat([helloRecord(), execRecord(1), openatRecord(2, '/tmp/x', 0, 4), connectRecord(3)]);
    const whole = collect();
    whole.decoder.push(stream);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 8 }), (cuts) => {
        const c = collect();
        let prev = 0;
        for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
          c.decoder.push(stream.subarray(prev, cut));
          prev = cut;
        }
        c.decoder.push(stream.subarray(prev));
        expect(c.decoder.pendingBytes).toBe(0);
        expect(c.events.map((e) => ({ ...e, num: 0 }))).toEqual(whole.events.map((e) => ({ ...e, num: 0 })));
      }),
    );
  });

  it('throws InputError, and nothing else, on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const { decoder } = collect();
        try {
          decoder.push(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws InputError on a corrupted length or string size inside a valid record', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const rec = Buffer.concat([execRecord(5), openatRecord(6, '/a', 0, 1)]);
        rec[pos % rec.length] = byte;
        const { decoder } = collect();
        try {
          decoder.push(rec);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
    const short = execRecord(5);
    short.writeUInt16LE(4000, Exec.argsLen);
    expect(() => collect().decoder.push(short)).toThrow(/EXEC strings overrun/);
  });
});

describe('address and device formatting', () => {
  it('formats IPv6 as RFC 5952 text', () => {
    const v6 = (hex: string) => formatIpv6(Buffer.from(hex, 'hex'), 0);
    expect(v6('00000000000000000000000000000001')).toBe('::1');
    expect(v6('20010db8000000000000000000000001')).toBe('2001:db8::1');
    expect(v6('20010db8000100000001000000000001')).toBe('2001:db8:1:0:1::1');
    expect(v6('00000000000000000000ffff7f000001')).toBe('::ffff:127.0.0.1');
    expect(v6('fe800000000000000000000000000000')).toBe('fe80::');
  });

  it('re-encodes kernel dev_t the way stat(2) reports it', () => {
    expect(kernelDevToUser((8 << 20) | 1)).toBe(0x801);
    // glibc makedev(259, 0x12345): minor low byte, major << 8, minor high bits << 12.
    expect(kernelDevToUser((259 << 20) | 0x12345)).toBe(0x1231_0345);
  });
});
