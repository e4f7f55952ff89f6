// Property tests: whatever bytes an image archive or layer holds, reading it ends in success or an
// InputError — never another exception, never a hang.

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeArtifact } from '../analyze-artifact.js';
import { dockerArchive, makeTar, ociArchive, testAnalyzers } from '../artifact/__fixtures__/image-builder.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scanBytes(bytes: Uint8Array): Promise<void> {
  const file = path.join(dir, `f${counter++}.tar`);
  await writeFile(file, bytes);
  try {
    await analyzeArtifact('image', file, { analyzers: testAnalyzers, tempDir: path.join(dir, 'tmp') });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  } finally {
    await rm(file, { force: true });
  }
}

async function sampleImages(): Promise<Buffer[]> {
  const layers = [
    await makeTar([
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID=12\n' },
      { name: 'var/pkgs.txt', content: 'a 1\nb 2\n' },
    ]),
    await makeTar([
      { name: 'var/.wh.pkgs.txt', content: '' },
      { name: 'x/pkgs.txt', content: 'c 3\n' },
    ]),
  ];
  return [
    await dockerArchive({ layers, compression: 'none' }),
    await dockerArchive({ layers, compression: 'gzip' }),
    await ociArchive({ layers, compression: 'zstd' }),
  ];
}

describe('archive fuzzing', () => {
  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), scanBytes), { numRuns: 150 });
  });

  it('real archives with mutated bytes or truncated', async () => {
    const images = await sampleImages();
    const mutation = fc.record({
      image: fc.integer({ min: 0, max: images.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ image, edits, cut }) => {
        const bytes = Buffer.from(images[image]!);
        for (const [pos, value] of edits) bytes[pos % bytes.length] = value;
        await scanBytes(cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary JSON as manifest.json and config', async () => {
    const layer = await makeTar([{ name: 'pkgs.txt', content: 'a 1\n' }]);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (manifest, config) => {
        const archive = await makeTar([
          { name: 'l.tar', content: layer },
          { name: 'c.json', content: JSON.stringify(config) ?? 'null' },
          { name: 'manifest.json', content: JSON.stringify(manifest) ?? 'null' },
        ]);
        await scanBytes(archive);
        const wrapped = await makeTar([
          { name: 'l.tar', content: layer },
          { name: 'c.json', content: JSON.stringify(config) ?? 'null' },
          {
            name: 'manifest.json',
            content: JSON.stringify([{ Config: 'c.json', Layers: ['l.tar'], RepoTags: manifest }]),
          },
        ]);
        await scanBytes(wrapped);
      }),
      { numRuns: 100 },
    );
  });

  it('arbitrary JSON as OCI index.json and image manifest', async () => {
    const layer = await makeTar([{ name: 'pkgs.txt', content: 'a 1\n' }]);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (index, manifest) => {
        const manifestBytes = Buffer.from(JSON.stringify(manifest) ?? 'null');
        const digest = createHash('sha256').update(manifestBytes).digest('hex');
        const indexDoc = { manifests: [{ digest: `sha256:${digest}`, annotations: index }] };
        await scanBytes(
          await makeTar([
            { name: 'oci-layout', content: '{}' },
            { name: 'index.json', content: JSON.stringify(index) ?? 'null' },
            { name: 'blobs/sha256/l', content: layer },
          ]),
        );
        await scanBytes(
          await makeTar([
            { name: 'oci-layout', content: '{}' },
            { name: 'index.json', content: JSON.stringify(indexDoc) },
            { name: `blobs/sha256/${digest}`, content: manifestBytes },
          ]),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes as a layer of a valid archive', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(0, 1, 2), async (layerBytes, magic) => {
        const prefix = [Buffer.alloc(0), Buffer.from([0x1f, 0x8b]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])][magic]!;
        const archive = await makeTar([
          { name: 'l.tar', content: Buffer.concat([prefix, layerBytes]) },
          { name: 'c.json', content: '{}' },
          { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l.tar'] }]) },
        ]);
        await scanBytes(archive);
      }),
      { numRuns: 200 },
    );
  });

  it('sanity: an unmutated sample succeeds', async () => {
    const [image] = await sampleImages();
    const file = path.join(dir, 'ok.tar');
    await writeFile(file, image!);
    const a = await analyzeArtifact('image', file, { analyzers: testAnalyzers, tempDir: path.join(dir, 'tmp') });
    expect(a.packageSets[0]!.packages.map((p) => p.name)).toEqual(['c']);
  });
});
