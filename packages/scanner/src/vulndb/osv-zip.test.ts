import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { makeZip } from '../../../../test-support/zip.js';
import { DEFAULT_ZIP_LIMITS, isUnsafeEntryName, readZipJsonEntries } from './osv-zip.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(file: string, limits = DEFAULT_ZIP_LIMITS): Promise<string[]> {
  const names: string[] = [];
  for await (const e of readZipJsonEntries(file, limits)) names.push(`${e.name}=${e.content.length}`);
  return names;
}

async function zipFile(name: string, content: Buffer): Promise<string> {
  const f = path.join(dir, name);
  await writeFile(f, content);
  return f;
}

describe('readZipJsonEntries', () => {
  it('reads every record of a real OSV dump', async () => {
    const names = await collect(sharedDataPath('osv', 'crates.io', 'all.zip'));
    expect(names).toHaveLength(1206);
    expect(names.some((n) => n.startsWith('RUSTSEC-2021-0078.json='))).toBe(true);
  });

  it('yields only .json entries, with their content', async () => {
    const f = await zipFile(
      'ok.zip',
      makeZip([
        { name: 'a/A-1.json', data: '{"id":"A-1"}' },
        { name: 'notes.txt', data: 'skip me' },
      ]),
    );
    const out: string[] = [];
    for await (const e of readZipJsonEntries(f)) out.push(`${e.name}:${e.content.toString()}`);
    expect(out).toEqual(['a/A-1.json:{"id":"A-1"}']);
  });

  it.each(['../evil.json', '/etc/evil.json', 'a/../../evil.json', 'C:/evil.json'])(
    'rejects the unsafe entry name %s',
    async (name) => {
      const f = await zipFile('unsafe.zip', makeZip([{ name, data: '{}' }]));
      await expect(collect(f)).rejects.toThrow(/unsafe entry name/);
      expect(isUnsafeEntryName(name)).toBe(true);
    },
  );

  it('rejects an entry that inflates beyond what it declares (zip bomb)', async () => {
    const f = await zipFile(
      'bomb.zip',
      makeZip([{ name: 'bomb.json', data: Buffer.alloc(5_000_000, 0x20), declaredSize: 100 }]),
    );
    await expect(collect(f)).rejects.toThrow(/bomb\.json.*cannot inflate|bomb\.json.*inflates/);
  });

  it('rejects entries and archives over the size limits before inflating', async () => {
    const big = await zipFile('big.zip', makeZip([{ name: 'big.json', data: Buffer.alloc(2000, 0x20) }]));
    await expect(collect(big, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 1000 })).rejects.toThrow(
      /declares 2000 bytes, more than the limit of 1000/,
    );
    const many = await zipFile(
      'many.zip',
      makeZip(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.json`, data: Buffer.alloc(400, 0x20) }))),
    );
    await expect(collect(many, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 1000 })).rejects.toThrow(
      /declares 2000 bytes inflated/,
    );
    await expect(collect(many, { ...DEFAULT_ZIP_LIMITS, maxEntries: 4 })).rejects.toThrow(/5 entries/);
  });

  it('rejects truncated and corrupt archives with an InputError naming the file', async () => {
    const good = makeZip([{ name: 'a.json', data: '{"id":"A-1","modified":"2024-01-01T00:00:00Z"}' }]);
    const truncated = await zipFile('truncated.zip', good.subarray(0, good.length - 30));
    await expect(collect(truncated)).rejects.toThrow(/truncated\.zip: not a readable zip archive/);
    const flipped = Buffer.from(good);
    flipped[40] = (flipped[40] ?? 0) ^ 0xff; // inside the deflated data
    const corrupt = await zipFile('corrupt.zip', flipped);
    await expect(collect(corrupt)).rejects.toThrow(InputError);
    const notZip = await zipFile('text.zip', Buffer.from('hello, not a zip'));
    await expect(collect(notZip)).rejects.toThrow(/text\.zip: not a readable zip archive/);
  });
});
