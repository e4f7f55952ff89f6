// Streams one tar layer (already decompressed) entry by entry into a LayerVisitor: normalises
// names, turns whiteouts into deletions, resolves hard links it can, and never writes to disk.

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage, InputError } from '@palisade/core';
import tarStream from 'tar-stream';
import { baseName, joinEntryPath, normalizeEntryPath, parentDir } from './entry-path.js';
import { type LayerVisitor, OPAQUE_MARKER, WHITEOUT_PREFIX } from './layer-visitor.js';

const S_IFREG = 0o100000;
/** Contents kept for hard links within one layer; past this, links to unread targets are reported instead. */
const MAX_RETAINED_BYTES = 64 * 1024 * 1024;

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Walks a tar stream. `label` names the layer and file in errors and warnings ("layer 2 of x.tar").
 * `stages` are transforms between the raw stream and the tar parser (decompression, bomb guard).
 */
export async function walkTarLayer(
  source: Readable,
  stages: NodeJS.ReadWriteStream[],
  visitor: LayerVisitor,
  label: string,
): Promise<void> {
  const extract = tarStream.extract();
  const retained = new Map<string, Buffer>();
  let retainedBytes = 0;

  const consume = async (): Promise<void> => {
    for await (const entry of extract) {
      const { header } = entry;
      const path = normalizeEntryPath(header.name);
      if (path === undefined) {
        visitor.warn(`${label}: entry "${header.name}" points outside the root; ignored`);
        entry.resume();
        continue;
      }
      if (path === '') {
        entry.resume();
        continue;
      }
      const name = baseName(path);
      if (name.startsWith(WHITEOUT_PREFIX)) {
        if (name === OPAQUE_MARKER) visitor.opaqueDir(parentDir(path));
        else visitor.whiteout(joinEntryPath(parentDir(path), name.slice(WHITEOUT_PREFIX.length)));
        entry.resume();
        continue;
      }
      visitor.entry(path);
      const mode = S_IFREG | ((header.mode ?? 0o644) & 0o7777);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        let read = false;
        await visitor.file(path, { size: header.size ?? 0, mode }, async () => {
          read = true;
          const content = await readAll(entry);
          if (retainedBytes + content.length <= MAX_RETAINED_BYTES) {
            retained.set(path, content);
            retainedBytes += content.length;
          }
          return content;
        });
        if (!read) entry.resume();
      } else if (header.type === 'link') {
        entry.resume();
        const target = normalizeEntryPath(header.linkname ?? '');
        if (target === undefined || target === '') {
          visitor.warn(`${label}: hard link "${header.name}" points outside the root; ignored`);
          continue;
        }
        const content = retained.get(target);
        if (content) await visitor.file(path, { size: content.length, mode }, async () => content);
        else visitor.unreadableLink(path, target);
      } else {
        entry.resume();
      }
    }
  };

  const piping = (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...stages, extract);
  const consuming = consume();
  // Both are awaited below; these keep the loser of a failure race from surfacing as unhandled.
  piping.catch(() => {});
  consuming.catch(() => {});
  try {
    await Promise.all([piping, consuming]);
  } catch (err) {
    source.destroy();
    extract.destroy();
    if (err instanceof InputError) throw err;
    throw new InputError(`${label}: corrupt or truncated tar: ${errorMessage(err)}`);
  }
}
