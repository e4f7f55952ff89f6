// Real images made by podman from local files (no pulls): import a tiny rootfs, add layers with
// `podman build` (RUN rm → whiteout, COPY → rewritten package db), then read every save format.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NotFoundError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeArtifact } from '../../analyze-artifact.js';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { makeTar, type TarFile, testAnalyzers } from '../__fixtures__/image-builder.js';

const run = promisify(execFile);
const podmanRun = ['--runtime', '/usr/sbin/runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const tag = `${process.pid}-${Date.now()}`;
const base = `localhost/palisade-h3-base-${tag}:1`;
const app = `localhost/palisade-h3-app-${tag}:1`;
let dir: string;

/** /bin/rm with the shared libraries it loads, so a RUN step can delete a file without a shell. */
async function rmWithLibraries(): Promise<TarFile[]> {
  const ldd = execFileSync('ldd', ['/bin/rm']).toString();
  const libs = [...ldd.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
  const files: TarFile[] = [{ name: 'bin/rm', content: await readFile('/bin/rm'), mode: 0o755 }];
  for (const lib of new Set(libs)) files.push({ name: lib.slice(1), content: await readFile(lib), mode: 0o755 });
  return files;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-podman-'));
  const rootfs = await makeTar([
    { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { name: 'var/lib/pkgs.txt', content: 'libc 1\nopenssl 3\n' },
    { name: 'opt/gone/pkgs.txt', content: 'gone 1\n' },
    ...(await rmWithLibraries()),
  ]);
  await writeFile(path.join(dir, 'rootfs.tar'), rootfs);
  await run('podman', ['import', path.join(dir, 'rootfs.tar'), base]);
  await writeFile(path.join(dir, 'pkgs.txt'), 'libc 1\nopenssl 3\ncurl 8\n');
  await writeFile(
    path.join(dir, 'Containerfile'),
    `FROM ${base}\nRUN ["/bin/rm", "-r", "/opt/gone"]\nCOPY pkgs.txt /var/lib/pkgs.txt\n`,
  );
  await run('podman', ['build', ...podmanRun, '--network', 'none', '-q', '-t', app, dir]);
  await run('podman', ['save', '--format', 'docker-archive', '-o', path.join(dir, 'docker.tar'), app]);
  await run('podman', ['save', '--format', 'oci-archive', '-o', path.join(dir, 'oci.tar'), app]);
  await run('podman', ['save', '--format', 'oci-dir', '-o', path.join(dir, 'oci-dir'), app]);
}, 120_000);

afterAll(async () => {
  await run('podman', ['rmi', '-f', app, base]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

function scan(target: string): Promise<ArtifactAnalysis> {
  return analyzeArtifact('image', target, { analyzers: testAnalyzers, tempDir: path.join(dir, 'tmp') });
}

function expectAppImage(a: ArtifactAnalysis): void {
  expect(a.artifact.os).toEqual({ family: 'debian', version: '12' });
  const pkgs = a.packageSets.flatMap((s) => s.packages.map((p) => `${p.name}:L${p.layer?.index}`)).sort();
  expect(pkgs).toEqual(['curl:L2', 'libc:L0', 'openssl:L0']);
  const layers = a.artifact.image!.layers;
  expect(layers).toHaveLength(3);
  expect(layers[1]!.createdBy).toContain('/bin/rm');
  expect(layers.every((l) => /^sha256:[0-9a-f]{64}$/.test(l.diffId ?? ''))).toBe(true);
  expect(a.artifact.image!.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(a.warnings).toEqual([]);
}

describe('podman-made images (needs root: podman and runc)', () => {
  it('docker-archive from podman save (needs root)', async () => {
    const a = await scan(path.join(dir, 'docker.tar'));
    expectAppImage(a);
    expect(a.artifact.image!.repoTags).toEqual([app]);
  });

  it('OCI archive from podman save --format oci-archive (needs root)', async () => {
    const a = await scan(path.join(dir, 'oci.tar'));
    expectAppImage(a);
    expect(a.artifact.image!.layers.every((l) => l.digest?.startsWith('sha256:'))).toBe(true);
  });

  it('OCI layout directory from podman save --format oci-dir (needs root)', async () => {
    expectAppImage(await scan(path.join(dir, 'oci-dir')));
  });

  it('podman:NAME reads the local image and cleans its temp archive (needs root)', async () => {
    const tempDir = path.join(dir, 'podman-tmp');
    const a = await analyzeArtifact('image', `podman:${app}`, { analyzers: testAnalyzers, tempDir });
    expectAppImage(a);
    expect(a.artifact.name).toBe(app);
    expect(execFileSync('ls', ['-A', tempDir]).toString()).toBe('');
  });

  it('podman:NAME for a missing image, or without podman, is NotFoundError (needs root)', async () => {
    await expect(
      analyzeArtifact('image', `podman:localhost/palisade-h3-missing-${tag}`, { analyzers: [], tempDir: dir }),
    ).rejects.toThrow(NotFoundError);
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(dir, 'empty-bin');
    try {
      await expect(analyzeArtifact('image', `podman:${app}`, { analyzers: [], tempDir: dir })).rejects.toThrow(
        /podman is not installed/,
      );
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
