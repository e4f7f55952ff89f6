// Test support: a private containerd (its own root, state and socket under /tmp, CRI plugin off),
// never the host's service, and helpers to import a locally built image and run containers in it.
// Everything a test starts is stopped and removed by `stop()`.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildBusyboxImage, podman } from './podman-test-image.js';

const run = promisify(execFile);

export interface PrivateContainerd {
  dir: string;
  address: string;
  /** runc's state directory for containers started here (kept out of /run/containerd/runc). */
  runcRoot: string;
  ctr(namespace: string, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

// Plugins a metadata test does not need; CRI would want CNI and a pause image.
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.internal.v1.opt',
];

/** Starts containerd with everything under a fresh `/tmp/<prefix>-ctd-*` directory. */
export async function startContainerd(prefix: string): Promise<PrivateContainerd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-ctd-`));
  const address = path.join(dir, 'containerd.sock');
  const config = [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `disabled_plugins = [${DISABLED_PLUGINS.map((p) => `"${p}"`).join(', ')}]`,
    '[grpc]',
    `  address = "${address}"`,
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
    '[debug]',
    '  level = "warn"',
  ].join('\n');
  writeFileSync(path.join(dir, 'config.toml'), `${config}\n`);
  const daemon: ChildProcess = spawn('containerd', ['--config', path.join(dir, 'config.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const ctr = async (namespace: string, ...args: string[]): Promise<string> =>
    (await run('ctr', ['--address', address, '--namespace', namespace, ...args], { maxBuffer: 16 << 20 })).stdout;

  for (let i = 0; ; i++) {
    try {
      await ctr('default', 'version');
      break;
    } catch {
      if (i >= 100 || daemon.exitCode !== null) {
        daemon.kill('SIGKILL');
        throw new Error(`containerd did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const stop = async (): Promise<void> => {
    // Tasks first, so their shims exit and their rootfs mounts go away; then the containers.
    const namespaces = (await ctr('default', 'namespaces', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean);
    for (const ns of namespaces) {
      const ids = (await ctr(ns, 'containers', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean);
      for (const id of ids) {
        await ctr(ns, 'tasks', 'kill', '-s', 'SIGKILL', id).catch(() => '');
        await ctr(ns, 'tasks', 'rm', '-f', id).catch(() => '');
        await ctr(ns, 'containers', 'rm', id).catch(() => '');
      }
    }
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    // Anything still mounted below the directory (a shim killed mid-way) must go before rm -rf.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${dir}/`))
      .reverse();
    for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, address, runcRoot: path.join(dir, 'runc'), ctr, stop };
}

/**
 * Builds the busybox test image with podman, saves it as a docker-archive and imports it into
 * each namespace of the private containerd; the podman copy is removed. Returns the reference.
 */
export async function importBusyboxImage(
  ctd: PrivateContainerd,
  name: string,
  labels: Record<string, string>,
  namespaces: string[],
): Promise<string> {
  const ref = await buildBusyboxImage(name, labels);
  const tar = path.join(ctd.dir, 'image.tar');
  try {
    await podman('save', '-q', '--format', 'docker-archive', '-o', tar, ref);
    for (const ns of namespaces) await ctd.ctr(ns, 'images', 'import', tar);
  } finally {
    await podman('rmi', '-f', ref).catch(() => undefined);
    rmSync(tar, { force: true });
  }
  return ref;
}

/** `ctr run -d` with runc from Debian; returns the init pid. */
export async function runCtrContainer(
  ctd: PrivateContainerd,
  namespace: string,
  image: string,
  id: string,
  opts: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Promise<number> {
  const flags = [
    ...Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    ...Object.entries(opts.annotations ?? {}).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]),
  ];
  await ctd.ctr(
    namespace,
    'run',
    '-d',
    '--null-io',
    '--runtime',
    'io.containerd.runc.v2',
    '--runc-binary',
    '/usr/sbin/runc',
    '--runc-root',
    ctd.runcRoot,
    ...flags,
    image,
    id,
  );
  const tasks = await ctd.ctr(namespace, 'tasks', 'ls');
  const row = tasks.split('\n').find((l) => l.split(/\s+/)[0] === id);
  const pid = Number(row?.split(/\s+/)[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no task for ${id}: ${tasks}`);
  return pid;
}
