// Where an image's files (manifest.json, index.json, config and layer blobs) are read from: an
// indexed archive file (read at offsets) or an OCI layout directory. Nothing is extracted.

import { createReadStream } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '@palisade/core';
import { normalizeEntryPath } from '../../walker/entry-path.js';
import type { TarIndex } from './tar-index.js';

export interface BlobSource {
  /** The archive or directory, for messages. */
  readonly location: string;
  /** Size of the named file, or undefined when it is absent. */
  size(name: string): Promise<number | undefined>;
  /** Reads a small file whole (manifests, configs); refuses files larger than maxBytes. */
  read(name: string, maxBytes: number): Promise<Buffer>;
  /** The first `n` bytes (for compression magic). */
  head(name: string, n: number): Promise<Buffer>;
  stream(name: string): Readable;
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function tarBlobSource(index: TarIndex): BlobSource {
  const entry = (name: string) => {
    const e = index.resolve(name);
    if (!e) throw new InputError(`${index.file}: "${name}" is missing from the archive`);
    return e;
  };
  return {
    location: index.file,
    size: async (name) => index.resolve(name)?.size,
    async read(name, maxBytes) {
      const e = entry(name);
      if (e.size > maxBytes)
        throw new InputError(`${index.file}: "${name}" is ${e.size} bytes, too large to be metadata`);
      return readRange(index.file, e.offset, e.size);
    },
    head: async (name, n) => {
      const e = entry(name);
      return readRange(index.file, e.offset, Math.min(n, e.size));
    },
    stream(name) {
      const e = entry(name);
      if (e.size === 0) return Readable.from([]);
      return createReadStream(index.file, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 256 * 1024 });
    },
  };
}

export function directoryBlobSource(root: string): BlobSource {
  const resolve = (name: string): string => {
    const rel = normalizeEntryPath(name);
    if (rel === undefined || rel === '') throw new InputError(`${root}: "${name}" points outside the layout`);
    return path.join(root, rel);
  };
  const size = async (name: string): Promise<number | undefined> => {
    try {
      const st = await lstat(resolve(name));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  };
  const mustSize = async (name: string): Promise<number> => {
    const s = await size(name);
    if (s === undefined) throw new InputError(`${root}: "${name}" is missing from the layout`);
    return s;
  };
  return {
    location: root,
    size,
    async read(name, maxBytes) {
      const s = await mustSize(name);
      if (s > maxBytes) throw new InputError(`${root}: "${name}" is ${s} bytes, too large to be metadata`);
      return readRange(resolve(name), 0, s);
    },
    async head(name, n) {
      await mustSize(name);
      return readRange(resolve(name), 0, n);
    },
    stream: (name) => createReadStream(resolve(name), { highWaterMark: 256 * 1024 }),
  };
}
