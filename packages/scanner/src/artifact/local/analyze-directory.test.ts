import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotFoundError, UsageError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../../test-support/paths.js';
import { analyzeArtifact } from '../../analyze-artifact.js';
import type { Analyzer } from '../../analyzer/types.js';
import { recordingAnalyzer, testAnalyzers } from '../__fixtures__/image-builder.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-dir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(root: string, files: Record<string, string>): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return root;
}

const opts = (analyzers: readonly Analyzer[] = testAnalyzers) => ({ analyzers, tempDir: path.join(dir, 'tmp') });

describe('rootfs', () => {
  it('reads OS and packages, without layers, and skips proc/sys/dev/run', async () => {
    const root = await tree(path.join(dir, 'rootfs1'), {
      'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
      'var/lib/pkgs.txt': 'libc 1\n',
      'proc/1/pkgs.txt': 'ghost 1\n',
      'sys/pkgs.txt': 'ghost 2\n',
      'run/pkgs.txt': 'ghost 3\n',
      'usr/app/requirements.lock': 'django==5.0\n',
    });
    const a = await analyzeArtifact('rootfs', root, opts());
    expect(a.artifact).toMatchObject({ name: root, type: 'rootfs', os: { family: 'debian', version: '12' } });
    expect(a.packageSets.map((s) => [s.type, s.packages.map((p) => p.name)])).toEqual([
      ['txt', ['libc']],
      ['pip', ['django']],
    ]);
    expect(a.packageSets[0]!.packages[0]!.layer).toBeUndefined();
    expect(a.warnings).toEqual([]);
  });

  it('skips a 10 GB sparse file by size without reading it', async () => {
    const root = await tree(path.join(dir, 'rootfs-sparse'), { 'etc/os-release': 'ID=debian\nVERSION_ID=12\n' });
    await truncate(path.join(root, 'etc/huge.img'), 10 * 1024 ** 3).catch(async () => {
      await writeFile(path.join(root, 'etc/huge.img'), '');
      await truncate(path.join(root, 'etc/huge.img'), 10 * 1024 ** 3);
    });
    const rec = recordingAnalyzer();
    const a = await analyzeArtifact('rootfs', root, opts([rec]));
    expect([...rec.seen.keys()]).toEqual(['etc/os-release']);
    expect(a.warnings).toEqual([
      `etc/huge.img: ${10 * 1024 ** 3} bytes is over the ${256 * 1024 * 1024}-byte file size limit; not analyzed`,
    ]);
  });

  it('never follows symlinks: loops and links out of the root are harmless', async () => {
    const root = await tree(path.join(dir, 'rootfs-links'), { 'a/pkgs.txt': 'a 1\n' });
    const outside = await tree(path.join(dir, 'outside'), { 'pkgs.txt': 'secret 1\n' });
    await symlink('..', path.join(root, 'a/loop'));
    await symlink(path.join(root, 'a'), path.join(root, 'self'));
    await symlink(outside, path.join(root, 'escape-dir'));
    await symlink(path.join(outside, 'pkgs.txt'), path.join(root, 'escape-pkgs.txt'));
    const a = await analyzeArtifact('rootfs', root, opts());
    expect(a.packageSets.flatMap((s) => s.packages.map((p) => `${p.filePath}:${p.name}`))).toEqual(['a/pkgs.txt:a']);
  });

  it('a file that cannot be read becomes a warning and the walk goes on', async () => {
    const root = await tree(path.join(dir, 'rootfs-unreadable'), {
      'gone/pkgs.txt': 'x 1\n',
      'ok/pkgs.txt': 'ok 1\n',
    });
    // Root reads any mode, so unreadability is made real by removing the file between listing and reading.
    const vanishing: Analyzer = {
      ...testAnalyzers[1]!,
      required(p, info) {
        if (p === 'gone/pkgs.txt') execFileSync('rm', [path.join(root, p)]);
        return testAnalyzers[1]!.required(p, info);
      },
    };
    const a = await analyzeArtifact('rootfs', root, opts([vanishing]));
    expect(a.packageSets[0]!.packages.map((p) => p.name)).toEqual(['ok']);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toMatch(/cannot read .*gone\/pkgs\.txt: ENOENT/);
  });

  it('unreadable files and directories become warnings (as root: drops to uid 65534 for the walk)', async () => {
    const root = await tree(path.join(dir, 'rootfs-perm'), {
      'locked/pkgs.txt': 'x 1\n',
      'secret/pkgs.txt': 'z 1\n',
      'open/pkgs.txt': 'y 1\n',
    });
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    execFileSync('chmod', ['000', path.join(root, 'locked')]);
    execFileSync('chmod', ['000', path.join(root, 'secret/pkgs.txt')]);
    // chmod does not stop root, so the walk runs with an unprivileged effective uid (this worker process only).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    let a: Awaited<ReturnType<typeof analyzeArtifact>>;
    try {
      a = await analyzeArtifact('rootfs', root, opts());
    } finally {
      if (asRoot) process.seteuid!(0);
      execFileSync('chmod', ['-R', 'u+rwX', root]);
    }
    expect(a.packageSets[0]!.packages.map((p) => p.name)).toEqual(['y']);
    expect(a.warnings.some((w) => w.startsWith('cannot read directory') && w.includes('locked'))).toBe(true);
    expect(a.warnings.some((w) => /cannot read .*secret\/pkgs\.txt: EACCES/.test(w))).toBe(true);
  });

  it('scans this machine\'s "/" (needs root for a full view): OS found, pseudo file systems not entered', async () => {
    const seen: string[] = [];
    const probe: Analyzer = {
      name: 'probe',
      category: 'os',
      required: (p) => {
        if (p.startsWith('proc/') || p.startsWith('sys/') || p.startsWith('dev/')) seen.push(p);
        return p === 'etc/os-release' || p === 'usr/lib/os-release';
      },
      analyze: async () => ({ os: { family: 'debian', version: 'probe' } }),
    };
    const a = await analyzeArtifact('rootfs', '/', {
      ...opts([probe]),
      // Big trees without pseudo file systems are skipped to keep the test short, the repository too.
      skipDirs: [
        path.relative('/', repoRoot),
        'work',
        'usr/lib/modules',
        'tmp',
        'var/lib/containers',
        'root',
        'home',
        'usr/share',
        'usr/lib/x86_64-linux-gnu',
        'usr/lib/python3',
        'opt',
      ],
    });
    expect(seen).toEqual([]);
    expect(a.artifact.os?.version).toBe('probe');
  }, 120_000);

  it('missing target and non-directory target', async () => {
    await expect(analyzeArtifact('rootfs', path.join(dir, 'nope'), opts())).rejects.toBeInstanceOf(NotFoundError);
    await writeFile(path.join(dir, 'file'), 'x');
    await expect(analyzeArtifact('fs', path.join(dir, 'file'), opts())).rejects.toBeInstanceOf(UsageError);
  });
});

describe('fs and repo', () => {
  it('fs skips .git and honours skip rules', async () => {
    const root = await tree(path.join(dir, 'src1'), {
      'requirements.lock': 'a==1\n',
      '.git/requirements.lock': 'hidden==1\n',
      'sub/.git/requirements.lock': 'hidden==2\n',
      'vendor/requirements.lock': 'vendored==1\n',
      'test/fixtures/requirements.lock': 'fixture==1\n',
      'svc/requirements.lock': 'svc==2\n',
    });
    const a = await analyzeArtifact('fs', root, { ...opts(), skipDirs: ['vendor', '**/fixtures'] });
    expect(a.artifact.type).toBe('filesystem');
    expect(a.packageSets.map((s) => `${s.filePath}:${s.packages[0]!.name}`)).toEqual([
      'requirements.lock:a',
      'svc/requirements.lock:svc',
    ]);
  });

  it('repo records the checked-out commit and branch from a real git repository', async () => {
    const root = await tree(path.join(dir, 'repo1'), { 'requirements.lock': 'a==1\n' });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@e', '-c', 'user.name=t', ...args], { cwd: root })
        .toString()
        .trim();
    git('init', '-q', '-b', 'trunk');
    git('add', '.');
    git('commit', '-q', '-m', 'init');
    const commit = git('rev-parse', 'HEAD');
    const a = await analyzeArtifact('repo', root, opts());
    expect(a.artifact).toMatchObject({ type: 'repository', repository: { commit, branch: 'trunk' } });
    git('pack-refs', '--all');
    const packed = await analyzeArtifact('repo', root, opts());
    expect(packed.artifact.repository).toEqual({ commit, branch: 'trunk' });
  });

  it('the walk sees every file of a wide, deep tree exactly once', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) for (let j = 0; j < 10; j++) files[`d${i}/e${j % 3}/f${j}.txt`] = `${i}-${j}`;
    const root = await tree(path.join(dir, 'wide'), files);
    await unlink(path.join(root, 'd0/e0/f0.txt'));
    const rec = recordingAnalyzer();
    await analyzeArtifact('fs', root, opts([rec]));
    expect(rec.seen.size).toBe(399);
  });
});
