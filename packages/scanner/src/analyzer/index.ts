// The analyzer registry: which analyzers run for which kind of artifact. A new analyzer is one
// module plus one line in the list of its category.

import type { ArtifactKind } from '../analyze-artifact.js';
import { installedAnalyzers, lockfileAnalyzers } from './lang/index.js';
import { osAnalyzers } from './os/index.js';
import { pkgAnalyzers } from './pkg/index.js';
import type { Analyzer } from './types.js';

/** Installed software: OS identity, OS package databases, installed language packages and binaries. */
const installedSystem: readonly Analyzer[] = [...osAnalyzers, ...pkgAnalyzers, ...installedAnalyzers];

/** Source trees: lockfiles and manifests, like a CI job sees them. */
const sourceTree: readonly Analyzer[] = lockfileAnalyzers;

/** Function packages ship both lockfiles and their installed dependencies (node_modules, site-packages, Go bootstrap). */
const functionPackage: readonly Analyzer[] = unique([...lockfileAnalyzers, ...installedAnalyzers]);

export function analyzersFor(kind: ArtifactKind): readonly Analyzer[] {
  switch (kind) {
    case 'image':
    case 'rootfs':
      return installedSystem;
    case 'fs':
    case 'repo':
      return sourceTree;
    case 'function':
      return functionPackage;
  }
}

function unique(list: Analyzer[]): Analyzer[] {
  return [...new Map(list.map((a) => [a.name, a])).values()];
}
