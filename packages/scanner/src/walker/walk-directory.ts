// Walks a directory tree (rootfs, source tree) into a LayerVisitor with fs.opendir and bounded
// concurrency. Symlinks are never followed, so links out of the root and link loops cannot trap it.

import type { Dirent } from 'node:fs';
import { lstat, opendir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '@palisade/core';
import { joinEntryPath } from './entry-path.js';
import { type LayerVisitor, UnreadableFileError } from './layer-visitor.js';
import type { SkipRules } from './skip-rules.js';

export interface DirectoryWalkOptions {
  skip: SkipRules;
  /** Relative paths never entered (e.g. proc, sys, dev, run for a host root). */
  excludedDirs?: ReadonlySet<string>;
  /** Directory names never entered at any depth (e.g. .git). */
  excludedDirNames?: ReadonlySet<string>;
  /** Absolute mount points never entered (pseudo file systems); the root itself is always walked. */
  excludedMounts?: ReadonlySet<string>;
  concurrency?: number;
}

const FILE_BATCH = 32;

/** `root` must be an absolute, symlink-free path (callers pass realpath()). */
export async function walkDirectory(root: string, visitor: LayerVisitor, opts: DirectoryWalkOptions): Promise<void> {
  const queue: string[] = [''];
  const concurrency = opts.concurrency ?? 16;
  let active = 0;

  const walkOne = async (relDir: string): Promise<void> => {
    const absDir = relDir === '' ? root : path.join(root, relDir);
    let dir: AsyncIterable<Dirent>;
    try {
      dir = await opendir(absDir, { bufferSize: 256 });
    } catch (err) {
      visitor.warn(`cannot read directory ${absDir}: ${errorMessage(err)}`);
      return;
    }
    const files: string[] = [];
    try {
      for await (const dirent of dir) {
        const rel = joinEntryPath(relDir, dirent.name);
        if (dirent.isDirectory()) {
          const skipped =
            opts.skip.skipDir(rel) ||
            opts.excludedDirs?.has(rel) ||
            opts.excludedDirNames?.has(dirent.name) ||
            opts.excludedMounts?.has(path.join(absDir, dirent.name));
          if (!skipped) queue.push(rel);
        } else if (dirent.isFile() && !opts.skip.skipFile(rel)) {
          files.push(dirent.name);
        }
        // Symlinks, sockets, FIFOs and devices are not content analyzers read: a FIFO would block forever.
      }
    } catch (err) {
      visitor.warn(`cannot read directory ${absDir}: ${errorMessage(err)}`);
    }
    // lstat in small batches: a directory like usr/bin holds thousands of files, and one stat at a
    // time would leave the thread pool idle.
    for (let i = 0; i < files.length; i += FILE_BATCH) {
      await Promise.all(files.slice(i, i + FILE_BATCH).map((name) => visitFile(relDir, absDir, name)));
    }
  };

  const visitFile = async (relDir: string, absDir: string, name: string): Promise<void> => {
    const abs = path.join(absDir, name);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      visitor.warn(`cannot stat ${abs}: ${errorMessage(err)}`);
      return;
    }
    await visitor.file(joinEntryPath(relDir, name), { size: st.size, mode: st.mode }, async () => {
      try {
        return await readFile(abs);
      } catch (err) {
        throw new UnreadableFileError(`cannot read ${abs}: ${errorMessage(err)}`);
      }
    });
  };

  // A small worker pool: each worker takes the next queued directory until the queue drains and no
  // worker can add more.
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (active < concurrency && queue.length > 0) {
        const next = queue.pop()!;
        active++;
        walkOne(next).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          (err: unknown) => reject(err),
        );
      }
    };
    pump();
  });
}
