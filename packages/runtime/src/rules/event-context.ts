// Per-event lazy view used by field extractors: derived strings (cmdline, args, flags) are built
// at most once per event and only if a rule asks for them. One instance is reused for every event.

import type { RuntimeAncestor, RuntimeEvent } from '@palisade/core';

/** Linux open(2) flag bits and the names Falco prints for them. */
const OPEN_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];

export function renderOpenFlags(flags: number): string {
  const acc = flags & 3;
  const parts = [acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_RDONLY'];
  for (const [bit, name] of OPEN_FLAG_NAMES) if (flags & bit) parts.push(name);
  return parts.join('|');
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  18: 'EXDEV',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  24: 'EMFILE',
  28: 'ENOSPC',
  30: 'EROFS',
  36: 'ENAMETOOLONG',
  38: 'ENOSYS',
  39: 'ENOTEMPTY',
  40: 'ELOOP',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  101: 'ENETUNREACH',
  104: 'ECONNRESET',
  110: 'ETIMEDOUT',
  111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH',
  114: 'EALREADY',
  115: 'EINPROGRESS',
};

/** Falco's evt.res: "SUCCESS" or the errno name of a negative return. */
export function renderResult(res: number): string {
  if (res >= 0) return 'SUCCESS';
  return ERRNO_NAMES[-res] ?? `E${-res}`;
}

const FD_TYPECHARS: Record<string, string> = {
  file: 'f',
  directory: 'd',
  ipv4: '4',
  ipv6: '6',
  unix: 'u',
  pipe: 'p',
  event: 'e',
  signalfd: 's',
  eventpoll: 'l',
  inotify: 'i',
  timerfd: 't',
  netlink: 'n',
  bpf: 'b',
  userfaultfd: 'u',
  io_uring: 'r',
  memfd: 'm',
  pidfd: 'P',
};

export function fdTypeChar(type: string): string {
  return FD_TYPECHARS[type] ?? 'o';
}

const NO_ANCESTORS: RuntimeAncestor[] = [];

export class EventContext {
  ev!: RuntimeEvent;
  /** Bumped per event; extractors that cache (see cachedPerEvent) compare against it. */
  generation = 0;
  private argsStr: string | undefined;
  private cmdlineStr: string | undefined;
  private pcmdlineStr: string | undefined;
  private ancestorList: RuntimeAncestor[] | undefined;

  reset(ev: RuntimeEvent): this {
    this.ev = ev;
    this.generation++;
    this.argsStr = undefined;
    this.cmdlineStr = undefined;
    this.pcmdlineStr = undefined;
    this.ancestorList = undefined;
    return this;
  }

  get ancestors(): RuntimeAncestor[] {
    if (this.ancestorList === undefined) {
      const ev = this.ev;
      this.ancestorList = ev.ancestors ?? (ev.parent ? [ev.parent] : NO_ANCESTORS);
    }
    return this.ancestorList;
  }

  get args(): string {
    if (this.argsStr === undefined) this.argsStr = this.ev.proc.args.join(' ');
    return this.argsStr;
  }

  get cmdline(): string {
    if (this.cmdlineStr === undefined) {
      const a = this.args;
      this.cmdlineStr = a ? `${this.ev.proc.comm} ${a}` : this.ev.proc.comm;
    }
    return this.cmdlineStr;
  }

  get pcmdline(): string | undefined {
    if (this.pcmdlineStr === undefined) {
      const p = this.ancestors[0];
      if (!p) return undefined;
      this.pcmdlineStr = ancestorCmdline(p);
    }
    return this.pcmdlineStr;
  }
}

export function ancestorCmdline(a: RuntimeAncestor): string {
  return a.args && a.args.length > 0 ? `${a.comm} ${a.args.join(' ')}` : a.comm;
}
