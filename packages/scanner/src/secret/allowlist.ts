// What is never reported as a secret: obvious placeholders, low-entropy strings, and files that
// hold test fixtures or are not source (lockfiles, images, archives) — plus the entropy measure.

/** Paths whose secrets are test data by convention; `--secret-allow-paths` replaces this list. */
export const DEFAULT_ALLOWED_PATHS: readonly string[] = [
  '**/testdata/**',
  '**/test/fixtures/**',
  '**/tests/fixtures/**',
  '**/__fixtures__/**',
  '**/__snapshots__/**',
];

/** Directories never worth reading for secrets (dependencies, VCS internals). */
export const SKIPPED_DIR_NAMES: ReadonlySet<string> = new Set(['.git', 'node_modules', '.hg', '.svn']);

/** Lockfiles are full of hashes that look like secrets and hold none. */
export const SKIPPED_FILE_NAMES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'go.sum',
  'go.mod',
  'Cargo.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Pipfile.lock',
  'composer.lock',
  'uv.lock',
  'packages.lock.json',
]);

/** Binary and media formats; the NUL check would catch most, but these are skipped without reading. */
// biome-ignore format: a table reads better packed
export const SKIPPED_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png', '.jpg', '.jpeg', '.gif', '.ico', '.webp', '.bmp', '.svg', '.pdf', '.doc', '.docx', '.xls',
  '.zip', '.gz', '.tgz', '.bz2', '.xz', '.zst', '.tar', '.jar', '.war', '.deb', '.rpm', '.apk',
  '.whl', '.pyc', '.class', '.so', '.o', '.a', '.dll', '.exe', '.woff', '.woff2', '.ttf', '.otf',
  '.eot', '.mp3', '.mp4', '.mov', '.avi', '.wasm', '.bin', '.socket', '.db', '.sqlite',
]);

/** Substrings that mark a value as a stand-in (case-insensitive). */
const PLACEHOLDER_MARKERS = [
  'example',
  'xxxxxx', // six: four X's occur in about one random base32 token in 60,000
  'changeme',
  'change_me',
  'change-me',
  'placeholder',
  'dummy',
  'redacted',
  'your_',
  'your-',
  'yourtoken',
  'insert',
  'replace',
  '****',
  '....',
  '${',
  '{{',
  '<',
  '%s',
  '$(',
  'process.env',
  'os.environ',
  'getenv',
] as const;

export function isPlaceholder(secret: string): boolean {
  const lower = secret.toLowerCase();
  for (const m of PLACEHOLDER_MARKERS) if (lower.includes(m)) return true;
  // "AAAA…", "0000…", "abcabc…": a real token never uses three characters or fewer.
  return distinctChars(secret) <= 3 || dominantCharShare(secret) >= 0.5 || /^\$[A-Z_][A-Z0-9_]*$/.test(secret);
}

function distinctChars(s: string): number {
  return new Set(s).size;
}

/** "ghp_AAAA…A": one character filling half a long string never happens in a generated token. */
function dominantCharShare(s: string): number {
  if (s.length < 12) return 0;
  const counts = new Map<string, number>();
  let max = 0;
  for (const ch of s) {
    const n = (counts.get(ch) ?? 0) + 1;
    counts.set(ch, n);
    if (n > max) max = n;
  }
  return max / s.length;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
