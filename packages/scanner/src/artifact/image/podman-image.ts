// Reads a local podman image through the podman CLI: `podman image save` writes a docker-archive
// into the scan's temp dir, which is then read like any other archive (podman's store is not parsed).

import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errorMessage, NotFoundError } from '@palisade/core';

const run = promisify(execFile);

function isMissingCommand(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Saves image `name` to a docker-archive under `tempDir` and returns the archive's path. */
export async function savePodmanImage(name: string, tempDir: string): Promise<string> {
  if (name === '' || name.startsWith('-')) throw new NotFoundError(`podman image not found: "${name}"`);
  try {
    await run('podman', ['image', 'exists', name]);
  } catch (err) {
    if (isMissingCommand(err)) throw new NotFoundError('podman is not installed (needed to read podman:IMAGE)');
    throw new NotFoundError(`podman image not found: ${name}`);
  }
  await mkdir(tempDir, { recursive: true });
  const archive = path.join(tempDir, `podman-${process.pid}-${Date.now()}.tar`);
  try {
    await run('podman', ['image', 'save', '--format', 'docker-archive', '--output', archive, name], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    throw new NotFoundError(`podman could not save image ${name}: ${errorMessage(err)}`);
  }
  return archive;
}
