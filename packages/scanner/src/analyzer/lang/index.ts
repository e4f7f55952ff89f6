// The language analyzers, in two visible lists: lockfiles and manifests for source trees
// (fs, repo, function) and installed-package records for images and root filesystems.

import type { Analyzer } from '../types.js';
import { dotnetDepsAnalyzer, nugetLockAnalyzer } from './dotnet/nuget-lock.js';
import { goBinaryAnalyzer } from './golang/binary.js';
import { goModAnalyzer } from './golang/go-mod.js';
import { gradleLockfileAnalyzer } from './java/gradle-lockfile.js';
import { jarAnalyzer } from './java/jar.js';
import { pomXmlAnalyzer } from './java/pom-xml.js';
import { nodeModulesAnalyzer } from './npm/node-modules.js';
import { npmLockAnalyzer } from './npm/package-lock.js';
import { pnpmLockAnalyzer } from './npm/pnpm-lock.js';
import { yarnLockAnalyzer } from './npm/yarn-lock.js';
import { composerInstalledAnalyzer, composerLockAnalyzer } from './php/composer-lock.js';
import { pythonInstalledAnalyzer } from './python/dist-info.js';
import { pipfileLockAnalyzer } from './python/pipfile-lock.js';
import { poetryLockAnalyzer } from './python/poetry-lock.js';
import { requirementsAnalyzer } from './python/requirements.js';
import { uvLockAnalyzer } from './python/uv-lock.js';
import { gemfileLockAnalyzer } from './ruby/gemfile-lock.js';
import { gemspecAnalyzer } from './ruby/gemspec.js';
import { cargoLockAnalyzer } from './rust/cargo-lock.js';

/** Go binaries, jars and deps.json are in both lists: function packages and repos ship them too. */
export const lockfileAnalyzers: readonly Analyzer[] = [
  npmLockAnalyzer,
  yarnLockAnalyzer,
  pnpmLockAnalyzer,
  requirementsAnalyzer,
  poetryLockAnalyzer,
  pipfileLockAnalyzer,
  uvLockAnalyzer,
  goModAnalyzer,
  goBinaryAnalyzer,
  cargoLockAnalyzer,
  pomXmlAnalyzer,
  gradleLockfileAnalyzer,
  jarAnalyzer,
  gemfileLockAnalyzer,
  composerLockAnalyzer,
  nugetLockAnalyzer,
  dotnetDepsAnalyzer,
];

export const installedAnalyzers: readonly Analyzer[] = [
  nodeModulesAnalyzer,
  pythonInstalledAnalyzer,
  goBinaryAnalyzer,
  jarAnalyzer,
  gemspecAnalyzer,
  composerInstalledAnalyzer,
  dotnetDepsAnalyzer,
  // Rust images often ship Cargo.lock beside the binary, the only record of its crates (Trivy reads it too).
  cargoLockAnalyzer,
];

export {
  cargoLockAnalyzer,
  composerInstalledAnalyzer,
  composerLockAnalyzer,
  dotnetDepsAnalyzer,
  gemfileLockAnalyzer,
  gemspecAnalyzer,
  goBinaryAnalyzer,
  goModAnalyzer,
  gradleLockfileAnalyzer,
  jarAnalyzer,
  nodeModulesAnalyzer,
  npmLockAnalyzer,
  nugetLockAnalyzer,
  pipfileLockAnalyzer,
  pnpmLockAnalyzer,
  poetryLockAnalyzer,
  pomXmlAnalyzer,
  pythonInstalledAnalyzer,
  requirementsAnalyzer,
  uvLockAnalyzer,
  yarnLockAnalyzer,
};
