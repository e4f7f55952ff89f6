// Gradle dependency locking: gradle.lockfile (and legacy per-configuration *.lockfile under
// gradle/dependency-locks/), one "group:artifact:version=configuration,…" per line.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, dedupePackages, keep, langResult, mavenPackage } from '../lang-package.js';

/** Only test configurations (testCompileClasspath, testRuntimeClasspath …) make a dependency dev-only. */
const isTestConfiguration = (c: string) => /^test[A-Z]|^test$/.test(c);

export function parseGradleLockfile(text: string, filePath: string): Package[] {
  const out: Package[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#') || line.startsWith('empty=')) continue;
    const eq = line.indexOf('=');
    const coords = (eq >= 0 ? line.slice(0, eq) : line).split(':');
    if (coords.length !== 3) continue;
    const configurations =
      eq >= 0
        ? line
            .slice(eq + 1)
            .split(',')
            .filter(Boolean)
        : [];
    const dev = configurations.length > 0 && configurations.every(isTestConfiguration);
    keep(out, mavenPackage(coords[0]!, coords[1]!, coords[2]!, filePath, dev));
  }
  return dedupePackages(out);
}

export const gradleLockfileAnalyzer: Analyzer = {
  name: 'gradle-lockfile',
  category: 'lang',
  required: (path, info) =>
    info.size < 8 * 1024 * 1024 &&
    (baseName(path) === 'gradle.lockfile' || (path.includes('gradle/dependency-locks/') && path.endsWith('.lockfile'))),
  async analyze(input, ctx) {
    if (input.content.includes(0)) {
      ctx.warn(`${input.path}: not a Gradle lockfile (binary content)`);
      return undefined;
    }
    return langResult('gradle', input.path, parseGradleLockfile(input.content.toString('utf8'), input.path));
  },
};
