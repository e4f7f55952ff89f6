// The scanner's entry to artifacts: turns an image, root filesystem, source tree, repository or
// function package into analyzed package sets, with layers applied and the artifact described.

import { mkdir, rm } from 'node:fs/promises';
import { UsageError } from '@palisade/core';
import type { Analyzer, ArtifactAnalysis } from './analyzer/types.js';
import type { ScanProgress } from './artifact/analyzing-visitor.js';
import { analyzeFunction } from './artifact/function/analyze-function.js';
import { analyzeImage } from './artifact/image/analyze-image.js';
import { savePodmanImage } from './artifact/image/podman-image.js';
import { analyzeDirectory } from './artifact/local/analyze-directory.js';
import type { ResolvedOptions } from './artifact/resolved-options.js';
import { DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_FILE_SIZE } from './walker/limits.js';
import { compileSkipRules } from './walker/skip-rules.js';

export type { ScanProgress } from './artifact/analyzing-visitor.js';

export type ArtifactKind = 'image' | 'rootfs' | 'fs' | 'repo' | 'function';

export interface AnalyzeOptions {
  analyzers: readonly Analyzer[];
  /** Directory for temporary files (e.g. a `podman image save` output); created if missing, cleaned after. */
  tempDir: string;
  /** Globs or path prefixes relative to the artifact root. */
  skipDirs?: string[];
  skipFiles?: string[];
  /** Files larger than this are not given to analyzers (default 256 MiB); a warning names each. */
  maxFileSize?: number;
  /** Decompression-bomb guard: total uncompressed bytes per archive or layer (default 32 GiB), plus a ratio guard. */
  maxArchiveBytes?: number;
  /** Path of a function's configuration JSON (AWS, Azure or GCP CLI output). */
  functionConfig?: string;
  onProgress?: (p: ScanProgress) => void;
}

const PODMAN_PREFIX = 'podman:';

export async function analyzeArtifact(
  kind: ArtifactKind,
  target: string,
  opts: AnalyzeOptions,
): Promise<ArtifactAnalysis> {
  const resolved: ResolvedOptions = {
    analyzers: opts.analyzers,
    tempDir: opts.tempDir,
    skip: compileSkipRules(opts.skipDirs, opts.skipFiles),
    maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    maxArchiveBytes: opts.maxArchiveBytes ?? DEFAULT_MAX_ARCHIVE_BYTES,
    functionConfig: opts.functionConfig,
    onProgress: opts.onProgress,
  };
  switch (kind) {
    case 'image':
      return target.startsWith(PODMAN_PREFIX)
        ? analyzePodmanImage(target.slice(PODMAN_PREFIX.length), resolved)
        : analyzeImage(target, target, resolved);
    case 'rootfs':
    case 'fs':
    case 'repo':
      return analyzeDirectory(kind, target, resolved);
    case 'function':
      return analyzeFunction(target, resolved);
    default:
      throw new UsageError(`unknown artifact kind: ${String(kind)}`);
  }
}

async function analyzePodmanImage(name: string, opts: ResolvedOptions): Promise<ArtifactAnalysis> {
  await mkdir(opts.tempDir, { recursive: true });
  const archive = await savePodmanImage(name, opts.tempDir);
  try {
    return await analyzeImage(archive, name, opts);
  } finally {
    await rm(archive, { force: true });
  }
}
