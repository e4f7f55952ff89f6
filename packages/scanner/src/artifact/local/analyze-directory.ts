// The rootfs, fs and repo artifacts: one directory walked as a single layer. A host root skips
// kernel and runtime pseudo file systems; source trees skip .git and record the checked-out commit.

import { realpath, stat } from 'node:fs/promises';
import { type ArtifactInfo, NotFoundError, UsageError } from '@palisade/core';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { readVirtualMounts } from '../../walker/virtual-mounts.js';
import { walkDirectory } from '../../walker/walk-directory.js';
import { createAnalyzingVisitor } from '../analyzing-visitor.js';
import { LayerApplier } from '../layer-applier.js';
import type { ResolvedOptions } from '../resolved-options.js';
import { readGitHead } from './git-head.js';

export type DirectoryKind = 'rootfs' | 'fs' | 'repo';

/** Kernel and runtime state of a running system: never packages, and /proc alone holds thousands of files. */
const HOST_STATE_DIRS: ReadonlySet<string> = new Set(['proc', 'sys', 'dev', 'run']);
/** Version-control internals, at any depth (submodules have their own .git). */
const VCS_DIR_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

const ARTIFACT_TYPE = { rootfs: 'rootfs', fs: 'filesystem', repo: 'repository' } as const;

export async function analyzeDirectory(
  kind: DirectoryKind,
  target: string,
  opts: ResolvedOptions,
): Promise<ArtifactAnalysis> {
  const st = await stat(target).catch(() => undefined);
  if (!st) throw new NotFoundError(`directory not found: ${target}`);
  if (!st.isDirectory()) throw new UsageError(`${kind} target must be a directory: ${target}`);
  const root = await realpath(target);
  const warnings: string[] = [];
  const applier = new LayerApplier();
  const visitor = createAnalyzingVisitor({
    analyzers: opts.analyzers,
    applier,
    skip: opts.skip,
    maxFileSize: opts.maxFileSize,
    warnings,
    onProgress: opts.onProgress,
  });
  applier.beginLayer(0);
  await walkDirectory(root, visitor, {
    skip: opts.skip,
    ...(kind === 'rootfs' ? { excludedDirs: HOST_STATE_DIRS } : { excludedDirNames: VCS_DIR_NAMES }),
    excludedMounts: await readVirtualMounts(),
  });
  applier.endLayer();
  opts.onProgress?.({ phase: 'analyze', ...visitor.stats });
  const os = applier.os();
  const artifact: ArtifactInfo = { name: target, type: ARTIFACT_TYPE[kind] };
  if (os) artifact.os = os;
  if (kind === 'repo') {
    const head = await readGitHead(root);
    if (head) artifact.repository = head;
  }
  const secrets = applier.secrets();
  const misconfigurations = applier.misconfigurations();
  return {
    artifact,
    packageSets: applier.packageSets(),
    warnings,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(misconfigurations.length > 0 ? { misconfigurations } : {}),
  };
}
