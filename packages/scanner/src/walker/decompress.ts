// Picks a layer's or blob's decompressor from its magic bytes (gzip, zstd or none) and guards the
// output against decompression bombs: a total byte cap and a compression-ratio cap.

import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '@palisade/core';
import { Decompress as ZstdStream } from 'fzstd';
import { MAX_COMPRESSION_RATIO, RATIO_GUARD_MIN_BYTES } from './limits.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2 = [0x42, 0x5a, 0x68];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** Reads the compression from the first bytes; xz and bzip2 are named so the error says what was found. */
export function detectCompression(head: Uint8Array, label: string): Compression {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  if (startsWith(head, XZ)) throw new InputError(`${label}: xz compression is not supported`);
  if (startsWith(head, BZIP2)) throw new InputError(`${label}: bzip2 compression is not supported`);
  return 'none';
}

/** Counts uncompressed bytes; fails with InputError past the cap or past the ratio guard. */
class ByteBudget {
  total = 0;
  constructor(
    private readonly label: string,
    private readonly compressedSize: number,
    private readonly maxBytes: number,
  ) {}

  spend(n: number): void {
    this.total += n;
    if (this.total > this.maxBytes) {
      throw new InputError(
        `${this.label}: more than ${this.maxBytes} bytes after decompression (decompression-bomb guard)`,
      );
    }
    if (
      this.total > RATIO_GUARD_MIN_BYTES &&
      this.compressedSize > 0 &&
      this.total / this.compressedSize > MAX_COMPRESSION_RATIO
    ) {
      throw new InputError(
        `${this.label}: compression ratio above ${MAX_COMPRESSION_RATIO}:1 (decompression-bomb guard)`,
      );
    }
  }
}

class BudgetTransform extends Transform {
  constructor(private readonly budget: ByteBudget) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.budget.spend(chunk.length);
      cb(null, chunk);
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** fzstd is synchronous and can expand one input chunk enormously, so the budget is charged per output block. */
class ZstdTransform extends Transform {
  private readonly zstd: ZstdStream;
  constructor(budget: ByteBudget) {
    super();
    this.zstd = new ZstdStream((block) => {
      budget.spend(block.length);
      if (block.length > 0) this.push(Buffer.from(block));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.zstd.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.zstd.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** The transforms that turn a stored blob into its uncompressed bytes, with the bomb guard applied. */
export function createDecoder(
  compression: Compression,
  label: string,
  compressedSize: number,
  maxBytes: number,
): Transform[] {
  const budget = new ByteBudget(label, compressedSize, maxBytes);
  switch (compression) {
    case 'gzip':
      // Larger output chunks than zlib's 16 KiB default: fewer hops through the guard and the tar parser.
      return [createGunzip({ chunkSize: 128 * 1024 }), new BudgetTransform(budget)];
    case 'zstd':
      return [new ZstdTransform(budget)];
    case 'none':
      return [new BudgetTransform(budget)];
  }
}
