// Real-kernel tests of palisade-sensor: builds it, runs real commands, and checks the events the
// kernel reported for them. Every test here needs root and a kernel with BTF.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeEvent } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SensorError,
  type SensorHandle,
  type SensorHealth,
  type SensorStatsRecord,
  SensorStreamDecoder,
  sensorBinaryPath,
  startSensor,
} from '../src/index.js';

const nativeDir = fileURLToPath(new URL('../native', import.meta.url));

/** Collects events and lets a test wait for the first one matching a predicate. */
class EventLog {
  readonly events: RuntimeEvent[] = [];
  private waiters: { pred: (e: RuntimeEvent) => boolean; resolve: (e: RuntimeEvent) => void }[] = [];

  push = (ev: RuntimeEvent): void => {
    this.events.push(ev);
    for (const w of this.waiters.filter((w) => w.pred(ev))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(ev);
    }
  };

  waitFor(pred: (e: RuntimeEvent) => boolean): Promise<RuntimeEvent> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): number {
  const r = spawnSync(cmd, args, { stdio: 'ignore', ...opts });
  if (r.pid === undefined || r.pid === 0) throw new Error(`could not run ${cmd}`);
  return r.pid;
}

let tmp: string;

const PODMAN_RUN = [
  'run',
  '--rm',
  '--runtime',
  '/usr/sbin/runc',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
  '--network',
  'none',
];

/** A four-binary image (sh, cat, true, chmod and the libraries they need) imported into podman. */
function buildTinyImage(dir: string): string {
  const root = fs.mkdtempSync(path.join(dir, 'image-'));
  const libs = new Set<string>();
  for (const bin of ['sh', 'cat', 'true', 'chmod']) {
    const real = fs.realpathSync(`/bin/${bin}`);
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync(real, path.join(root, 'bin', bin));
    fs.chmodSync(path.join(root, 'bin', bin), 0o755);
    const ldd = execFileSync('ldd', [real], { encoding: 'utf8' });
    for (const m of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) libs.add(m[1]!);
  }
  for (const lib of libs) {
    fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(root, lib));
  }
  fs.mkdirSync(path.join(root, 'work'));
  const tar = `${root}.tar`;
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  const name = `localhost/palisade-sensor-test:${process.pid}`;
  execFileSync('podman', ['import', tar, name], { stdio: 'ignore' });
  return name;
}

beforeAll(() => {
  execFileSync('make', ['-s', '-C', nativeDir], { stdio: 'inherit' });
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-sensor-')));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('palisade-sensor on the running kernel (root, BTF)', () => {
  let sensor: SensorHandle;
  const log = new EventLog();
  const health: SensorHealth[] = [];

  beforeAll(async () => {
    sensor = startSensor({ onEvent: log.push, onHealth: (h) => health.push(h) });
    await sensor.ready;
  });

  afterAll(async () => {
    await sensor?.stop();
  });

  it('reports exec with filename, argv, cwd, ids and the real executable inode (root, BTF)', async () => {
    const pid = run('/bin/true', ['alpha', 'beta gamma'], { cwd: tmp });
    const ev = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === pid);
    const st = fs.statSync('/bin/true');
    // exepath is the kernel's path of the mapped file (symlinks resolved); filename as passed.
    expect(ev.proc.exepath).toBe(fs.realpathSync('/bin/true'));
    expect(ev.params?.filename).toBe('/bin/true');
    expect(ev.proc.exe).toBe('/bin/true');
    expect(ev.proc.args).toEqual(['alpha', 'beta gamma']);
    expect(ev.proc.cwd).toBe(tmp);
    expect(ev.proc.comm).toBe('true');
    expect(ev.proc.ppid).toBe(process.pid);
    expect(ev.proc.uid).toBe(0);
    expect(ev.proc.gid).toBe(0);
    expect(ev.proc.exeIno).toBe(st.ino);
    expect(ev.proc.exeDev).toBe(st.dev);
    expect(ev.proc.exeNlink).toBe(st.nlink);
    expect(ev.proc.exeFromMemfd).toBe(false);
    expect(ev.proc.exeUpperLayer).toBe(false);
    expect(ev.proc.cgroupId).toBeGreaterThan(0);
    expect(ev.proc.vpid).toBe(pid);
    expect(Math.abs(ev.ts / 1e6 - Date.now())).toBeLessThan(60_000);

    const fork = await log.waitFor((e) => e.type === 'clone' && e.params?.child_pid === pid);
    expect(fork.proc.pid).toBe(process.pid);
    const exit = await log.waitFor((e) => e.type === 'procexit' && e.proc.pid === pid);
    expect(exit.params?.status).toBe(0);
  });

  it('reports openat of /etc/shadow by cat with its flags and result fd (root, BTF)', async () => {
    const pid = run('cat', ['/etc/shadow']);
    const ev = await log.waitFor((e) => e.proc.pid === pid && e.fd?.name === '/etc/shadow');
    expect(ev.type).toMatch(/^open/);
    expect(ev.proc.comm).toBe('cat');
    expect((ev.fd?.openFlags ?? -1) & 3).toBe(0);
    expect(ev.res).toBeGreaterThanOrEqual(0);
    expect(ev.fd?.num).toBe(ev.res);
  });

  it('resolves relative paths against the cwd and against a dirfd (root, BTF)', async () => {
    const pid = run('cat', ['shadow'], { cwd: '/etc' });
    const ev = await log.waitFor((e) => e.proc.pid === pid && e.fd?.nameraw === 'shadow');
    expect(ev.fd?.name).toBe('/etc/shadow');
    const script =
      "import os; d = os.open('/etc', os.O_RDONLY); os.close(os.open('../etc/./hostname', os.O_RDONLY, dir_fd=d))";
    const py = run('python3', ['-c', script]);
    const at = await log.waitFor((e) => e.proc.pid === py && e.fd?.nameraw === '../etc/./hostname');
    expect(at.fd?.name).toBe('/etc/hostname');
    expect(at.params?.dirfd).toBeGreaterThanOrEqual(0);
  });

  it('reports a file written, renamed, chmod-ed and unlinked in a temp dir (root, BTF)', async () => {
    const file = path.join(tmp, 'written.txt');
    const moved = path.join(tmp, 'moved.txt');
    fs.writeFileSync(file, 'data');
    fs.renameSync(file, moved);
    fs.chmodSync(moved, 0o750);
    fs.unlinkSync(moved);
    const open = await log.waitFor((e) => e.proc.pid === process.pid && e.fd?.name === file);
    expect((open.fd?.openFlags ?? 0) & 0o1103).toBe(0o1101); // O_WRONLY|O_CREAT|O_TRUNC
    const rename = await log.waitFor((e) => e.type.startsWith('rename') && e.params?.newpath === moved);
    expect(rename.params?.oldpath).toBe(file);
    expect(rename.res).toBe(0);
    const chmod = await log.waitFor(
      (e) => e.type.includes('chmod') && (e.params?.filename === moved || e.params?.fd !== undefined),
    );
    expect(chmod.params?.mode).toBe(0o750);
    const unlink = await log.waitFor(
      (e) => e.type.startsWith('unlink') && (e.params?.path === moved || e.params?.name === moved),
    );
    expect(unlink.proc.pid).toBe(process.pid);
  });

  it('reports connect, listen and accept on loopback with both endpoints (root, BTF)', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.on('connect', r));
    const clientPort = client.localPort;
    client.destroy();
    server.close();

    const connect = await log.waitFor((e) => e.type === 'connect' && e.net?.dport === port);
    expect(connect.proc.pid).toBe(process.pid);
    expect(connect.net).toMatchObject({
      proto: 'tcp',
      daddr: '127.0.0.1',
      saddr: '127.0.0.1',
      sport: clientPort,
      role: 'client',
      family: 'ipv4',
    });
    expect(connect.fd?.name).toBe(`127.0.0.1:${clientPort}->127.0.0.1:${port}`);
    const listen = await log.waitFor((e) => e.type === 'listen' && e.net?.dport === port);
    expect(listen.net?.daddr).toBe('127.0.0.1');
    const accept = await log.waitFor((e) => e.type.startsWith('accept') && e.net?.dport === port);
    expect(accept.net).toMatchObject({ saddr: '127.0.0.1', sport: clientPort, daddr: '127.0.0.1', role: 'server' });
    expect(accept.res).toBeGreaterThanOrEqual(0);
  });

  it('reports an IPv6 loopback connect (root, BTF)', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '::1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '::1');
    await new Promise<void>((r) => client.on('connect', r));
    client.destroy();
    server.close();
    const connect = await log.waitFor((e) => e.type === 'connect' && e.net?.dport === port);
    expect(connect.net).toMatchObject({ daddr: '::1', family: 'ipv6', proto: 'tcp' });
    expect(connect.fd?.name).toMatch(new RegExp(`^\\[::1\\]:\\d+->\\[::1\\]:${port}$`));
  });

  it('flags a fileless exec from a memfd (root, BTF)', async () => {
    const script = [
      'import os',
      "fd = os.memfd_create('payload', 0)",
      "os.write(fd, open('/bin/true', 'rb').read())",
      "os.execve(fd, ['innocent', 'x'], {})",
    ].join('\n');
    const pid = run('python3', ['-c', script]);
    const memfd = await log.waitFor((e) => e.type === 'memfd_create' && e.proc.pid === pid);
    expect(memfd.params?.name).toBe('payload');
    expect(memfd.fd?.name).toBe('memfd:payload');
    const exec = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === pid && e.proc.exeFromMemfd === true);
    expect(exec.proc.exeNlink).toBe(0);
    expect(exec.proc.exe).toBe('innocent');
    expect(exec.proc.args).toEqual(['x']);
  });

  it('tells a binary in an overlay upper layer from one in the lower layer (root, BTF)', async () => {
    const base = fs.mkdtempSync(path.join(tmp, 'ovl-'));
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(base, d));
    for (const d of [lower, upper, work, merged]) fs.mkdirSync(d!);
    fs.copyFileSync('/bin/true', path.join(lower!, 'from-image'));
    fs.chmodSync(path.join(lower!, 'from-image'), 0o755);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged!,
    ]);
    try {
      fs.copyFileSync('/bin/true', path.join(merged!, 'dropped'));
      fs.chmodSync(path.join(merged!, 'dropped'), 0o755);
      const dropped = run(path.join(merged!, 'dropped'), []);
      const image = run(path.join(merged!, 'from-image'), []);
      const d = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === dropped);
      const i = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === image);
      expect(d.proc.exeUpperLayer).toBe(true);
      expect(d.proc.exeLowerLayer).toBe(false);
      expect(i.proc.exeUpperLayer).toBe(false);
      expect(i.proc.exeLowerLayer).toBe(true);
      expect(d.proc.exeIno).toBe(fs.statSync(path.join(merged!, 'dropped')).ino);
      expect(d.proc.exepath).toBe(path.join(merged!, 'dropped'));
    } finally {
      execFileSync('umount', [merged!]);
    }
  });

  it('reports unshare and the pid a process has inside a new pid namespace (root, BTF)', async () => {
    const pid = run('unshare', ['--pid', '--fork', '/bin/true', 'in-new-pidns']);
    const un = await log.waitFor((e) => e.type === 'unshare' && e.proc.pid === pid);
    expect(Number(un.params?.flags) & 0x20000000).toBe(0x20000000); // CLONE_NEWPID
    const ev = await log.waitFor((e) => e.type === 'execve' && e.proc.args[0] === 'in-new-pidns');
    expect(ev.proc.vpid).toBe(1);
    expect(ev.proc.pid).not.toBe(1);
  });

  it('reports effective ids in every event (root, BTF)', async () => {
    const pid = run('python3', ['-c', "import os; os.seteuid(65534); open('/etc/hostname').close()"]);
    const ev = await log.waitFor((e) => e.proc.pid === pid && e.fd?.name === '/etc/hostname');
    expect(ev.proc.uid).toBe(65534);
    expect(ev.proc.gid).toBe(0);
  });

  it('sees a podman container: its own paths, its cgroup, and drift in its writable layer (root, BTF, podman)', async () => {
    const image = buildTinyImage(tmp);
    const script = 'cat /bin/true > /work/dropped; chmod 755 /work/dropped; /work/dropped drift-marker';
    execFileSync('podman', [...PODMAN_RUN, '-w', '/work', image, '/bin/sh', '-c', script], { stdio: 'ignore' });
    try {
      const dropped = await log.waitFor((e) => e.type === 'execve' && e.proc.args[0] === 'drift-marker');
      expect(dropped.proc.exepath).toBe('/work/dropped');
      expect(dropped.proc.cwd).toBe('/work');
      expect(dropped.proc.exeUpperLayer).toBe(true);
      expect(dropped.proc.cgroupId).not.toBe(0);
      const host = await log.waitFor((e) => e.type === 'execve' && e.proc.ppid === process.pid);
      expect(dropped.proc.cgroupId).not.toBe(host.proc.cgroupId);
      const cat = await log.waitFor(
        (e) => e.type === 'execve' && e.proc.comm === 'cat' && e.proc.cgroupId === dropped.proc.cgroupId,
      );
      expect(cat.proc.exepath).toBe('/bin/cat');
      expect(cat.proc.exeUpperLayer).toBe(false);
      expect(cat.proc.exeLowerLayer).toBe(true);
      const read = await log.waitFor((e) => e.proc.pid === cat.proc.pid && e.fd?.name === '/bin/true');
      expect(read.res).toBeGreaterThanOrEqual(0);
      // cat's stdout is the redirected file: its write (copy_file_range for GNU cat) names it as the
      // container sees it.
      const wrote = await log.waitFor((e) => e.proc.pid === cat.proc.pid && e.fd?.num === 1 && e.type !== 'execve');
      expect(wrote.type).toMatch(/^(write|copy_file_range|sendfile|splice)$/);
      expect(wrote.fd).toMatchObject({ name: '/work/dropped', type: 'file' });
    } finally {
      execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    }
  });

  it('reports setuid and ptrace with their arguments (root, BTF)', async () => {
    const pid = run('python3', ['-c', 'import os; os.setuid(65534)']);
    const ev = await log.waitFor((e) => e.type === 'setuid' && e.proc.pid === pid);
    expect(ev.params?.uid).toBe(65534);
    expect(ev.res).toBe(0);

    const tracer = run('python3', [
      '-c',
      // A pid that cannot exist: the attach fails harmlessly with ESRCH but is still reported.
      'import ctypes; libc = ctypes.CDLL(None, use_errno=True); libc.ptrace(16, 4194305, 0, 0)',
    ]);
    const pt = await log.waitFor((e) => e.type === 'ptrace' && e.proc.pid === tracer);
    expect(pt.params?.request).toBe('PTRACE_ATTACH');
    expect(pt.params?.pid).toBe(4194305);
    expect(pt.res).toBe(-3);
  });

  it('sends stats with per-CPU event and drop counters (root, BTF)', async () => {
    const stats = await sensor.requestStats();
    expect(stats.running).toBe(true);
    expect(stats.kernelEvents).toBeGreaterThan(0);
    expect(stats.last?.eventsPerCpu.length).toBeGreaterThan(0);
    expect(stats.last?.dropsPerCpu.length).toBe(stats.last?.eventsPerCpu.length);
    expect(stats.kernelDrops).toBe(stats.dropsPerCpu.reduce((a, b) => a + b, 0));
    expect(stats.decodedEvents).toBeGreaterThan(0);
    expect(health.some((h) => h.status === 'started')).toBe(true);
  });
});

describe('palisade-sensor write events, reduced in the kernel (root, BTF)', () => {
  let sensor: SensorHandle;
  const log = new EventLog();
  let dir: string;
  const writes = (pid: number) =>
    log.events.filter((e) => e.proc.pid === pid && /^(p?writev?2?|sendfile|splice|copy_file_range)$/.test(e.type));

  /** Runs a Python snippet and waits until its exit (the last record it causes) has been decoded. */
  async function python(script: string, ...args: string[]): Promise<number> {
    const pid = run('python3', ['-c', script, ...args]);
    await log.waitFor((e) => e.type === 'procexit' && e.proc.pid === pid);
    return pid;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(tmp, 'h8-writes-'));
    fs.mkdirSync(path.join(dir, 'skip'));
    sensor = startSensor({ onEvent: log.push, ignorePrefixes: [path.join(dir, 'skip')] });
    await sensor.ready;
  });

  afterAll(async () => {
    await sensor?.stop();
  });

  it('reports the first write to a file opened O_RDWR without O_CREAT or O_TRUNC (root, BTF)', async () => {
    const file = path.join(dir, 'existing');
    fs.writeFileSync(file, 'before');
    const pid = await python("import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); os.write(fd, b'abc')", file);
    const open = log.events.find((e) => e.proc.pid === pid && e.type.startsWith('open') && e.fd?.name === file);
    expect((open?.fd?.openFlags ?? -1) & 0o1103).toBe(2); // O_RDWR, no O_CREAT, no O_TRUNC
    const ws = writes(pid);
    expect(ws).toHaveLength(1);
    expect(ws[0]).toMatchObject({ type: 'write', fd: { name: file, type: 'file', num: open?.res } });
    expect(ws[0]?.params?.size).toBe(3);
  });

  it('reports 10,000 writes and a pwrite to one open file once, and again after a reopen (root, BTF)', async () => {
    const file = path.join(dir, 'busy');
    fs.writeFileSync(file, '');
    const script = [
      'import os, sys',
      'fd = os.open(sys.argv[1], os.O_RDWR)',
      'for i in range(10000): os.write(fd, b"x")',
      'os.pwrite(fd, b"y", 3)',
      'os.close(fd)',
      'fd = os.open(sys.argv[1], os.O_RDWR)',
      'os.writev(fd, [b"ab", b"cde"])',
    ].join('\n');
    const pid = await python(script, file);
    expect(fs.statSync(file).size).toBe(10_000);
    const ws = writes(pid);
    expect(ws.map((e) => [e.type, e.fd?.name, e.params?.size])).toEqual([
      ['write', file, 1],
      ['writev', file, 5],
    ]);
  });

  it('reports a copy made in the kernel (cat into a file) once, with its source fd (root, BTF)', async () => {
    const file = path.join(dir, 'copied');
    const sh = run('sh', ['-c', `cat /etc/hostname /etc/hostname > ${file}`]);
    await log.waitFor((e) => e.type === 'procexit' && e.proc.pid === sh);
    const ws = log.events.filter((e) => e.proc.comm === 'cat' && e.proc.ppid === sh && e.fd?.name === file);
    expect(ws).toHaveLength(1);
    expect(ws[0]?.type).toMatch(/^(write|copy_file_range|sendfile|splice)$/);
    expect(ws[0]?.fd?.num).toBe(1);
  });

  it('does not report writes to pipes, sockets or devices (root, BTF)', async () => {
    const script = [
      'import os, socket',
      'r, w = os.pipe()',
      'os.write(w, b"through a pipe")',
      'a, b = socket.socketpair()',
      'os.write(a.fileno(), b"through a socket")',
      'n = os.open("/dev/null", os.O_WRONLY)',
      'os.write(n, b"to a device")',
    ].join('\n');
    const pid = await python(script);
    expect(log.events.some((e) => e.proc.pid === pid && e.type === 'execve')).toBe(true);
    expect(writes(pid)).toEqual([]);
  });

  it('drops writes below an ignored prefix in the kernel (root, BTF)', async () => {
    const skipped = path.join(dir, 'skip', 'quiet.log');
    const kept = path.join(dir, 'loud.log');
    const script = 'import sys\nfor p in sys.argv[1:]:\n    open(p, "w").write("line")';
    const pid = await python(script, skipped, kept);
    expect(writes(pid).map((e) => e.fd?.name)).toEqual([kept]);
  });
});

describe('palisade-sensor filters and lifecycle (root, BTF)', () => {
  it('drops events of ignored command names and path prefixes in the kernel (root, BTF)', async () => {
    const log = new EventLog();
    const sensor = startSensor({ onEvent: log.push, ignorePrefixes: [path.join(tmp, 'skip')] });
    try {
      await sensor.ready;
      const ignored = path.join(tmp, 'h9-ignored-cat');
      const control = path.join(tmp, 'h9-control-cat');
      fs.copyFileSync('/bin/cat', ignored);
      fs.copyFileSync('/bin/cat', control);
      fs.chmodSync(ignored, 0o755);
      fs.chmodSync(control, 0o755);
      fs.mkdirSync(path.join(tmp, 'skip'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'keep'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'skip', 'f'), 'x');
      fs.writeFileSync(path.join(tmp, 'keep', 'f'), 'x');
      // comm is the first 15 bytes of the file name.
      await sensor.setIgnoreComms(['h9-ignored-cat'.slice(0, 15)]);
      const ig = run(ignored, ['/etc/hostname', path.join(tmp, 'keep', 'f')]);
      const ctl = run(control, [path.join(tmp, 'skip', 'f'), path.join(tmp, 'keep', 'f')]);
      // The ring keeps submission order, so once the later control process is seen, anything
      // of the earlier ignored one would have been seen too.
      await log.waitFor((e) => e.proc.pid === ctl && e.fd?.name === path.join(tmp, 'keep', 'f'));
      await log.waitFor((e) => e.type === 'procexit' && e.proc.pid === ctl);
      // Before its exec the child is still a `node` fork; from the exec on, nothing of it may appear.
      expect(log.events.filter((e) => e.proc.pid === ig && e.proc.comm !== 'node')).toEqual([]);
      expect(log.events.some((e) => e.proc.pid === ctl && e.type === 'execve')).toBe(true);
      expect(log.events.some((e) => e.fd?.name === path.join(tmp, 'skip', 'f'))).toBe(false);

      await sensor.setIgnoreComms([]);
      const again = run(ignored, ['/etc/hostname']);
      await log.waitFor((e) => e.type === 'execve' && e.proc.pid === again);
    } finally {
      await sensor.stop();
    }
  });

  it('restarts the sensor after kill -9 and reports it as health events (root, BTF)', async () => {
    const log = new EventLog();
    const health: SensorHealth[] = [];
    let restarted: () => void = () => {};
    const restartedP = new Promise<void>((r) => {
      restarted = r;
    });
    const sensor = startSensor({
      onEvent: log.push,
      restartDelayMs: 10,
      onHealth: (h) => {
        health.push(h);
        if (h.status === 'restarted') restarted();
      },
    });
    try {
      await sensor.ready;
      const first = sensor.pid();
      expect(first).toBeGreaterThan(0);
      process.kill(first!, 'SIGKILL');
      await restartedP;
      expect(sensor.pid()).not.toBe(first);
      const died = health.find((h) => h.status === 'died');
      expect(died?.signal).toBe('SIGKILL');
      expect(sensor.stats().restarts).toBe(1);
      const pid = run('/bin/true', ['after-restart']);
      const ev = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === pid);
      expect(ev.proc.args).toEqual(['after-restart']);
    } finally {
      await sensor.stop();
    }
    expect(sensor.stats().running).toBe(false);
  });

  it('counts drops per CPU when nobody reads the stream (root, BTF)', async () => {
    // A 1 MiB ring and a stdout pipe nobody reads: the loader blocks on write, the ring fills,
    // and the kernel must count what it could not queue instead of blocking the workload.
    const child = spawn(sensorBinaryPath(), ['--ring-mb', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const stats: SensorStatsRecord[] = [];
    let helloResolve: () => void = () => {};
    const hello = new Promise<void>((r) => {
      helloResolve = r;
    });
    let ackResolve: () => void = () => {};
    const acked = new Promise<void>((r) => {
      ackResolve = r;
    });
    const decoder = new SensorStreamDecoder(
      { event: () => {}, hello: () => helloResolve(), stats: (s) => stats.push(s), ack: () => ackResolve() },
      'test',
    );
    child.stdout.once('data', (chunk: Buffer) => {
      decoder.push(chunk);
      child.stdout.pause();
    });
    try {
      await hello;
      const storm = run('python3', ['-c', "for i in range(200000): open('/etc/hostname').close()"]);
      expect(storm).toBeGreaterThan(0);
      child.stdout.on('data', (chunk: Buffer) => decoder.push(chunk));
      child.stdout.resume();
      child.stdin.write('stats\n');
      await acked;
      const last = stats[stats.length - 1]!;
      expect(last.drops).toBeGreaterThan(0);
      expect(last.dropsPerCpu.reduce((a, b) => a + b, 0)).toBe(last.drops);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('loads with an explicit BTF file (root, BTF)', async () => {
    const log = new EventLog();
    const sensor = startSensor({ onEvent: log.push, btfPath: '/sys/kernel/btf/vmlinux', noSyscalls: true });
    try {
      await sensor.ready;
      const pid = run('/bin/true', ['with-btf']);
      const ev = await log.waitFor((e) => e.type === 'execve' && e.proc.pid === pid);
      expect(ev.proc.args).toEqual(['with-btf']);
      // --no-syscalls: the exec's own opens (ld.so, libc) are not reported.
      await log.waitFor((e) => e.type === 'procexit' && e.proc.pid === pid);
      expect(log.events.some((e) => e.proc.pid === pid && e.type.startsWith('open'))).toBe(false);
    } finally {
      await sensor.stop();
    }
  });

  it('ends the event iterator on stop and delivers events through it (root, BTF)', async () => {
    const sensor = startSensor();
    await sensor.ready;
    const pid = run('/bin/true', ['iterated']);
    for await (const ev of sensor.events()) {
      if (ev.type === 'execve' && ev.proc.pid === pid) {
        expect(ev.proc.args).toEqual(['iterated']);
        break;
      }
    }
    await sensor.stop();
    // Whatever was queued before stop drains, then the iterator ends.
    for await (const _ of sensor.events()) {
    }
    expect((await sensor.events().next()).done).toBe(true);
  });

  it('fails with a clear error when bpf() is refused to an unprivileged user (root, BTF)', () => {
    const r = spawnSync(sensorBinaryPath(), [], { uid: 65534, gid: 65534, encoding: 'utf8', input: '' });
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(/^palisade-sensor: bpf\(\) refused \(EPERM\)/);
  });

  it('rejects ready with SensorError for a bad option and for a missing binary (root, BTF)', async () => {
    const bad = startSensor({ ringMb: 3 });
    await expect(bad.ready).rejects.toThrow(/--ring-mb must be a power of two/);
    await expect(bad.ready).rejects.toBeInstanceOf(SensorError);
    const noBtf = startSensor({ btfPath: path.join(tmp, 'no-such-btf') });
    await expect(noBtf.ready).rejects.toThrow(/^palisade-sensor: no BTF at .*no-such-btf/);
    await expect(noBtf.ready).rejects.toMatchObject({ exitCode: 2 });
    const missing = startSensor({ binaryPath: path.join(tmp, 'no-such-sensor') });
    await expect(missing.ready).rejects.toThrow(/binary not found/);
  });
});
