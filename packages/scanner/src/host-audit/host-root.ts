// The audited system as checks see it: a root directory (`/`, a mounted image or VM disk) read
// through cached, read-only accessors. All host-audit I/O happens here; checks stay pure.

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import {
  type GroupEntry,
  type PasswdEntry,
  parseGroup,
  parsePasswd,
  parseShadow,
  type ShadowEntry,
} from './parsers/account-files.js';
import { type ModprobeDirective, parseModprobeConfig } from './parsers/modprobe-config.js';
import { parseSshdConfig, type SshdConfig } from './parsers/sshd-config.js';
import { parseSysctlConfig } from './parsers/sysctl-config.js';

export interface HostRootOptions {
  /** Force container mode on or off; detected from the root when absent. */
  container?: boolean;
  /** Stop the file-system walk (world-writable, unowned, SUID checks) after this many entries. */
  maxWalkEntries?: number;
}

export interface ContainerInfo {
  container: boolean;
  evidence: string;
}

export interface SysctlValue {
  value: string;
  file: string;
  line?: number;
  /** "live" from /proc/sys, "configured" from sysctl.d files when no live kernel is visible. */
  source: 'live' | 'configured';
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  options: Set<string>;
  file: string;
  line: number;
}

export interface WalkFinding {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  isDir: boolean;
}

export interface WalkResult {
  worldWritable: WalkFinding[];
  unowned: WalkFinding[];
  setid: WalkFinding[];
  /** Entries looked at (JavaScript walk only; GNU find does not count). */
  entries?: number;
  truncated: boolean;
  /** "find" when GNU find did the walk, "node" for the built-in walk. */
  walker: 'find' | 'node';
}

const MAX_TEXT_BYTES = 8 * 1024 * 1024;
const MAX_SYMLINK_HOPS = 16;
/** File systems with no files worth auditing (kernel views) or not ours to audit (network, FUSE). */
const SKIPPED_FS = new Set([
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'devtmpfs',
  'devpts',
  'mqueue',
  'tracefs',
  'debugfs',
  'securityfs',
  'pstore',
  'bpf',
  'fusectl',
  'configfs',
  'hugetlbfs',
  'autofs',
  'binfmt_misc',
  'nsfs',
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'sshfs',
  '9p',
]);
const SKIPPED_DIRS = ['/proc', '/sys', '/dev'];
const FIND = '/usr/bin/find';
const CONTAINER_CGROUP = /(docker|kubepods|containerd|libpod|lxc|crio)/;

export class HostRoot {
  readonly root: string;
  private readonly opts: HostRootOptions;
  private readonly texts = new Map<string, Promise<string | undefined>>();
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(root: string, opts: HostRootOptions = {}) {
    this.root = path.resolve(root);
    this.opts = opts;
  }

  /** Host path for an absolute path inside the audited root. */
  abs(p: string): string {
    return path.join(this.root, p);
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memo.set(key, p);
    }
    return p;
  }

  /** Resolves symlinks inside the root: absolute targets are re-rooted, never followed out of it. */
  async resolve(p: string): Promise<string | undefined> {
    let cur = path.posix.normalize(p);
    for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
      try {
        const st = await lstat(this.abs(cur));
        if (!st.isSymbolicLink()) return cur;
        const target = await readlink(this.abs(cur));
        cur = path.posix.normalize(target.startsWith('/') ? target : path.posix.join(path.posix.dirname(cur), target));
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  readText(p: string): Promise<string | undefined> {
    let t = this.texts.get(p);
    if (!t) {
      t = (async () => {
        const real = await this.resolve(p);
        if (!real) return undefined;
        try {
          const st = await lstat(this.abs(real));
          if (!st.isFile() && !real.startsWith('/proc/') && !real.startsWith('/sys/')) return undefined;
          if (st.size > MAX_TEXT_BYTES) return undefined;
          return await readFile(this.abs(real), 'utf8');
        } catch {
          return undefined;
        }
      })();
      this.texts.set(p, t);
    }
    return t;
  }

  async stat(p: string): Promise<Stats | undefined> {
    const real = await this.resolve(p);
    if (!real) return undefined;
    try {
      return await lstat(this.abs(real));
    } catch {
      return undefined;
    }
  }

  async exists(p: string): Promise<boolean> {
    return (await this.stat(p)) !== undefined;
  }

  /** Entry names of a directory inside the root, sorted; empty when it does not exist. */
  list(dir: string): Promise<string[]> {
    return this.once(`list:${dir}`, async () => {
      const real = await this.resolve(dir);
      if (!real) return [];
      try {
        return (await readdir(this.abs(real))).sort();
      } catch {
        return [];
      }
    });
  }

  /** Absolute paths of the files in `dir` whose names pass `filter`, sorted by name. */
  async listFiles(dir: string, filter: (name: string) => boolean = () => true): Promise<string[]> {
    const names = await this.list(dir);
    return names.filter(filter).map((n) => path.posix.join(dir, n));
  }

  container(): Promise<ContainerInfo> {
    return this.once('container', async () => {
      if (this.opts.container !== undefined)
        return { container: this.opts.container, evidence: `container mode set to ${this.opts.container}` };
      if (await this.exists('/.dockerenv')) return { container: true, evidence: '/.dockerenv exists' };
      if (await this.exists('/run/.containerenv')) return { container: true, evidence: '/run/.containerenv exists' };
      const cgroup = await this.readText('/proc/1/cgroup');
      const hit = cgroup?.split('\n').find((l) => CONTAINER_CGROUP.test(l));
      if (hit) return { container: true, evidence: `/proc/1/cgroup: ${hit.trim()}` };
      return { container: false, evidence: 'no /.dockerenv, /run/.containerenv or container cgroup' };
    });
  }

  /** Installed dpkg packages (name → version), from /var/lib/dpkg/status. */
  packages(): Promise<Map<string, string>> {
    return this.once('packages', async () => {
      const out = new Map<string, string>();
      const text = await this.readText('/var/lib/dpkg/status');
      if (!text) return out;
      for (const stanza of text.split(/\n\s*\n/)) {
        const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
        const status = /^Status:\s*(.+)$/m.exec(stanza)?.[1];
        if (name && status?.trim().endsWith(' installed')) out.set(name, /^Version:\s*(\S+)/m.exec(stanza)?.[1] ?? '');
      }
      return out;
    });
  }

  /** Whether a dpkg status database exists at all (an image without one cannot answer "installed?"). */
  hasPackageDb(): Promise<boolean> {
    return this.exists('/var/lib/dpkg/status');
  }

  passwd(): Promise<PasswdEntry[]> {
    return this.once('passwd', async () => parsePasswd((await this.readText('/etc/passwd')) ?? ''));
  }
  groups(): Promise<GroupEntry[]> {
    return this.once('group', async () => parseGroup((await this.readText('/etc/group')) ?? ''));
  }
  shadow(): Promise<ShadowEntry[]> {
    return this.once('shadow', async () => parseShadow((await this.readText('/etc/shadow')) ?? ''));
  }

  /**
   * systemd units enabled by a symlink in a `.wants`/`.requires` directory (what `systemctl enable`
   * creates), unit name → that symlink's path; masked units (→ /dev/null) are left out.
   */
  enabledUnits(): Promise<Map<string, string>> {
    return this.once('units', async () => {
      const out = new Map<string, string>();
      for (const base of ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system']) {
        for (const d of await this.list(base)) {
          if (!d.endsWith('.wants') && !d.endsWith('.requires')) continue;
          for (const unit of await this.list(`${base}/${d}`)) {
            if (!out.has(unit) && !(await this.masked(unit))) out.set(unit, `${base}/${d}/${unit}`);
          }
        }
      }
      return out;
    });
  }

  async masked(unit: string): Promise<boolean> {
    try {
      const target = await readlink(this.abs(`/etc/systemd/system/${unit}`));
      return target === '/dev/null';
    } catch {
      return false;
    }
  }

  /** The running kernel's value from /proc/sys, else the value configured in sysctl files. */
  async sysctl(key: string): Promise<SysctlValue | undefined> {
    const procFile = `/proc/sys/${key.replaceAll('.', '/')}`;
    const live = await this.readText(procFile);
    if (live !== undefined) return { value: live.trim().replace(/\s+/g, ' '), file: procFile, source: 'live' };
    const configured = (await this.sysctlConfig()).get(key);
    return configured ? { ...configured, source: 'configured' } : undefined;
  }

  /** Merged sysctl configuration in systemd-sysctl order: later files override earlier ones. */
  private sysctlConfig(): Promise<Map<string, { value: string; file: string; line: number }>> {
    return this.once('sysctl-config', async () => {
      const byName = new Map<string, string>();
      for (const dir of ['/usr/lib/sysctl.d', '/lib/sysctl.d', '/run/sysctl.d', '/etc/sysctl.d']) {
        for (const f of await this.listFiles(dir, (n) => n.endsWith('.conf'))) byName.set(path.posix.basename(f), f);
      }
      const files = [...byName.keys()].sort().map((n) => byName.get(n) as string);
      files.push('/etc/sysctl.conf');
      const out = new Map<string, { value: string; file: string; line: number }>();
      for (const file of files) {
        const text = await this.readText(file);
        if (!text) continue;
        for (const s of parseSysctlConfig(text)) out.set(s.key, { value: s.value, file, line: s.line });
      }
      return out;
    });
  }

  /** Loaded kernel modules (normalised names) from /proc/modules; undefined when not visible. */
  loadedModules(): Promise<Set<string> | undefined> {
    return this.once('modules', async () => {
      const text = await this.readText('/proc/modules');
      if (text === undefined) return undefined;
      return new Set(
        text
          .split('\n')
          .map((l) => l.split(' ')[0]?.replaceAll('-', '_'))
          .filter((n): n is string => !!n),
      );
    });
  }

  modprobeDirectives(): Promise<(ModprobeDirective & { file: string })[]> {
    return this.once('modprobe', async () => {
      const out: (ModprobeDirective & { file: string })[] = [];
      for (const dir of ['/etc/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d', '/run/modprobe.d']) {
        for (const file of await this.listFiles(dir, (n) => n.endsWith('.conf'))) {
          const text = await this.readText(file);
          if (text) for (const d of parseModprobeConfig(text)) out.push({ ...d, file });
        }
      }
      return out;
    });
  }

  /** Mounts from /proc/self/mountinfo when the root has a live /proc, else from /etc/fstab. */
  mounts(): Promise<MountEntry[]> {
    return this.once('mounts', async () => {
      // A mounted image or disk has an empty /proc, so its /etc/fstab is what will apply at boot.
      const info = await this.readText('/proc/self/mountinfo');
      if (info !== undefined) return parseMountinfo(info);
      const fstab = await this.readText('/etc/fstab');
      return fstab ? parseFstab(fstab) : [];
    });
  }

  sshdConfig(): Promise<SshdConfig> {
    return this.once('sshd', () =>
      parseSshdConfig('/etc/ssh/sshd_config', { read: (p) => this.readText(p), list: (d) => this.list(d) }),
    );
  }

  /**
   * One walk of the local file systems shared by the world-writable, unowned and SUID/SGID checks.
   * GNU find does it when present (its C walk is several times faster than one lstat per entry
   * from JavaScript); the built-in walk is the fallback and the reference.
   */
  walk(): Promise<WalkResult> {
    return this.once('walk', async () => {
      const uids = [...new Set((await this.passwd()).map((p) => p.uid))];
      const gids = [...new Set((await this.groups()).map((g) => g.gid))];
      const skip = new Set(SKIPPED_DIRS);
      for (const m of await this.mounts()) {
        if (SKIPPED_FS.has(m.fsType) || m.fsType.startsWith('fuse.')) skip.add(m.mountPoint);
      }
      if (this.opts.maxWalkEntries === undefined && existsSync(FIND)) {
        const found = await this.walkWithFind([...skip], uids, gids);
        if (found) return found;
      }
      return this.walkInNode(skip, new Set(uids), new Set(gids));
    });
  }

  private walkWithFind(skip: string[], uids: number[], gids: number[]): Promise<WalkResult | undefined> {
    const rootPrefix = this.root === '/' ? '' : this.root;
    const prune = skip.flatMap((p, i) => [...(i ? ['-o'] : []), '-path', `${rootPrefix}${p}`]);
    const fmt = (tag: string) => String.raw`${tag}\t%m\t%U\t%G\t%y\t%p\0`;
    const notIn = (flag: string, ids: number[]) => ids.flatMap((id) => ['!', flag, String(id)]);
    const args = [
      this.root,
      '(',
      ...prune,
      ')',
      '-prune',
      '-o',
      '(',
      '(',
      '-perm',
      '-0002',
      '(',
      '-type',
      'f',
      '-o',
      '(',
      '-type',
      'd',
      '!',
      '-perm',
      '-1000',
      ')',
      ')',
      '-printf',
      fmt('W'),
      ')',
      ',',
      '(',
      '!',
      '-type',
      'l',
      '(',
      '(',
      ...notIn('-uid', uids),
      ')',
      '-o',
      '(',
      ...notIn('-gid', gids),
      ')',
      ')',
      '-printf',
      fmt('U'),
      ')',
      ',',
      '(',
      '-type',
      'f',
      '-perm',
      '/6000',
      '-printf',
      fmt('S'),
      ')',
      ')',
    ];
    return new Promise((resolve) => {
      const child = spawn(FIND, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.on('error', () => resolve(undefined));
      // find exits 1 when some directories were unreadable: the rest of the answer still stands.
      child.on('close', (code) => {
        if (code !== 0 && code !== 1) return resolve(undefined);
        const result: WalkResult = { worldWritable: [], unowned: [], setid: [], truncated: false, walker: 'find' };
        for (const rec of Buffer.concat(chunks).toString('utf8').split('\0')) {
          const [tag, mode, uid, gid, type, ...rest] = rec.split('\t');
          if (!tag || rest.length === 0) continue;
          const full = rest.join('\t');
          const item: WalkFinding = {
            path: rootPrefix && full.startsWith(rootPrefix) ? full.slice(rootPrefix.length) || '/' : full,
            mode: Number.parseInt(mode ?? '0', 8),
            uid: Number(uid),
            gid: Number(gid),
            isDir: type === 'd',
          };
          if (tag === 'W') result.worldWritable.push(item);
          else if (tag === 'U') result.unowned.push(item);
          else if (tag === 'S') result.setid.push(item);
        }
        resolve(result);
      });
    });
  }

  private walkInNode(skip: Set<string>, uids: Set<number>, gids: Set<number>): WalkResult {
    const limit = this.opts.maxWalkEntries ?? 5_000_000;
    const result: WalkResult = {
      worldWritable: [],
      unowned: [],
      setid: [],
      entries: 0,
      truncated: false,
      walker: 'node',
    };
    let entries = 0;
    // Synchronous calls on purpose: one stat per entry, and the sync API avoids a thread-pool
    // round trip per call for millions of small calls.
    const stack = ['/'];
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      let names: string[];
      try {
        names = readdirSync(this.abs(dir));
      } catch {
        continue;
      }
      for (const name of names) {
        const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
        if (skip.has(p)) continue;
        if (++entries > limit) {
          result.truncated = true;
          result.entries = entries - 1;
          return result;
        }
        let st: Stats;
        try {
          st = lstatSync(this.abs(p));
        } catch {
          continue;
        }
        if (st.isSymbolicLink()) continue;
        const isDir = st.isDirectory();
        const item = { path: p, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, isDir };
        if (st.mode & 0o002 && (isDir ? !(st.mode & 0o1000) : st.isFile())) result.worldWritable.push(item);
        if (!uids.has(st.uid) || !gids.has(st.gid)) result.unowned.push(item);
        if (st.isFile() && st.mode & 0o6000) result.setid.push(item);
        if (isDir) stack.push(p);
      }
    }
    result.entries = entries;
    return result;
  }
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parts = (lines[i] ?? '').split(' ');
    const sep = parts.indexOf('-');
    if (sep < 6) continue;
    const mountPoint = unescapeMount(parts[4] ?? '');
    const options = new Set([...(parts[5] ?? '').split(','), ...(parts[sep + 3] ?? '').split(',')]);
    out.push({ mountPoint, fsType: parts[sep + 1] ?? '', options, file: '/proc/self/mountinfo', line: i + 1 });
  }
  return out;
}

export function parseFstab(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#')) continue;
    const [, mountPoint, fsType, opts] = raw.split(/\s+/);
    if (!mountPoint || !fsType || !mountPoint.startsWith('/')) continue;
    out.push({
      mountPoint: unescapeMount(mountPoint),
      fsType,
      options: new Set((opts ?? 'defaults').split(',')),
      file: '/etc/fstab',
      line: i + 1,
    });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
