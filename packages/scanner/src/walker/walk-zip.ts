// Streams the files of a zip (a serverless function package) into a LayerVisitor without
// extracting it: refuses zip-slip names and guards against zip bombs before inflating anything.

import type { Readable } from 'node:stream';
import { errorMessage, InputError } from '@palisade/core';
import yauzl from 'yauzl';
import { normalizeEntryPath } from './entry-path.js';
import type { LayerVisitor } from './layer-visitor.js';
import { MAX_COMPRESSION_RATIO, type WalkLimits } from './limits.js';
import type { SkipRules } from './skip-rules.js';

/** Entries smaller than this are never treated as bombs, whatever their ratio (small text compresses well). */
export const ZIP_RATIO_GUARD_MIN_BYTES = 64 * 1024 * 1024;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ZipWalkOptions {
  skip: SkipRules;
  limits: WalkLimits;
  /** Called once per entry name (normalised) before files are visited; lets callers see host.json etc. */
  onName?: (path: string) => void;
}

export async function walkZip(file: string, visitor: LayerVisitor, opts: ZipWalkOptions): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    // Raw names: yauzl's own name check aborts the whole archive on one "../" entry; we refuse the entry instead.
    zip = await yauzl.openPromise(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    throw new InputError(`${file}: not a readable zip archive: ${errorMessage(err)}`);
  }
  let declaredTotal = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const rawName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields ?? [],
        false,
      );
      const unixMode = (entry.externalFileAttributes >>> 16) & 0xffff;
      const type = unixMode & S_IFMT;
      if (rawName.endsWith('/') || type === S_IFDIR) continue;
      const path = normalizeEntryPath(rawName);
      if (path === undefined || path === '' || /^[A-Za-z]:/.test(rawName)) {
        visitor.warn(`${file}: zip entry "${rawName}" points outside the root (zip slip); ignored`);
        continue;
      }
      // Symlinks in zips are stored as files holding the target path; they are never followed.
      if (type === S_IFLNK) continue;
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > opts.limits.maxArchiveBytes) {
        throw new InputError(
          `${file}: more than ${opts.limits.maxArchiveBytes} bytes uncompressed in total (zip-bomb guard)`,
        );
      }
      if (
        entry.uncompressedSize > ZIP_RATIO_GUARD_MIN_BYTES &&
        entry.uncompressedSize / Math.max(entry.compressedSize, 1) > MAX_COMPRESSION_RATIO
      ) {
        throw new InputError(`${file}: entry "${path}" expands more than ${MAX_COMPRESSION_RATIO}:1 (zip-bomb guard)`);
      }
      opts.onName?.(path);
      if (opts.skip.skipFile(path)) continue;
      if (entry.isEncrypted()) {
        visitor.warn(`${file}: zip entry "${path}" is encrypted; not analyzed`);
        continue;
      }
      const mode = type === S_IFREG ? unixMode : S_IFREG | 0o644;
      await visitor.file(path, { size: entry.uncompressedSize, mode }, async () => {
        const stream = await zip.openReadStreamPromise(entry);
        return readAll(stream);
      });
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${file}: corrupt zip archive: ${errorMessage(err)}`);
  } finally {
    zip.close();
  }
}
