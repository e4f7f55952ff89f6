// Go executables: the toolchain version (as package "stdlib"), the main module when it has a real
// version, and every dependency module (following "=>" replacements) from the embedded build info.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { goPackage, goToolchainVersion, keep, langResult } from '../lang-package.js';
import { type GoBuildInfo, readGoBuildInfo } from './build-info.js';

/** Executables bigger than this are not read: the walker would have to hold them in memory. */
const MAX_BINARY_SIZE = 512 * 1024 * 1024;
const MIN_BINARY_SIZE = 1024;

const isLocalPath = (p: string) => p.startsWith('./') || p.startsWith('../') || p.startsWith('/');

export function goBinaryPackages(info: GoBuildInfo, filePath: string): Package[] {
  const out: Package[] = [];
  const stdlib = goToolchainVersion(info.goVersion);
  if (stdlib) keep(out, goPackage('stdlib', stdlib, filePath));
  if (info.main?.version && info.main.version !== '(devel)') {
    keep(out, goPackage(info.main.path, info.main.version, filePath));
  }
  for (const dep of info.deps) {
    const mod = dep.replace ?? dep;
    // A dependency replaced by a local directory is built from source we cannot name a version for.
    if (!mod.path || isLocalPath(mod.path) || !mod.version || mod.version === '(devel)') continue;
    keep(out, goPackage(mod.path, mod.version, filePath));
  }
  return out;
}

export const goBinaryAnalyzer: Analyzer = {
  name: 'go-binary',
  category: 'lang',
  required: (_path, info) => (info.mode & 0o111) !== 0 && info.size >= MIN_BINARY_SIZE && info.size <= MAX_BINARY_SIZE,
  async analyze(input, ctx) {
    let found: ReturnType<typeof readGoBuildInfo>;
    try {
      found = readGoBuildInfo(input.content);
    } catch (err) {
      // A truncated or hostile header can make an offset run past the buffer.
      ctx.warn(`${input.path}: unreadable executable headers (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
    if (found.kind === 'not-go') return undefined;
    return langResult('gobinary', input.path, goBinaryPackages(found.info, input.path));
  },
};
