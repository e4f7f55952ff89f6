// The secret analyzer: plugs the detector into the walker. `required` decides from the path and
// size alone (no reading) so dependency trees, lockfiles, media and fixtures cost nothing.

import type { Analyzer, FileInfo } from '../analyzer/types.js';
import { SKIPPED_DIR_NAMES, SKIPPED_EXTENSIONS, SKIPPED_FILE_NAMES } from './allowlist.js';
import {
  DEFAULT_SECRET_MAX_FILE_SIZE,
  isAllowedSecretPath,
  type SecretScanOptions,
  scanSecrets,
} from './detect-secrets.js';

export function wantsSecretScan(path: string, info: FileInfo, opts: SecretScanOptions = {}): boolean {
  if (info.size === 0 || info.size > (opts.maxFileSize ?? DEFAULT_SECRET_MAX_FILE_SIZE)) return false;
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (SKIPPED_FILE_NAMES.has(name)) return false;
  const dot = name.lastIndexOf('.');
  if (dot > 0 && SKIPPED_EXTENSIONS.has(name.slice(dot).toLowerCase())) return false;
  if (slash > 0) for (const dir of path.slice(0, slash).split('/')) if (SKIPPED_DIR_NAMES.has(dir)) return false;
  return !isAllowedSecretPath(path, opts);
}

export function createSecretAnalyzer(opts: SecretScanOptions = {}): Analyzer {
  return {
    name: 'secret',
    category: 'secret',
    required: (path, info) => wantsSecretScan(path, info, opts),
    async analyze(input) {
      const secrets = scanSecrets(input.path, input.content, opts);
      return secrets.length > 0 ? { secrets } : undefined;
    },
  };
}

/** The analyzer with the built-in rules and default allowlists, for the registry. */
export const secretAnalyzer: Analyzer = createSecretAnalyzer();
