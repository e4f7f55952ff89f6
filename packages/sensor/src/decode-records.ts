// Decodes palisade-sensor's binary stdout stream into RuntimeEvents plus the loader's HELLO, STATS
// and ACK records. Kept cheap on purpose: no name resolution, no path normalisation, no lookups.

import path from 'node:path';
import {
  formatIpv4,
  formatIpv6,
  InputError,
  type RuntimeEvent,
  type RuntimeFd,
  type RuntimeNet,
  type RuntimeProcess,
} from '@palisade/core';
import {
  Ack,
  Addr,
  EXE_MEMFD,
  EXE_OVERLAY,
  EXE_UPPER,
  Exec,
  Fork,
  HDR_TRUNCATED,
  Hdr,
  Hello,
  RecordType,
  Stats,
  Syscall,
} from './record-layout.js';
import { PTRACE_REQUESTS, SYSCALL_NAMES } from './syscall-table.js';

// Address formatting lives in core (shared with the network and scanner packages).
export { formatIpv4, formatIpv6 } from '@palisade/core';

/** The loader's greeting, first on every stream. */
export interface SensorHello {
  version: number;
  ncpu: number;
  sensorPid: number;
  /** Add to a CLOCK_BOOTTIME timestamp to get nanoseconds since the Unix epoch. */
  bootToEpochNs: number;
}

/** One periodic (or requested) counter snapshot from the loader and the kernel. */
export interface SensorStatsRecord {
  ts: number;
  polls: number;
  bytesOut: number;
  eventsPerCpu: number[];
  dropsPerCpu: number[];
  events: number;
  drops: number;
}

export interface SensorRecordSink {
  event(ev: RuntimeEvent): void;
  hello(hello: SensorHello): void;
  stats(stats: SensorStatsRecord): void;
  ack(seq: number): void;
}

const MAX_RECORD = 16384;
const AT_FDCWD = -100;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const O_DIRECTORY = 0o200000;
const EINPROGRESS = -115;
const TWO_32 = 4294967296;

function u64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32;
}

/** Signed 64-bit as a number; exact for every value a syscall returns. */
function s64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readInt32LE(off + 4) * TWO_32;
}

/** A kernel dev_t (major << 20 | minor) in the encoding stat(2) and /proc use. */
export function kernelDevToUser(dev: number): number {
  const major = dev >>> 20;
  const minor = dev & 0xfffff;
  return (minor & 0xff) + (major & 0xfff) * 256 + (minor & ~0xff) * 4096 + Math.floor(major / 4096) * TWO_32;
}

function cString(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul >= 0 && nul < end ? nul : end);
}

/** NUL-separated strings (argv); a trailing NUL does not make an empty last element. */
function cStrings(buf: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  let s = start;
  while (s < end) {
    let e = buf.indexOf(0, s);
    if (e < 0 || e > end) e = end;
    out.push(buf.toString('utf8', s, e));
    s = e + 1;
  }
  return out;
}

/** Directories arrive as their components from the leaf up. */
function pathFromComponents(buf: Buffer, start: number, end: number): string {
  if (end <= start) return '/';
  return `/${cStrings(buf, start, end).reverse().join('/')}`;
}

/** RFC 5952 text form: lower-case, longest zero run compressed, IPv4-mapped kept dotted. */

/** The length field of the record at `off`, checked against the protocol's bounds. */
function recordLength(buf: Buffer, off: number): number {
  const len = buf.readUInt16LE(off + Hdr.len);
  if (len < Hdr.size || len > MAX_RECORD) {
    throw new InputError(`palisade-sensor stream: record at byte ${off} claims length ${len}`);
  }
  return len;
}

export class SensorStreamDecoder {
  private rest: Buffer | undefined;
  private bootToEpochNs = 0;
  private seq = 0;

  constructor(
    private readonly sink: SensorRecordSink,
    private readonly host: string,
  ) {}

  /** Bytes of an incomplete record held back for the next chunk. */
  get pendingBytes(): number {
    return this.rest?.length ?? 0;
  }

  /** Feeds a chunk of the stream; throws InputError on a corrupt stream (the caller restarts). */
  push(chunk: Buffer): void {
    const buf = chunk;
    let off = 0;
    const rest = this.rest;
    if (rest) {
      // Copy only the record split across the chunk boundary, not the whole new chunk (64 KiB per
      // read from the pipe): joined with at most MAX_RECORD bytes of the chunk it is complete
      // unless the chunk was shorter than that, in which case `joined` holds all of it.
      const joined = Buffer.concat([rest, chunk.subarray(0, MAX_RECORD)]);
      if (joined.length < Hdr.size) {
        this.rest = joined;
        return;
      }
      const len = recordLength(joined, 0);
      if (joined.length < len) {
        this.rest = joined;
        return;
      }
      this.rest = undefined;
      this.decodeRecord(len === joined.length ? joined : joined.subarray(0, len));
      off = len - rest.length;
    }
    while (buf.length - off >= Hdr.size) {
      const len = recordLength(buf, off);
      if (buf.length - off < len) break;
      this.decodeRecord(off === 0 && len === buf.length ? buf : buf.subarray(off, off + len));
      off += len;
    }
    if (off < buf.length) this.rest = Buffer.from(buf.subarray(off));
  }

  private decodeRecord(rec: Buffer): void {
    const type = rec.readUInt16LE(Hdr.type);
    switch (type) {
      case RecordType.exec:
        this.sink.event(this.decodeExec(rec));
        return;
      case RecordType.fork:
        this.sink.event(this.decodeFork(rec));
        return;
      case RecordType.exit:
        this.sink.event(this.base(rec, 'procexit', { status: s64(rec, Hdr.ret) }));
        return;
      case RecordType.syscall: {
        const ev = this.decodeSyscall(rec);
        if (ev) this.sink.event(ev);
        return;
      }
      case RecordType.hello:
        this.decodeHello(rec);
        return;
      case RecordType.stats:
        this.sink.stats(this.decodeStats(rec));
        return;
      case RecordType.ack:
        need(rec, Ack.size, 'ACK');
        this.sink.ack(u64(rec, Ack.seq));
        return;
      default:
        throw new InputError(`palisade-sensor stream: unknown record type ${type}`);
    }
  }

  private proc(rec: Buffer): RuntimeProcess {
    return {
      pid: rec.readUInt32LE(Hdr.pid),
      ppid: rec.readUInt32LE(Hdr.ppid),
      uid: rec.readUInt32LE(Hdr.uid),
      gid: rec.readUInt32LE(Hdr.gid),
      exe: '',
      comm: cString(rec, Hdr.comm, Hdr.comm + 16),
      args: [],
      cwd: '',
      tty: 0,
      tid: rec.readUInt32LE(Hdr.tid),
      cgroupId: u64(rec, Hdr.cgroupId),
    };
  }

  private base(rec: Buffer, type: string, params?: Record<string, string | number>): RuntimeEvent {
    const ev: RuntimeEvent = {
      ts: u64(rec, Hdr.tsBootNs) + this.bootToEpochNs,
      host: this.host,
      type,
      proc: this.proc(rec),
      num: ++this.seq,
      res: s64(rec, Hdr.ret),
    };
    if (params) ev.params = params;
    if (rec.readUInt32LE(Hdr.flags) & HDR_TRUNCATED) ev.truncated = true;
    return ev;
  }

  private decodeExec(rec: Buffer): RuntimeEvent {
    need(rec, Exec.strings, 'EXEC');
    const fnLen = rec.readUInt16LE(Exec.filenameLen);
    const argsLen = rec.readUInt16LE(Exec.argsLen);
    const cwdLen = rec.readUInt16LE(Exec.cwdLen);
    const exepathLen = rec.readUInt16LE(Exec.exepathLen);
    const fnEnd = Exec.strings + fnLen;
    const argsEnd = fnEnd + argsLen;
    const cwdEnd = argsEnd + cwdLen;
    const exepathEnd = cwdEnd + exepathLen;
    if (exepathEnd > rec.length) throw new InputError('palisade-sensor stream: EXEC strings overrun the record');
    const filename = cString(rec, Exec.strings, fnEnd);
    const argv = cStrings(rec, fnEnd, argsEnd);
    const flags = rec.readUInt32LE(Exec.exeFlags);
    const ev = this.base(rec, 'execve', { filename });
    const p = ev.proc;
    p.exe = argv[0] ?? filename;
    p.args = argv.slice(1);
    // The kernel's path of the file actually mapped (symlinks resolved); a memfd has none.
    p.exepath = exepathLen > 0 ? pathFromComponents(rec, cwdEnd, exepathEnd) : filename;
    p.cwd = pathFromComponents(rec, argsEnd, cwdEnd);
    p.tty = kernelDevToUser(rec.readUInt32LE(Exec.tty));
    p.exeIno = u64(rec, Exec.exeIno);
    p.exeDev = kernelDevToUser(rec.readUInt32LE(Exec.exeDev));
    p.exeNlink = rec.readUInt32LE(Exec.exeNlink);
    p.exeUpperLayer = (flags & EXE_UPPER) !== 0;
    p.exeLowerLayer = (flags & EXE_OVERLAY) !== 0 && (flags & EXE_UPPER) === 0;
    p.exeFromMemfd = (flags & EXE_MEMFD) !== 0;
    p.loginUid = rec.readInt32LE(Exec.loginUid);
    p.vpid = rec.readUInt32LE(Exec.vpid);
    return ev;
  }

  private decodeFork(rec: Buffer): RuntimeEvent {
    need(rec, Fork.size, 'FORK');
    return this.base(rec, 'clone', { child_pid: rec.readUInt32LE(Fork.childPid) });
  }

  private decodeHello(rec: Buffer): void {
    need(rec, Hello.size, 'HELLO');
    const hello: SensorHello = {
      bootToEpochNs: s64(rec, Hello.bootToEpochNs),
      version: rec.readUInt32LE(Hello.version),
      ncpu: rec.readUInt32LE(Hello.ncpu),
      sensorPid: rec.readUInt32LE(Hello.sensorPid),
    };
    this.bootToEpochNs = hello.bootToEpochNs;
    this.sink.hello(hello);
  }

  private decodeStats(rec: Buffer): SensorStatsRecord {
    need(rec, Stats.pairs, 'STATS');
    const ncpu = rec.readUInt32LE(Stats.ncpu);
    need(rec, Stats.pairs + ncpu * 16, 'STATS');
    const eventsPerCpu: number[] = [];
    const dropsPerCpu: number[] = [];
    let events = 0;
    let drops = 0;
    for (let i = 0; i < ncpu; i++) {
      const e = u64(rec, Stats.pairs + i * 16);
      const d = u64(rec, Stats.pairs + i * 16 + 8);
      eventsPerCpu.push(e);
      dropsPerCpu.push(d);
      events += e;
      drops += d;
    }
    return {
      ts: u64(rec, Hdr.tsBootNs) + this.bootToEpochNs,
      polls: u64(rec, Stats.polls),
      bytesOut: u64(rec, Stats.bytesOut),
      eventsPerCpu,
      dropsPerCpu,
      events,
      drops,
    };
  }

  private decodeSyscall(rec: Buffer): RuntimeEvent | undefined {
    need(rec, Syscall.strings, 'SYSCALL');
    const nr = rec.readUInt32LE(Syscall.nr);
    const name = SYSCALL_NAMES.get(nr);
    if (!name) throw new InputError(`palisade-sensor stream: unknown syscall number ${nr}`);
    const s1End = Syscall.strings + rec.readUInt16LE(Syscall.str1Len);
    const s2End = s1End + rec.readUInt16LE(Syscall.str2Len);
    const dirEnd = s2End + rec.readUInt16LE(Syscall.dirLen);
    const hasAddr = rec.readUInt16LE(Syscall.hasAddr) !== 0;
    if (dirEnd + (hasAddr ? Addr.size : 0) > rec.length) {
      throw new InputError(`palisade-sensor stream: ${name} strings overrun the record`);
    }
    const raw1 = cString(rec, Syscall.strings, s1End);
    // A relative path comes with the directory it was relative to; rules want it absolute.
    const dir = dirEnd > s2End ? pathFromComponents(rec, s2End, dirEnd) : undefined;
    const str1 = dir !== undefined && raw1 !== '' ? path.posix.resolve(dir, raw1) : raw1;
    const a0 = u64(rec, Syscall.arg0);
    const a1 = u64(rec, Syscall.arg1);
    const a2 = u64(rec, Syscall.arg2);
    const fd0 = rec.readInt32LE(Syscall.arg0);
    const ev = this.base(rec, name);
    const res = ev.res ?? 0;
    switch (name) {
      case 'open':
      case 'creat':
      case 'openat':
      case 'openat2': {
        const flags = rec.readUInt32LE(Syscall.arg1);
        const fd: RuntimeFd = {
          name: str1,
          nameraw: raw1,
          type: flags & O_DIRECTORY ? 'directory' : 'file',
          openFlags: flags,
        };
        if (res >= 0) fd.num = res;
        ev.fd = fd;
        ev.params = { name: str1, flags, mode: a2 };
        if (fd0 !== AT_FDCWD) ev.params.dirfd = fd0;
        return ev;
      }
      case 'write':
      case 'pwrite':
      case 'writev':
      case 'pwritev':
      case 'pwritev2':
      case 'sendfile':
      case 'splice':
      case 'copy_file_range': {
        // The first write of the process to this open regular file (the kernel drops the rest);
        // the path is the kernel's, absolute within the process's root, or memfd:NAME. Taken at
        // syscall entry, so there is no result.
        const fd: RuntimeFd = { name: raw1, type: raw1.startsWith('memfd:') ? 'memfd' : 'file', num: fd0 };
        delete ev.res;
        ev.fd = fd;
        ev.params = { fd: fd0, size: a1 };
        if (name === 'pwrite' || name === 'pwritev' || name === 'pwritev2') ev.params.pos = a2;
        if (name === 'writev' || name === 'pwritev' || name === 'pwritev2') ev.params.iovcnt = u64(rec, Syscall.arg3);
        else if (name !== 'write' && name !== 'pwrite') ev.params.in_fd = rec.readInt32LE(Syscall.arg3);
        return ev;
      }
      case 'unlink':
        ev.params = { path: str1 };
        return ev;
      case 'unlinkat':
        ev.params = { dirfd: fd0, name: str1, flags: a1 };
        return ev;
      case 'chmod':
        ev.params = { filename: str1, mode: a1 };
        return ev;
      case 'fchmodat':
      case 'fchmodat2':
        ev.params = { dirfd: fd0, filename: str1, mode: a1 };
        return ev;
      case 'fchmod':
        ev.params = { fd: fd0, mode: a1 };
        return ev;
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        const newdirfd = rec.readInt32LE(Syscall.arg1);
        const rawNew = cString(rec, s1End, s2End);
        // The kernel sends the old path's directory; it serves the new one when both share a dirfd.
        const newpath =
          dir !== undefined && newdirfd === fd0 && rawNew !== '' ? path.posix.resolve(dir, rawNew) : rawNew;
        ev.params =
          name === 'rename'
            ? { oldpath: str1, newpath }
            : { olddirfd: fd0, oldpath: str1, newdirfd, newpath, flags: a2 };
        return ev;
      }
      case 'connect':
      case 'accept':
      case 'accept4':
      case 'bind':
      case 'listen':
        decodeSocketCall(ev, name, rec, hasAddr ? dirEnd : undefined, fd0, a1, str1);
        return ev;
      case 'setuid':
        ev.params = { uid: rec.readUInt32LE(Syscall.arg0) };
        return ev;
      case 'setgid':
        ev.params = { gid: rec.readUInt32LE(Syscall.arg0) };
        return ev;
      case 'setreuid':
        ev.params = { ruid: rec.readUInt32LE(Syscall.arg0), euid: rec.readUInt32LE(Syscall.arg1) };
        return ev;
      case 'setregid':
        ev.params = { rgid: rec.readUInt32LE(Syscall.arg0), egid: rec.readUInt32LE(Syscall.arg1) };
        return ev;
      case 'setresuid':
        ev.params = {
          ruid: rec.readUInt32LE(Syscall.arg0),
          euid: rec.readUInt32LE(Syscall.arg1),
          suid: rec.readUInt32LE(Syscall.arg2),
        };
        return ev;
      case 'setresgid':
        ev.params = {
          rgid: rec.readUInt32LE(Syscall.arg0),
          egid: rec.readUInt32LE(Syscall.arg1),
          sgid: rec.readUInt32LE(Syscall.arg2),
        };
        return ev;
      case 'capset':
        ev.params = { cap_effective: a0, cap_permitted: a1, cap_inheritable: a2 };
        return ev;
      case 'ptrace':
        ev.params = {
          request: PTRACE_REQUESTS.get(a0) ?? String(a0),
          pid: rec.readInt32LE(Syscall.arg1),
          addr: a2,
          data: u64(rec, Syscall.arg3),
        };
        return ev;
      case 'init_module':
        ev.params = { length: a0, uargs: str1 };
        return ev;
      case 'finit_module':
        ev.params = { fd: fd0, uargs: str1, flags: a1 };
        return ev;
      case 'memfd_create':
        ev.params = { name: str1, flags: a0 };
        ev.fd = { name: `memfd:${str1}`, type: 'memfd' };
        if (res >= 0) ev.fd.num = res;
        return ev;
      case 'mount': {
        const [dir = '', fstype = ''] = cStrings(rec, s1End, s2End);
        ev.params = { dev: str1, dir, type: fstype, flags: a0 };
        return ev;
      }
      case 'setns':
        ev.params = { fd: fd0, nstype: a1 };
        return ev;
      case 'unshare':
        ev.params = { flags: a0 };
        return ev;
      default:
        return undefined;
    }
  }
}

function need(rec: Buffer, len: number, what: string): void {
  if (rec.length < len) throw new InputError(`palisade-sensor stream: ${what} record of ${rec.length} bytes is short`);
}

function ipAt(rec: Buffer, off: number, family: number): string {
  return family === AF_INET6 ? formatIpv6(rec, off) : formatIpv4(rec, off);
}

/** connect/accept/bind/listen: fd and net, with the client side in s* and the server in d*. */
function decodeSocketCall(
  ev: RuntimeEvent,
  name: string,
  rec: Buffer,
  addrOff: number | undefined,
  fd0: number,
  a1: number,
  unixPath: string,
): void {
  const res = ev.res ?? 0;
  const isAccept = name === 'accept' || name === 'accept4';
  ev.params = isAccept ? { fd: res } : { fd: fd0 };
  if (name === 'listen') ev.params.backlog = a1;
  // No address block (the kernel could not read one): the call, without its endpoints.
  if (addrOff === undefined) return;
  const family = rec.readUInt16LE(addrOff + Addr.family);
  const lport = rec.readUInt16LE(addrOff + Addr.lport);
  const rport = rec.readUInt16LE(addrOff + Addr.rport);
  const protoNum = rec[addrOff + Addr.proto];
  if (family === AF_UNIX) {
    ev.fd = { name: unixPath, type: 'unix', num: isAccept ? res : fd0 };
    ev.params.addr = unixPath;
    return;
  }
  if (family !== AF_INET && family !== AF_INET6) return;
  const laddr = ipAt(rec, addrOff + Addr.laddr, family);
  const raddr = ipAt(rec, addrOff + Addr.raddr, family);
  const proto = protoNum === 6 ? 'tcp' : protoNum === 17 ? 'udp' : protoNum === 0 ? '' : String(protoNum);
  const familyName = family === AF_INET6 ? 'ipv6' : 'ipv4';
  const client = name === 'connect';
  const net: RuntimeNet = client
    ? { proto, saddr: laddr, sport: lport, daddr: raddr, dport: rport, role: 'client', family: familyName }
    : isAccept
      ? { proto, saddr: raddr, sport: rport, daddr: laddr, dport: lport, role: 'server', family: familyName }
      : { proto, saddr: '', sport: 0, daddr: laddr, dport: lport, role: 'server', family: familyName };
  ev.net = net;
  const v6 = family === AF_INET6;
  const ep = (a: string, p: number) => (v6 ? `[${a}]:${p}` : `${a}:${p}`);
  const fd: RuntimeFd = {
    name: client || isAccept ? `${ep(net.saddr, net.sport)}->${ep(net.daddr, net.dport)}` : ep(net.daddr, net.dport),
    type: familyName,
    connected: client ? res === 0 || res === EINPROGRESS : isAccept && res >= 0,
  };
  const num = isAccept ? res : fd0;
  if (num >= 0) fd.num = num;
  ev.fd = fd;
  ev.params.addr = client ? ep(raddr, rport) : ep(laddr, lport);
}
