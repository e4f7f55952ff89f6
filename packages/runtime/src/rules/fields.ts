// The field registry: every Falco filter field the engine understands, mapped to its type and an
// extractor over RuntimeEvent. One visible Map; a field missing here is reported as unknown.

import type { RuntimeEvent, RuntimeNet } from '@palisade/core';
import { ancestorCmdline, type EventContext, fdTypeChar, renderOpenFlags, renderResult } from './event-context.js';

/** `ip` values are addresses; `ipnet` fields hold addresses but compare against CIDR networks. */
export type FieldType = 'string' | 'number' | 'bool' | 'ip' | 'ipnet' | 'bytes';
/** A scalar, missing (undefined), or several values of which any may match (proc.aname, fd.ip). */
export type FieldValue = string | number | boolean | undefined | readonly (string | number)[];
export type Extractor = (c: EventContext) => FieldValue;

export interface FieldDef {
  name: string;
  type: FieldType;
  /** none: `proc.name`; optional: `proc.aname` / `proc.aname[2]`; required: `proc.env[HOME]`. */
  arg: 'none' | 'optional' | 'required';
  /** Validates the argument and returns the extractor bound to it. */
  make: (arg: string | undefined) => Extractor;
}

type Def = Omit<FieldDef, 'name'>;

const plain = (type: FieldType, fn: Extractor): Def => ({ type, arg: 'none', make: () => fn });

export class FieldArgError extends Error {}

function ancestorIndex(arg: string | undefined, field: string): number | undefined {
  if (arg === undefined) return undefined;
  if (!/^\d+$/.test(arg)) throw new FieldArgError(`${field}[${arg}]: the argument must be a number`);
  return Number(arg);
}

/** Wraps an extractor so it computes at most once per event, however many rules read it. */
function cachedPerEvent<T>(fn: (c: EventContext) => T): (c: EventContext) => T {
  let generation = -1;
  let value: T;
  return (c) => {
    if (c.generation !== generation) {
      value = fn(c);
      generation = c.generation;
    }
    return value;
  };
}

/** `proc.aname[N]` style fields: N=0 is the process itself, 1 the parent; no index = any ancestor. */
function ancestorField(
  type: 'string' | 'number',
  self: (c: EventContext) => string | number | undefined,
  pick: (a: NonNullable<RuntimeEvent['ancestors']>[number]) => string | number | undefined,
): Def {
  // One shared, per-event cached list of all ancestors' values for every `proc.aname` in the ruleset.
  let anyAncestor: Extractor | undefined;
  return {
    type,
    arg: 'optional',
    make(arg) {
      const n = ancestorIndex(arg, 'ancestor field');
      if (n === undefined) {
        anyAncestor ??= cachedPerEvent((c) => {
          const list = c.ancestors;
          if (list.length === 0) return undefined;
          const out: (string | number)[] = [];
          for (const a of list) {
            const v = pick(a);
            if (v !== undefined) out.push(v);
          }
          return out;
        });
        return anyAncestor;
      }
      if (n === 0) return self;
      return (c) => {
        const a = c.ancestors[n - 1];
        return a ? pick(a) : undefined;
      };
    },
  };
}

function exepathOf(p: { exe?: string; exepath?: string }): string | undefined {
  return p.exepath ?? p.exe;
}

function isOpen(type: string): boolean {
  return type === 'open' || type === 'openat' || type === 'openat2' || type === 'open_by_handle_at' || type === 'creat';
}

function openFlags(ev: RuntimeEvent): number | undefined {
  return isOpen(ev.type) ? ev.fd?.openFlags : undefined;
}

function execFlags(ev: RuntimeEvent): string {
  const p = ev.proc;
  const parts: string[] = [];
  if (p.exeWritable) parts.push('EXE_WRITABLE');
  if (p.exeUpperLayer) parts.push('EXE_UPPER_LAYER');
  if (p.exeLowerLayer) parts.push('EXE_LOWER_LAYER');
  if (p.exeFromMemfd) parts.push('EXE_FROM_MEMFD');
  return parts.length ? parts.join('|') : '0';
}

/** evt.arg.NAME: the sensor's parameter, else derived from the typed parts of the event. */
function eventArg(ev: RuntimeEvent, name: string): string | undefined {
  const v = ev.params?.[name];
  if (v !== undefined) return typeof v === 'number' ? String(v) : v;
  switch (name) {
    case 'flags': {
      if (ev.type === 'execve' || ev.type === 'execveat') return execFlags(ev);
      const f = openFlags(ev);
      return f === undefined ? undefined : renderOpenFlags(f);
    }
    case 'name':
    case 'path':
    case 'filename':
      return ev.fd && (isOpen(ev.type) || name !== 'name') ? ev.fd.name : undefined;
    case 'fd':
      return ev.fd?.num === undefined ? undefined : String(ev.fd.num);
    case 'res':
      return ev.res === undefined ? undefined : String(ev.res);
    case 'tuple':
    case 'addr':
      return ev.net ? `${ev.net.saddr}:${ev.net.sport}->${ev.net.daddr}:${ev.net.dport}` : undefined;
    default:
      return undefined;
  }
}

function netRole(ev: RuntimeEvent, net: RuntimeNet): 'client' | 'server' {
  if (net.role) return net.role;
  return ev.type === 'accept' || ev.type === 'accept4' || ev.type === 'listen' || ev.type === 'bind'
    ? 'server'
    : 'client';
}

function fdType(ev: RuntimeEvent): string | undefined {
  if (ev.fd) return ev.fd.type;
  if (ev.net) return ev.net.daddr.includes(':') ? 'ipv6' : 'ipv4';
  return undefined;
}

function fdName(ev: RuntimeEvent): string | undefined {
  if (ev.fd?.name) return ev.fd.name;
  const n = ev.net;
  return n ? `${n.saddr}:${n.sport}->${n.daddr}:${n.dport}` : undefined;
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return p;
  return i === 0 ? '/' : p.slice(0, i);
}

function fdIsFile(ev: RuntimeEvent): boolean {
  const t = ev.fd?.type;
  return t === 'file' || t === 'directory' || t === 'memfd';
}

const net = (pick: (ev: RuntimeEvent, n: RuntimeNet) => string | number | undefined): Extractor => {
  return (c) => {
    const n = c.ev.net;
    return n ? pick(c.ev, n) : undefined;
  };
};

const local = (ev: RuntimeEvent, n: RuntimeNet) => (netRole(ev, n) === 'client' ? n.saddr : n.daddr);
const remote = (ev: RuntimeEvent, n: RuntimeNet) => (netRole(ev, n) === 'client' ? n.daddr : n.saddr);
const lport = (ev: RuntimeEvent, n: RuntimeNet) => (netRole(ev, n) === 'client' ? n.sport : n.dport);
const rport = (ev: RuntimeEvent, n: RuntimeNet) => (netRole(ev, n) === 'client' ? n.dport : n.sport);

function imageRepository(image: string): string {
  let s = image;
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  return colon > slash ? s.slice(0, colon) : s;
}

function imageTag(image: string): string | undefined {
  const s = image.split('@')[0]!;
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  return colon > slash ? s.slice(colon + 1) : undefined;
}

const capStr = (caps: string[] | undefined) => (caps ? caps.join(' ') : undefined);

const FIELD_DEFS: Record<string, Def> = {
  // evt.*
  'evt.type': plain('string', (c) => c.ev.type),
  'evt.dir': plain('string', (c) => c.ev.dir ?? '<'),
  'evt.num': plain('number', (c) => c.ev.num ?? 1),
  'evt.res': plain('string', (c) => renderResult(c.ev.res ?? 0)),
  'evt.rawres': plain('number', (c) => c.ev.res ?? 0),
  'evt.failed': plain('bool', (c) => (c.ev.res ?? 0) < 0),
  'evt.hostname': plain('string', (c) => c.ev.host),
  'evt.rawtime': plain('number', (c) => c.ev.ts),
  'evt.time': plain('string', (c) => formatClock(c.ev.ts)),
  'evt.time.iso8601': plain('string', (c) => formatIsoTime(c.ev.ts)),
  'evt.source': plain('string', () => 'syscall'),
  'evt.is_open_read': plain('bool', (c) => {
    const f = openFlags(c.ev);
    return f === undefined ? false : (f & 3) === 0 || (f & 3) === 2;
  }),
  'evt.is_open_write': plain('bool', (c) => {
    const f = openFlags(c.ev);
    return f === undefined ? false : (f & 3) === 1 || (f & 3) === 2;
  }),
  'evt.is_open_exec': plain('bool', (c) => (c.ev.params?.exec === undefined ? false : Boolean(c.ev.params.exec))),
  'evt.args': plain('string', (c) => {
    const p = c.ev.params;
    return p
      ? Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
  }),
  'evt.arg': {
    type: 'string',
    arg: 'required',
    make: (arg) => (c) => eventArg(c.ev, arg!),
  },
  'evt.rawarg': {
    type: 'number',
    arg: 'required',
    make: (arg) => (c) => {
      const v = c.ev.params?.[arg!];
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
      return undefined;
    },
  },
  'evt.buffer': plain('bytes', (c) => c.ev.bufferHex),
  // proc.* and thread.*
  'proc.name': plain('string', (c) => c.ev.proc.comm),
  'proc.exe': plain('string', (c) => c.ev.proc.exe),
  'proc.exepath': plain('string', (c) => exepathOf(c.ev.proc)),
  'proc.args': plain('string', (c) => c.args),
  'proc.cmdline': plain('string', (c) => c.cmdline),
  'proc.cmdnargs': plain('number', (c) => c.ev.proc.args.length),
  'proc.cmdlenargs': plain('number', (c) => c.args.length),
  'proc.pid': plain('number', (c) => c.ev.proc.pid),
  'proc.ppid': plain('number', (c) => c.ev.proc.ppid),
  'proc.vpid': plain('number', (c) => c.ev.proc.vpid ?? c.ev.proc.pid),
  'proc.sid': plain('number', (c) => c.ev.proc.sid),
  'proc.sname': plain('string', (c) => c.ev.proc.sname),
  'proc.vpgid': plain('number', (c) => c.ev.proc.vpgid ?? c.ev.proc.pgid),
  'proc.pgid': plain('number', (c) => c.ev.proc.pgid),
  'proc.vpgid.name': plain('string', (c) => c.ev.proc.vpgidName),
  'proc.vpgid.exe': plain('string', (c) => c.ev.proc.vpgidExe),
  'proc.is_vpgid_leader': plain('bool', (c) => {
    const p = c.ev.proc;
    const g = p.vpgid ?? p.pgid;
    return g === undefined ? undefined : g === (p.vpid ?? p.pid);
  }),
  'proc.is_sid_leader': plain('bool', (c) =>
    c.ev.proc.sid === undefined ? undefined : c.ev.proc.sid === c.ev.proc.pid,
  ),
  'proc.cwd': plain('string', (c) => c.ev.proc.cwd),
  'proc.loginshellid': plain('number', (c) => c.ev.proc.loginShellId),
  'proc.tty': plain('number', (c) => c.ev.proc.tty),
  'proc.duration': plain('number', (c) => (c.ev.proc.startTs === undefined ? undefined : c.ev.ts - c.ev.proc.startTs)),
  'proc.ppid.duration': plain('number', (c) => {
    const s = c.ancestors[0]?.startTs;
    return s === undefined ? undefined : c.ev.ts - s;
  }),
  'proc.pname': plain('string', (c) => c.ancestors[0]?.comm),
  'proc.pexe': plain('string', (c) => c.ancestors[0]?.exe),
  'proc.pexepath': plain('string', (c) => {
    const p = c.ancestors[0];
    return p ? exepathOf(p) : undefined;
  }),
  'proc.pcmdline': plain('string', (c) => c.pcmdline),
  'proc.aname': ancestorField(
    'string',
    (c) => c.ev.proc.comm,
    (a) => a.comm,
  ),
  'proc.apid': ancestorField(
    'number',
    (c) => c.ev.proc.pid,
    (a) => a.pid,
  ),
  'proc.aexe': ancestorField(
    'string',
    (c) => c.ev.proc.exe,
    (a) => a.exe,
  ),
  'proc.aexepath': ancestorField('string', (c) => exepathOf(c.ev.proc), exepathOf),
  'proc.acmdline': ancestorField('string', (c) => c.cmdline, ancestorCmdline),
  'proc.env': {
    type: 'string',
    arg: 'optional',
    make(arg) {
      if (arg === undefined) return (c) => c.ev.proc.env?.join(' ');
      const prefix = `${arg}=`;
      return (c) => c.ev.proc.env?.find((e) => e.startsWith(prefix))?.slice(prefix.length);
    },
  },
  'proc.is_exe_writable': plain('bool', (c) => c.ev.proc.exeWritable ?? false),
  'proc.is_exe_upper_layer': plain('bool', (c) => c.ev.proc.exeUpperLayer ?? false),
  'proc.is_exe_lower_layer': plain('bool', (c) => c.ev.proc.exeLowerLayer ?? false),
  'proc.is_exe_from_memfd': plain('bool', (c) => c.ev.proc.exeFromMemfd ?? false),
  'proc.exe_ino': plain('number', (c) => c.ev.proc.exeIno),
  'proc.exe_ino.ctime': plain('number', (c) => c.ev.proc.exeInoCtime),
  'proc.exe_ino.mtime': plain('number', (c) => c.ev.proc.exeInoMtime),
  'proc.exe_ino.ctime_duration_proc_start': plain('number', (c) => {
    const p = c.ev.proc;
    return p.startTs === undefined || p.exeInoCtime === undefined ? undefined : p.startTs - p.exeInoCtime;
  }),
  'proc.exe_nlink': plain('number', (c) => c.ev.proc.exeNlink),
  'proc.is_container_healthcheck': plain('bool', () => false),
  'proc.is_container_liveness_probe': plain('bool', () => false),
  'proc.is_container_readiness_probe': plain('bool', () => false),
  'thread.tid': plain('number', (c) => c.ev.proc.pid),
  'thread.vtid': plain('number', (c) => c.ev.proc.vpid ?? c.ev.proc.pid),
  'thread.cap_effective': plain('string', (c) => capStr(c.ev.proc.capEffective)),
  'thread.cap_permitted': plain('string', (c) => capStr(c.ev.proc.capPermitted)),
  'thread.cap_inheritable': plain('string', (c) => capStr(c.ev.proc.capInheritable)),
  // user.* and group.*
  'user.uid': plain('number', (c) => c.ev.proc.uid),
  'user.name': plain('string', (c) => c.ev.proc.userName),
  'user.loginuid': plain('number', (c) => c.ev.proc.loginUid ?? -1),
  'user.loginname': plain('string', (c) => c.ev.proc.loginName),
  'user.homedir': plain('string', (c) => c.ev.proc.homedir),
  'user.shell': plain('string', (c) => c.ev.proc.shell),
  'group.gid': plain('number', (c) => c.ev.proc.gid),
  'group.name': plain('string', (c) => c.ev.proc.groupName),
  // fd.*
  'fd.num': plain('number', (c) => {
    const fd = c.ev.fd;
    if (!fd) return undefined;
    if (fd.num !== undefined) return fd.num;
    const res = c.ev.res ?? 0;
    return isOpen(c.ev.type) ? (res < 0 ? -1 : res) : undefined;
  }),
  'fd.name': plain('string', (c) => fdName(c.ev)),
  'fd.nameraw': plain('string', (c) => c.ev.fd?.nameraw ?? c.ev.fd?.name),
  'fd.type': plain('string', (c) => fdType(c.ev)),
  'fd.typechar': plain('string', (c) => {
    const t = fdType(c.ev);
    return t === undefined ? undefined : fdTypeChar(t);
  }),
  'fd.directory': plain('string', (c) => {
    const fd = c.ev.fd;
    if (!fd || !fdIsFile(c.ev)) return undefined;
    return fd.type === 'directory' ? fd.name : dirname(fd.name);
  }),
  'fd.filename': plain('string', (c) => {
    const fd = c.ev.fd;
    if (!fd || !fdIsFile(c.ev) || fd.type === 'directory') return undefined;
    return fd.name.slice(fd.name.lastIndexOf('/') + 1);
  }),
  'fd.connected': plain('bool', (c) => c.ev.fd?.connected ?? (c.ev.net ? true : undefined)),
  'fd.name_changed': plain('bool', (c) => c.ev.fd?.nameChanged ?? false),
  'fd.l4proto': plain(
    'string',
    net((_, n) => n.proto),
  ),
  'fd.sockfamily': plain(
    'string',
    net((_, n) => n.family ?? 'ip'),
  ),
  'fd.cip': plain(
    'ip',
    net((_, n) => n.saddr),
  ),
  'fd.sip': plain(
    'ip',
    net((_, n) => n.daddr),
  ),
  'fd.lip': plain('ip', net(local)),
  'fd.rip': plain('ip', net(remote)),
  'fd.cport': plain(
    'number',
    net((_, n) => n.sport),
  ),
  'fd.sport': plain(
    'number',
    net((_, n) => n.dport),
  ),
  'fd.lport': plain('number', net(lport)),
  'fd.rport': plain('number', net(rport)),
  'fd.cnet': plain(
    'ipnet',
    net((_, n) => n.saddr),
  ),
  'fd.snet': plain(
    'ipnet',
    net((_, n) => n.daddr),
  ),
  'fd.lnet': plain('ipnet', net(local)),
  'fd.rnet': plain('ipnet', net(remote)),
  'fd.ip': plain('ip', (c) => (c.ev.net ? [c.ev.net.saddr, c.ev.net.daddr] : undefined)),
  'fd.net': plain('ipnet', (c) => (c.ev.net ? [c.ev.net.saddr, c.ev.net.daddr] : undefined)),
  'fd.port': plain('number', (c) => (c.ev.net ? [c.ev.net.sport, c.ev.net.dport] : undefined)),
  'fd.cip.name': plain(
    'string',
    net((_, n) => n.sname),
  ),
  'fd.sip.name': plain(
    'string',
    net((_, n) => n.dname),
  ),
  'fd.lip.name': plain(
    'string',
    net((ev, n) => (netRole(ev, n) === 'client' ? n.sname : n.dname)),
  ),
  'fd.rip.name': plain(
    'string',
    net((ev, n) => (netRole(ev, n) === 'client' ? n.dname : n.sname)),
  ),
  'fd.is_server': plain('bool', (c) => (c.ev.net ? netRole(c.ev, c.ev.net) === 'server' : undefined)),
  // container.*
  'container.id': plain('string', (c) => c.ev.container?.id ?? 'host'),
  'container.name': plain('string', (c) => c.ev.container?.name ?? 'host'),
  'container.image': plain('string', (c) => c.ev.container?.image),
  'container.image.repository': plain('string', (c) => {
    const ct = c.ev.container;
    return ct ? (ct.imageRepository ?? imageRepository(ct.image)) : undefined;
  }),
  'container.image.tag': plain('string', (c) => {
    const ct = c.ev.container;
    return ct ? (ct.imageTag ?? imageTag(ct.image)) : undefined;
  }),
  'container.image.digest': plain('string', (c) => c.ev.container?.imageDigest),
  'container.image.id': plain('string', (c) => c.ev.container?.imageId),
  'container.labels': plain('string', (c) => {
    const l = c.ev.container?.labels;
    return l
      ? Object.entries(l)
          .map(([k, v]) => `${k}:${v}`)
          .join(', ')
      : undefined;
  }),
  'container.label': {
    type: 'string',
    arg: 'required',
    make: (arg) => (c) => c.ev.container?.labels?.[arg!],
  },
  'container.type': plain('string', (c) => c.ev.container?.runtime ?? 'host'),
  'container.privileged': plain('bool', (c) => c.ev.container?.privileged),
  'container.start_ts': plain('number', (c) => c.ev.container?.startTs),
  'container.duration': plain('number', (c) => {
    const s = c.ev.container?.startTs;
    return s === undefined ? undefined : c.ev.ts - s;
  }),
  'container.mounts': plain('string', (c) =>
    c.ev.container?.mounts
      ?.map((m) => `${m.source}:${m.dest}:${m.mode ?? ''}:${m.rdwr ?? ''}:${m.propagation ?? ''}`)
      .join(','),
  ),
  'container.mount.dest': {
    type: 'string',
    arg: 'optional',
    make(arg) {
      if (arg === undefined) return (c) => c.ev.container?.mounts?.map((m) => m.dest);
      return (c) => c.ev.container?.mounts?.find((m) => m.source === arg)?.dest;
    },
  },
  'container.mount.source': {
    type: 'string',
    arg: 'optional',
    make(arg) {
      if (arg === undefined) return (c) => c.ev.container?.mounts?.map((m) => m.source);
      return (c) => c.ev.container?.mounts?.find((m) => m.dest === arg)?.source;
    },
  },
  // k8s.*
  'k8s.ns.name': plain('string', (c) => c.ev.k8s?.namespace),
  'k8s.pod.name': plain('string', (c) => c.ev.k8s?.pod),
  'k8s.pod.uid': plain('string', (c) => c.ev.k8s?.podUid),
  // Falco's older name for the pod uid.
  'k8s.pod.id': plain('string', (c) => c.ev.k8s?.podUid),
  'k8s.pod.sandbox_id': plain('string', (c) => c.ev.k8s?.sandboxId?.slice(0, 12)),
  'k8s.pod.full_sandbox_id': plain('string', (c) => c.ev.k8s?.sandboxId),
  'k8s.pod.labels': plain('string', (c) => {
    const l = c.ev.k8s?.labels;
    return l
      ? Object.entries(l)
          .map(([k, v]) => `${k}:${v}`)
          .join(', ')
      : undefined;
  }),
  'k8s.pod.label': {
    type: 'string',
    arg: 'required',
    make: (arg) => (c) => c.ev.k8s?.labels[arg!],
  },
};

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(
  Object.entries(FIELD_DEFS).map(([name, d]) => [name, { name, ...d }]),
);

/** Fields that can yield several values (any may match); every other field yields one or none. */
const MULTI_ALWAYS = new Set(['fd.ip', 'fd.net', 'fd.port']);
const MULTI_WITHOUT_ARG = new Set([
  'proc.aname',
  'proc.apid',
  'proc.aexe',
  'proc.aexepath',
  'proc.acmdline',
  'container.mount.dest',
  'container.mount.source',
]);

export function isMultiValued(name: string, arg: string | undefined): boolean {
  return MULTI_ALWAYS.has(name) || (arg === undefined && MULTI_WITHOUT_ARG.has(name));
}

/** Falco writes `evt.arg.flags` as well as `evt.arg[flags]`; both name field evt.arg with an argument. */
const DOTTED_ARG_FIELDS = ['evt.arg.', 'evt.rawarg.'];

export interface ResolvedField {
  def: FieldDef;
  arg: string | undefined;
  /** The canonical spelling, used as the output_fields key. */
  key: string;
}

/** Looks a field up; returns undefined when unknown, throws FieldArgError on a bad argument. */
export function resolveField(name: string, arg: string | undefined): ResolvedField | undefined {
  let def = FIELDS.get(name);
  let a = arg;
  if (!def) {
    const prefix = DOTTED_ARG_FIELDS.find((p) => name.startsWith(p));
    if (!prefix || arg !== undefined) return undefined;
    def = FIELDS.get(prefix.slice(0, -1));
    a = name.slice(prefix.length);
    if (!def || !a) return undefined;
  }
  if (def.arg === 'none' && a !== undefined) throw new FieldArgError(`field ${name} takes no argument`);
  if (def.arg === 'required' && a === undefined) throw new FieldArgError(`field ${name} requires an argument`);
  if (
    def.name === 'proc.aname' ||
    def.name === 'proc.apid' ||
    def.name === 'proc.aexe' ||
    def.name === 'proc.aexepath'
  ) {
    ancestorIndex(a, name);
  }
  return { def, arg: a, key: arg === undefined ? name : `${name}[${arg}]` };
}

/** "HH:MM:SS.nnnnnnnnn" in UTC, the clock Falco prefixes to each output line. */
export function formatClock(tsNs: number): string {
  return formatIsoTime(tsNs).slice(11, 29);
}

/** ISO 8601 with nanoseconds from a nanosecond epoch timestamp. */
export function formatIsoTime(tsNs: number): string {
  // `%` on doubles is exact, unlike `ts - ms * 1e6`, so the sub-millisecond digits survive.
  const ns = ((tsNs % 1e6) + 1e6) % 1e6;
  const ms = Math.round((tsNs - ns) / 1e6);
  // Alerts come in bursts within one second; reuse the formatted date-time up to the seconds.
  const sec = Math.floor(ms / 1000);
  if (sec !== lastIsoSecond) {
    lastIsoSecond = sec;
    lastIsoPrefix = new Date(sec * 1000).toISOString().slice(0, 20); // 2026-11-27T03:40:00.
  }
  const frac = (ms - sec * 1000) * 1e6 + ns;
  return `${lastIsoPrefix}${String(frac).padStart(9, '0')}Z`;
}
let lastIsoSecond = Number.NaN;
let lastIsoPrefix = '';
