// Which paths a scan leaves out (--skip-dirs, --skip-files): each rule is a glob or a plain path
// prefix relative to the artifact root, compiled once and matched against normalised paths.

import { Minimatch } from 'minimatch';
import { normalizeEntryPath } from './entry-path.js';

export interface SkipRules {
  /** True when the directory and everything below it is left out. */
  skipDir(dirPath: string): boolean;
  /** True when the file is left out (a skipped ancestor directory also counts). */
  skipFile(filePath: string): boolean;
}

type Matcher = (p: string) => boolean;

function compileRule(rule: string): Matcher | undefined {
  const cleaned = normalizeEntryPath(rule.trim());
  if (cleaned === undefined || cleaned === '') return undefined;
  if (!/[*?[\]{}]/.test(cleaned)) return (p) => p === cleaned;
  const glob = new Minimatch(cleaned, { dot: true });
  return (p) => glob.match(p);
}

function compileRules(rules: readonly string[] | undefined): Matcher[] {
  return (rules ?? []).map(compileRule).filter((m): m is Matcher => m !== undefined);
}

export function compileSkipRules(skipDirs?: readonly string[], skipFiles?: readonly string[]): SkipRules {
  const dirs = compileRules(skipDirs);
  const files = compileRules(skipFiles);
  const dirSkipped = (dirPath: string): boolean => dirs.some((m) => m(dirPath));
  // Archives list files without their directories first, so a file's ancestors are checked here too.
  const underSkippedDir = (filePath: string): boolean => {
    if (dirs.length === 0) return false;
    for (let i = filePath.indexOf('/'); i > 0; i = filePath.indexOf('/', i + 1)) {
      if (dirSkipped(filePath.slice(0, i))) return true;
    }
    return false;
  };
  return {
    skipDir: dirSkipped,
    skipFile: (filePath) => files.some((m) => m(filePath)) || underSkippedDir(filePath),
  };
}
