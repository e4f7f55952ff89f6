// The seam between walkers (tar layer, directory, zip) and what consumes their files: a walker
// reports entries in the order it meets them; the visitor decides which file contents to read.

import type { FileInfo } from '../analyzer/types.js';

export type ReadContent = () => Promise<Buffer>;

export interface LayerVisitor {
  /** Any entry (file, directory, link, device) at this path: it hides what lower layers had there. */
  entry(path: string): void;
  /** A regular file. Calling read() yields its content; not calling it lets the walker skip the bytes. */
  file(path: string, info: FileInfo, read: ReadContent): Promise<void>;
  /** A hard link whose target's content is not at hand (not read earlier in the same layer). */
  unreadableLink(path: string, target: string): void;
  /** `.wh.NAME`: the lower layers' NAME (and all below it) is deleted. */
  whiteout(path: string): void;
  /** `.wh..wh..opq`: the lower layers' content of this directory is hidden. */
  opaqueDir(dir: string): void;
  /** A non-fatal problem (refused entry, unreadable file). */
  warn(message: string): void;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** A file that could not be read from disk (permissions, vanished, I/O error): a warning, not a failure. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}
