// The analyzer registry: which analyzers run for which kind of artifact. A new analyzer is one
// module plus one line in the list of its category.

import type { ArtifactKind } from '../analyze-artifact.js';
import { createMisconfigAnalyzer, type K8sRule, misconfigAnalyzer } from '../misconfig/index.js';
import type { ScannerName } from '../scan.js';
import { secretAnalyzer } from '../secret/index.js';
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

/** The analyzers for an artifact kind, plus the secret and misconfiguration analyzers when asked for. */
export function analyzersFor(
  kind: ArtifactKind,
  scanners: readonly ScannerName[] = [],
  opts: { userRules?: readonly K8sRule[]; sourceRoot?: string; helmValues?: readonly string[] } = {},
): readonly Analyzer[] {
  // The shared analyzer unless this scan has user rules or a directory whose charts may be rendered.
  const custom = Boolean(opts.userRules?.length || opts.sourceRoot);
  const misconfig = custom
    ? createMisconfigAnalyzer({ extraRules: opts.userRules, sourceRoot: opts.sourceRoot, helmValues: opts.helmValues })
    : misconfigAnalyzer;
  const extra = [
    ...(scanners.includes('secret') ? [secretAnalyzer] : []),
    ...(scanners.includes('config') ? [misconfig] : []),
  ];
  return extra.length ? [...packageAnalyzersFor(kind), ...extra] : packageAnalyzersFor(kind);
}

function packageAnalyzersFor(kind: ArtifactKind): readonly Analyzer[] {
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
