// Test support: builds a tiny local image (a static busybox, `podman import`ed with labels) and
// runs containers from it with the flags this project's CI needs; never pulls anything.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BUSYBOX = '/bin/busybox'; // Debian package busybox-static

export async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { maxBuffer: 16 << 20 });
  return stdout.trim();
}

/** Builds `localhost/<name>:1` from busybox with the given image labels; returns the reference. */
export async function buildBusyboxImage(name: string, labels: Record<string, string>): Promise<string> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} missing: install the Debian package busybox-static`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-img-'));
  try {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, path.join(root, 'bin', 'busybox'));
    for (const applet of ['sh', 'sleep', 'cat', 'kill']) symlinkSync('busybox', path.join(root, 'bin', applet));
    const tar = path.join(dir, 'rootfs.tar');
    await run('tar', ['-C', root, '-cf', tar, '.']);
    const ref = `localhost/${name}:1`;
    const changes = Object.entries(labels).flatMap(([k, v]) => ['--change', `LABEL ${k}=${v}`]);
    await podman('import', ...changes, '--change', 'CMD ["/bin/sleep","600"]', tar, ref);
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const RUN_FLAGS = [
  '--runtime',
  '/usr/sbin/runc',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
  '--network',
  'none',
];

/** Starts a detached container; returns its full id and init pid. */
export async function runContainer(
  image: string,
  name: string,
  extra: string[] = [],
): Promise<{ id: string; pid: number }> {
  const id = await podman('run', '-d', '--name', name, ...RUN_FLAGS, ...extra, image);
  const pid = Number(await podman('inspect', '--format', '{{.State.Pid}}', id));
  return { id, pid };
}

export async function containerStatus(id: string): Promise<string> {
  return podman('inspect', '--format', '{{.State.Status}}', id);
}

export async function removeQuietly(containers: string[], images: string[]): Promise<void> {
  for (const c of containers) await run('podman', ['rm', '-f', '-t', '0', c]).catch(() => undefined);
  for (const i of images) await run('podman', ['rmi', '-f', i]).catch(() => undefined);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
