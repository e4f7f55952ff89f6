// Public API of secret scanning: the detector, the analyzer for the walker, image/function config
// environments and git history. The rule table and allowlists are exported for docs and tests.

export {
  DEFAULT_ALLOWED_PATHS,
  isPlaceholder,
  SKIPPED_DIR_NAMES,
  SKIPPED_EXTENSIONS,
  SKIPPED_FILE_NAMES,
  shannonEntropy,
} from './allowlist.js';
export {
  IMAGE_CONFIG_ENV_PATH,
  IMAGE_CONFIG_HISTORY_PATH,
  scanFunctionConfigSecrets,
  scanImageConfigSecrets,
} from './config-env.js';
export {
  DEFAULT_SECRET_MAX_FILE_SIZE,
  isAllowedSecretPath,
  looksBinary,
  redactSecret,
  type SecretFinding,
  type SecretScanOptions,
  scanSecrets,
} from './detect-secrets.js';
export { type GitHistoryOptions, scanGitHistory } from './git-history.js';
export { SECRET_RULES, type SecretRule } from './rules.js';
export { createSecretAnalyzer, secretAnalyzer, wantsSecretScan } from './secret-analyzer.js';
