// Test support for real podman containers (root, podman with runc): a tiny busybox image imported
// from a rootfs tarball, sleeper containers started with this VM's runtime flags, quiet removal, and
// a poll that waits for a value. Callers pick unique image and container names per test file.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RUN_FLAGS } from '../packages/runtime/src/enrich/__fixtures__/podman-test-image.js';

/**
 * The runtime flags every container on this VM needs (runc, bounded file and process counts): the
 * runtime fixture's, without its `--network none`, since discovery tests need podman's network.
 */
const networkAt = RUN_FLAGS.indexOf('--network');
export const PODMAN_RUNTIME_FLAGS =
  networkAt < 0 ? RUN_FLAGS : [...RUN_FLAGS.slice(0, networkAt), ...RUN_FLAGS.slice(networkAt + 2)];

/** Runs podman and returns its trimmed stdout; throws (with stderr) when it fails. */
export function podman(...args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Imports `image`: a rootfs holding only busybox (Debian busybox-static) and /bin/sleep, built in `dir`. */
export function importBusyboxImage(dir: string, image: string): void {
  const root = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(root, 'bin/sleep'));
  execFileSync('tar', ['-C', root, '-cf', path.join(dir, 'rootfs.tar'), '.']);
  podman('import', path.join(dir, 'rootfs.tar'), image);
}

export interface SleeperOptions {
  readonly labels?: Record<string, string>;
  /** podman's --network (e.g. 'none'); podman's default network when absent. */
  readonly network?: string;
}

/** Starts `name` from `image` running `sleep 600`, detached; returns the container id. */
export function runSleeper(image: string, name: string, options: SleeperOptions = {}): string {
  return podman(
    'run',
    '-d',
    ...PODMAN_RUNTIME_FLAGS,
    ...(options.network ? ['--network', options.network] : []),
    ...['--name', name],
    ...Object.entries(options.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    image,
    '/bin/sleep',
    '600',
  );
}

/** Removes containers and images, ignoring ones that are already gone (for afterAll). */
export function removeQuietly(containers: string[], images: string[]): void {
  for (const c of containers) execFileSync('podman', ['rm', '-f', '-t', '0', c], { stdio: 'ignore' });
  for (const i of images) execFileSync('podman', ['rmi', '-f', i], { stdio: 'ignore' });
}

/** Polls `probe` every 50 ms until it returns a value (at most `tries` times), else throws naming `what`. */
export async function until<T>(probe: () => T | undefined, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
