import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError, NotFoundError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeArtifact } from '../../analyze-artifact.js';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import {
  type Compression,
  compress,
  dockerArchive,
  makeTar,
  ociArchive,
  recordingAnalyzer,
  testAnalyzers,
  writeOciLayout,
} from '../__fixtures__/image-builder.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function save(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

function scan(target: string, extra: Partial<Parameters<typeof analyzeArtifact>[2]> = {}): Promise<ArtifactAnalysis> {
  return analyzeArtifact('image', target, { analyzers: testAnalyzers, tempDir: path.join(dir, 'tmp'), ...extra });
}

function pkgs(a: ArtifactAnalysis): string[] {
  return a.packageSets.flatMap((s) => s.packages.map((p) => `${p.name}@${p.version}:L${p.layer?.index}`)).sort();
}

/** Three layers: base OS + packages; an upgrade that deletes a file and rewrites the db; an app. */
async function threeLayerImage() {
  return [
    await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'var/lib/pkgs.txt', content: 'libc 1\nopenssl 3.0\nbash 5\n' },
      { name: 'opt/old/pkgs.txt', content: 'legacy 0.1\n' },
      { name: 'srv/app/pkgs.txt', content: 'srvpkg 1\n' },
    ]),
    await makeTar([
      // openssl upgraded, bash removed, curl added: the db is rewritten as a whole.
      { name: 'var/lib/pkgs.txt', content: 'libc 1\nopenssl 3.1\ncurl 8\n' },
      { name: 'opt/.wh.old', content: '' },
      { name: 'srv/app/.wh..wh..opq', content: '' },
      { name: 'srv/app/new-pkgs.txt', content: 'newsrv 2\n' },
    ]),
    await makeTar([
      { name: 'var/lib/pkgs.txt', content: 'libc 1\nopenssl 3.1\ncurl 8\nzlib 1.3\n' },
      { name: 'app/requirements.lock', content: 'flask==3.0.0\n' },
    ]),
  ];
}

describe('image layers applied like a container sees them', () => {
  for (const compression of ['none', 'gzip', 'zstd'] as Compression[]) {
    it(`docker-archive with ${compression} layers: whiteouts, opaque dirs and layer attribution`, async () => {
      const layers = await threeLayerImage();
      const file = await save(`three-${compression}.tar`, await dockerArchive({ layers, compression }));
      const a = await scan(file);
      expect(a.artifact.os).toEqual({ family: 'debian', version: '12' });
      expect(pkgs(a)).toEqual([
        'curl@8:L1',
        'flask@3.0.0:L2',
        'libc@1:L0',
        'newsrv@2:L1',
        'openssl@3.1:L1',
        'zlib@1.3:L2',
      ]);
      // OS package sets of one type merge into one; the lockfile stays its own set.
      expect(a.packageSets.map((s) => [s.class, s.type])).toEqual([
        ['os-pkgs', 'txt'],
        ['lang-pkgs', 'pip'],
      ]);
      const flask = a.packageSets[1]!.packages[0]!;
      expect(flask.filePath).toBe('app/requirements.lock');
      expect(flask.layer?.createdBy).toBe('step 2');
      expect(flask.layer?.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(a.warnings).toEqual([]);
    });
  }

  it('a package removed and re-added is attributed to the layer that re-added it', async () => {
    const layers = [
      await makeTar([{ name: 'pkgs.txt', content: 'a 1\nb 1\n' }]),
      await makeTar([{ name: 'pkgs.txt', content: 'a 1\n' }]),
      await makeTar([{ name: 'pkgs.txt', content: 'a 1\nb 1\n' }]),
    ];
    const a = await scan(await save('readd.tar', await dockerArchive({ layers })));
    expect(pkgs(a)).toEqual(['a@1:L0', 'b@1:L2']);
  });

  it('a whiteout of a file then a fresh copy restarts attribution at the new layer', async () => {
    const layers = [
      await makeTar([{ name: 'x/pkgs.txt', content: 'a 1\n' }]),
      await makeTar([{ name: 'x/.wh.pkgs.txt', content: '' }]),
      await makeTar([{ name: 'x/pkgs.txt', content: 'a 1\n' }]),
    ];
    const a = await scan(await save('wh-readd.tar', await dockerArchive({ layers })));
    expect(pkgs(a)).toEqual(['a@1:L2']);
  });

  it('a lower file replaced by a symlink or directory no longer counts', async () => {
    const layers = [
      await makeTar([
        { name: 'a/pkgs.txt', content: 'a 1\n' },
        { name: 'b/pkgs.txt', content: 'b 1\n' },
      ]),
      await makeTar([
        { name: 'a/pkgs.txt', type: 'symlink', linkname: '/dev/null' },
        { name: 'b/pkgs.txt', type: 'directory' },
      ]),
    ];
    const a = await scan(await save('replaced.tar', await dockerArchive({ layers })));
    expect(pkgs(a)).toEqual([]);
  });

  it('reads image metadata: id, tags, config, history without empty layers', async () => {
    const layers = [await makeTar([{ name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' }])];
    const file = await save(
      'meta.tar',
      await dockerArchive({
        layers,
        repoTags: ['registry.example/app:2'],
        config: {
          User: 'app',
          Env: ['PATH=/usr/bin', 'SECRET=x'],
          ExposedPorts: { '8080/tcp': {} },
          Entrypoint: ['/app'],
          Cmd: ['--serve'],
          WorkingDir: '/srv',
          Labels: { maintainer: 'me' },
        },
        history: [{ created_by: 'ENV A=1', empty_layer: true }, { created_by: 'ADD rootfs /' }],
      }),
    );
    const a = await scan(file);
    const image = a.artifact.image!;
    expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.repoTags).toEqual(['registry.example/app:2']);
    expect(image.layers).toHaveLength(1);
    expect(image.layers[0]!.createdBy).toBe('ADD rootfs /');
    expect(image.architecture).toBe('amd64');
    expect(image.config).toEqual({
      user: 'app',
      env: ['PATH=/usr/bin', 'SECRET=x'],
      exposedPorts: ['8080/tcp'],
      entrypoint: ['/app'],
      cmd: ['--serve'],
      workingDir: '/srv',
      labels: { maintainer: 'me' },
    });
    expect(a.artifact).toMatchObject({ name: file, type: 'image', os: { family: 'alpine', version: '3.19.1' } });
  });

  it('reads OCI archives and OCI layout directories with digests on layers', async () => {
    const layers = await threeLayerImage();
    const archive = await save(
      'three-oci.tar',
      await ociArchive({ layers, compression: 'gzip', repoTags: ['oci/x:1'] }),
    );
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, { layers, compression: 'zstd' });
    for (const target of [archive, layout]) {
      const a = await scan(target);
      expect(pkgs(a)).toContain('openssl@3.1:L1');
      expect(pkgs(a)).toHaveLength(6);
      expect(a.artifact.image!.layers.every((l) => /^sha256:[0-9a-f]{64}$/.test(l.digest ?? ''))).toBe(true);
    }
    expect((await scan(archive)).artifact.image!.repoTags).toEqual(['oci/x:1']);
  });

  it('reads a gzip- or zstd-compressed docker-archive (docker save | gzip) and removes its temp copy', async () => {
    const layers = await threeLayerImage();
    const archive = await dockerArchive({ layers });
    for (const c of ['gzip', 'zstd'] as Compression[]) {
      const tempDir = path.join(dir, `tmp-${c}`);
      const a = await scan(await save(`three.tar.${c}`, compress(archive, c)), { tempDir });
      expect(pkgs(a)).toHaveLength(6);
      expect(await readdir(tempDir)).toEqual([]);
    }
  });

  it('reports file progress every 1000 files with the layer being read', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ name: `f/${i}`, content: 'ab' }));
    const layers = [await makeTar([{ name: 'a', content: 'x' }]), await makeTar(many)];
    const events: string[] = [];
    await scan(await save('many.tar', await dockerArchive({ layers })), {
      onProgress: (p) => events.push(`${p.phase}:${p.layerIndex}/${p.layerCount}:${p.files}:${p.bytes}`),
    });
    expect(events).toEqual([
      'layer:0/2:0:0',
      'layer:1/2:1:1',
      'file:1/2:1000:1999',
      'file:1/2:2000:3999',
      'analyze:undefined/2:2501:5001',
    ]);
  });

  it('honours skip rules and reports progress per layer', async () => {
    const layers = await threeLayerImage();
    const file = await save('skip.tar', await dockerArchive({ layers }));
    const progress: string[] = [];
    const a = await scan(file, {
      skipDirs: ['app'],
      skipFiles: ['**/new-pkgs.txt'],
      onProgress: (p) => progress.push(`${p.phase}${p.layerIndex ?? ''}`),
    });
    expect(pkgs(a)).toEqual(['curl@8:L1', 'libc@1:L0', 'openssl@3.1:L1', 'zlib@1.3:L2']);
    expect(progress).toEqual(['layer0', 'layer1', 'layer2', 'analyze']);
  });
});

describe('hostile and broken images', () => {
  it('normalises absolute and ./ entries and refuses entries that climb out of the root', async () => {
    const rec = recordingAnalyzer();
    const layer = await makeTar([
      { name: '/abs/pkgs.txt', content: 'abs 1\n' },
      { name: './dot/file', content: 'x' },
      { name: '../escape/pkgs.txt', content: 'evil 1\n' },
      { name: 'a/../../escape2', content: 'evil' },
      { name: 'ok/../fine', content: 'y' },
    ]);
    const a = await scan(await save('traversal.tar', await dockerArchive({ layers: [layer] })), {
      analyzers: [...testAnalyzers, rec],
    });
    expect([...rec.seen.keys()].sort()).toEqual(['abs/pkgs.txt', 'dot/file', 'fine']);
    expect(pkgs(a)).toEqual(['abs@1:L0']);
    expect(a.warnings.filter((w) => w.includes('outside the root'))).toHaveLength(2);
  });

  it('gives a hard link the content of its target in the same layer; refuses links out of the root', async () => {
    const layer = await makeTar([
      { name: 'data/pkgs.txt', content: 'h 1\n' },
      { name: 'copy/pkgs.txt', type: 'link', linkname: 'data/pkgs.txt' },
      { name: 'evil/pkgs.txt', type: 'link', linkname: '../../etc/shadow' },
    ]);
    const a = await scan(await save('hardlink.tar', await dockerArchive({ layers: [layer] })));
    expect(a.packageSets[0]!.packages.map((p) => p.filePath).sort()).toEqual(['copy/pkgs.txt', 'data/pkgs.txt']);
    expect(a.warnings.some((w) => w.includes('evil/pkgs.txt') && w.includes('outside the root'))).toBe(true);
  });

  it('a truncated layer is an InputError naming the archive and the layer', async () => {
    const layer = await makeTar([{ name: 'pkgs.txt', content: 'a 1\n'.repeat(2000) }]);
    const gz = gzipSync(layer);
    const archive = await makeTar([
      { name: 'cfg.json', content: JSON.stringify({ rootfs: { diff_ids: [] } }) },
      { name: 'l0.tar', content: gz.subarray(0, gz.length >> 1) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'cfg.json', Layers: ['l0.tar'] }]) },
    ]);
    const file = await save('truncated-layer.tar', archive);
    const err = await scan(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('layer 0');
    expect((err as Error).message).toContain(file);
  });

  it('a truncated or corrupt outer archive is an InputError', async () => {
    const full = await dockerArchive({ layers: [await makeTar([{ name: 'pkgs.txt', content: 'a 1\n' }])] });
    const truncated = await save('truncated.tar', full.subarray(0, full.length - 2048));
    await expect(scan(truncated)).rejects.toBeInstanceOf(InputError);
    const corrupt = Buffer.from(full);
    corrupt[100] = 0x7a; // inside the first header: breaks its checksum
    await expect(scan(await save('corrupt.tar', corrupt))).rejects.toThrow(/corrupt tar header/);
  });

  it('unknown formats get a clear error', async () => {
    const noise = await save('noise.bin', Buffer.from('this is not an archive at all'.repeat(40)));
    await expect(scan(noise)).rejects.toThrow(/not a docker-archive, OCI archive or OCI layout/);
    const plainTar = await save('plain.tar', await makeTar([{ name: 'hello.txt', content: 'hi' }]));
    await expect(scan(plainTar)).rejects.toThrow(`not a docker-archive, OCI archive or OCI layout: ${plainTar}`);
    await expect(scan(dir)).rejects.toThrow(/not a docker-archive, OCI archive or OCI layout/);
    await expect(scan(path.join(dir, 'missing.tar'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stops a gzip bomb at the byte cap', async () => {
    const layer = await makeTar([{ name: 'zeros', content: Buffer.alloc(8 * 1024 * 1024) }]);
    const file = await save('bomb.tar', await dockerArchive({ layers: [layer], compression: 'gzip' }));
    await expect(scan(file, { maxArchiveBytes: 1024 * 1024 })).rejects.toThrow(/decompression-bomb guard/);
    // The same image is fine under the default cap.
    await expect(scan(file)).resolves.toBeDefined();
  });

  it('stops a high-ratio zstd bomb by its compression ratio', async () => {
    const layer = await makeTar([{ name: 'zeros', content: Buffer.alloc(300 * 1024 * 1024) }]);
    const file = await save('ratio-bomb.tar', await dockerArchive({ layers: [layer], compression: 'zstd' }));
    await expect(scan(file)).rejects.toThrow(/compression ratio above/);
  });

  it('files over the size limit are skipped with one warning each', async () => {
    const layer = await makeTar([
      { name: 'big/pkgs.txt', content: `${'x 1\n'.repeat(1000)}` },
      { name: 'small/pkgs.txt', content: 'y 1\n' },
    ]);
    const a = await scan(await save('big.tar', await dockerArchive({ layers: [layer] })), { maxFileSize: 1000 });
    expect(pkgs(a)).toEqual(['y@1:L0']);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toMatch(/layer 0: big\/pkgs\.txt: 4000 bytes is over the 1000-byte file size limit/);
  });

  it('an analyzer that throws becomes a warning, not a failed scan', async () => {
    const layer = await makeTar([{ name: 'pkgs.txt', content: 'a 1\n' }]);
    const a = await scan(await save('throws.tar', await dockerArchive({ layers: [layer] })), {
      analyzers: [
        ...testAnalyzers,
        {
          name: 'broken',
          category: 'pkg',
          required: (p) => p === 'pkgs.txt',
          analyze: async () => {
            throw new Error('boom');
          },
        },
      ],
    });
    expect(pkgs(a)).toEqual(['a@1:L0']);
    expect(a.warnings).toEqual(['layer 0: pkgs.txt: analyzer broken failed: boom']);
  });
});
