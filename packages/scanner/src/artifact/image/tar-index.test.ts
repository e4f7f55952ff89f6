import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar } from '../__fixtures__/image-builder.js';
import { tarBlobSource } from './blob-source.js';
import { TarIndex } from './tar-index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-tarindex-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TarIndex', () => {
  it('indexes long names (ustar prefix and PAX), links inside the archive, and reads at offsets', async () => {
    const longDir = `${'d'.repeat(120)}/${'e'.repeat(120)}`;
    const file = path.join(dir, 'a.tar');
    await writeFile(
      file,
      await makeTar([
        { name: `${longDir}/blob`, content: 'hello blob' },
        { name: `${'prefix/'.repeat(20)}x`, content: 'deep' },
        { name: 'sub/layer.tar', type: 'symlink', linkname: `../${longDir}/blob` },
        { name: 'hard', type: 'link', linkname: `${longDir}/blob` },
        { name: 'escape', type: 'symlink', linkname: '../../etc/passwd' },
        { name: 'loop-a', type: 'symlink', linkname: 'loop-b' },
        { name: 'loop-b', type: 'symlink', linkname: 'loop-a' },
      ]),
    );
    const index = await TarIndex.build(file);
    const source = tarBlobSource(index);
    expect((await source.read(`${longDir}/blob`, 100)).toString()).toBe('hello blob');
    expect((await source.read(`${'prefix/'.repeat(20)}x`, 100)).toString()).toBe('deep');
    expect((await source.read('sub/layer.tar', 100)).toString()).toBe('hello blob');
    expect((await source.read('hard', 100)).toString()).toBe('hello blob');
    expect(index.resolve('escape')).toBeUndefined();
    expect(index.resolve('loop-a')).toBeUndefined();
    await expect(source.read(`${longDir}/blob`, 5)).rejects.toThrow(/too large to be metadata/);
    let streamed = '';
    for await (const chunk of source.stream('sub/layer.tar')) streamed += String(chunk);
    expect(streamed).toBe('hello blob');
  });

  it('refuses empty files, bad checksums and entries running past the end', async () => {
    const empty = path.join(dir, 'empty.tar');
    await writeFile(empty, '');
    await expect(TarIndex.build(empty)).rejects.toThrow(InputError);
    const good = await makeTar([{ name: 'x', content: 'y'.repeat(5000) }]);
    const cut = path.join(dir, 'cut.tar');
    await writeFile(cut, good.subarray(0, 2048));
    await expect(TarIndex.build(cut)).rejects.toThrow(/truncated tar/);
  });
});
