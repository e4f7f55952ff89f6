// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are test inputs the detector must ignore
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageMetadata } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeArtifact } from '../analyze-artifact.js';
import type { FunctionConfig } from '../analyzer/types.js';
import { dockerArchive, makeTar } from '../artifact/__fixtures__/image-builder.js';
import { ALNUM, BASE64, HEX, tokenMaker, UPPER_BASE32 } from './__fixtures__/token-samples.js';
import {
  IMAGE_CONFIG_ENV_PATH,
  IMAGE_CONFIG_HISTORY_PATH,
  scanFunctionConfigSecrets,
  scanGitHistory,
  scanImageConfigSecrets,
  secretAnalyzer,
  wantsSecretScan,
} from './index.js';

const t = tokenMaker(4242);
const ghp = `ghp_${t(ALNUM, 36)}`;
const glpat = `glpat-${t(ALNUM, 20)}`;
const stripe = `sk_live_${t(ALNUM, 30)}`;
const awsId = `AKIA${t(UPPER_BASE32, 16)}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-secret-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  const p = path.join(root, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, content);
}

describe('secret analyzer in the walker', () => {
  it('wants source files, not dependencies, lockfiles, media, fixtures or huge files', () => {
    const f = { size: 100, mode: 0o100644 };
    expect(wantsSecretScan('src/config.ts', f)).toBe(true);
    expect(wantsSecretScan('.env', f)).toBe(true);
    expect(wantsSecretScan('web/node_modules/x/index.js', f)).toBe(false);
    expect(wantsSecretScan('package-lock.json', f)).toBe(false);
    expect(wantsSecretScan('docs/logo.PNG', f)).toBe(false);
    expect(wantsSecretScan('pkg/test/fixtures/a.env', f)).toBe(false);
    expect(wantsSecretScan('src/big.sql', { size: 11 * 1024 * 1024, mode: 0o100644 })).toBe(false);
  });

  it('fs: reports secrets per file with lines, skipping what it should', async () => {
    const root = path.join(dir, 'tree');
    await put(root, 'app/settings.py', `DEBUG = False\nGITHUB_TOKEN = "${ghp}"\n`);
    await put(root, '.env', `STRIPE_KEY=${stripe}\n`);
    await put(root, 'node_modules/lib/index.js', `const t = "${glpat}";\n`);
    await put(root, 'test/fixtures/fake.env', `T=${glpat}\n`);
    await put(root, 'bin/tool', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]), Buffer.from(glpat)]));
    await put(root, 'README.md', 'Set GITHUB_TOKEN to your token (ghp_...).\n');
    const a = await analyzeArtifact('fs', root, { analyzers: [secretAnalyzer], tempDir: path.join(dir, 'tmp') });
    const got = (a.secrets ?? []).map((f) => `${f.target.path}:${f.target.line}:${f.ruleId}`).sort();
    expect(got).toEqual(['.env:1:stripe-secret-token', 'app/settings.py:2:github-pat']);
    expect(JSON.stringify(a)).not.toContain(ghp.slice(4));
    expect(JSON.stringify(a)).not.toContain(stripe.slice(8));
  });

  it('image: a secret deleted by a later layer is gone; surviving ones carry their layer', async () => {
    const layers = [
      await makeTar([
        { name: 'app/', type: 'directory' },
        { name: 'app/old.env', content: `TOKEN=${glpat}\n` },
        { name: 'app/keep.env', content: `STRIPE=${stripe}\n` },
      ]),
      await makeTar([
        { name: 'app/.wh.old.env', content: '' },
        { name: 'app/new.env', content: `GH=${ghp}\n` },
      ]),
    ];
    const file = path.join(dir, 'secrets.tar');
    await writeFile(file, await dockerArchive({ layers }));
    const a = await analyzeArtifact('image', file, { analyzers: [secretAnalyzer], tempDir: path.join(dir, 'tmp') });
    const got = (a.secrets ?? []).map((f) => `${f.target.path}:${f.ruleId}:L${f.target.layer?.index}`);
    expect(got).toEqual(['app/keep.env:stripe-secret-token:L0', 'app/new.env:github-pat:L1']);
    expect(a.secrets?.[1]?.target.layer?.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('secrets in configuration environments', () => {
  it('image config: env values and build history, redacted', () => {
    const dbPass = t(ALNUM, 20);
    const meta: ImageMetadata = {
      layers: [
        { index: 0, diffId: 'sha256:aa', createdBy: '/bin/sh -c #(nop) ADD file:1 in /' },
        { index: 1, diffId: 'sha256:bb', createdBy: `/bin/sh -c git clone https://${ghp}@github.com/acme/app` },
      ],
      config: {
        env: ['PATH=/usr/bin', `DATABASE_PASSWORD=${dbPass}`, `AWS_ACCESS_KEY_ID=${awsId}`, 'API_TOKEN=${TOKEN}'],
      },
    };
    const f = scanImageConfigSecrets(meta);
    expect(f.map((x) => `${x.target.path}:${x.ruleId}:${x.target.layer?.index ?? '-'}`)).toEqual([
      `${IMAGE_CONFIG_ENV_PATH}:generic-secret-assignment:-`,
      `${IMAGE_CONFIG_ENV_PATH}:aws-access-key-id:-`,
      `${IMAGE_CONFIG_HISTORY_PATH}:github-pat:1`,
    ]);
    expect(f[0]!.description).toMatch(
      /^Environment variable DATABASE_PASSWORD: Match: DATABASE_PASSWORD=[A-Za-z0-9]{4}\*{5}$/,
    );
    const out = JSON.stringify(f);
    for (const s of [dbPass, awsId, ghp]) expect(out).not.toContain(s.slice(4));
  });

  it('function config: environment variables by name', () => {
    const cfg: FunctionConfig = {
      provider: 'aws',
      environment: { LOG_LEVEL: 'debug', SENDGRID: `SG.${t(ALNUM, 22)}.${t(ALNUM, 43)}`, SECRET_KEY: 'changeme-later' },
      source: 'fn-config.json',
      raw: {},
    };
    const f = scanFunctionConfigSecrets(cfg);
    expect(f.map((x) => `${x.target.path}:${x.ruleId}`)).toEqual(['fn-config.json:sendgrid-api-key']);
    expect(f[0]!.description).toContain('Environment variable SENDGRID');
  });
});

describe('git history', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    })
      .toString()
      .trim();

  it('finds a secret added in one commit and removed in the next, naming the adding commit', async () => {
    const repo = path.join(dir, 'repo');
    await mkdir(repo);
    git(repo, 'init', '-q', '-b', 'main');
    await put(repo, 'README.md', '# app\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'initial');
    const awsSecret = t(BASE64, 40);
    await put(repo, 'deploy/prod config.yaml', `region: eu-west-1\naws_secret_access_key: ${awsSecret}\n`);
    await put(repo, 'src/util.js', `export const x = 1;\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'add deploy config');
    const adding = git(repo, 'rev-parse', 'HEAD');
    await put(repo, 'deploy/prod config.yaml', 'region: eu-west-1\n');
    await put(repo, 'src/util.js', `export const x = 1;\nexport const y = "${t(HEX, 8)}";\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'remove secret');
    // A branch that re-adds the same file content must not change which commit introduced it.
    git(repo, 'checkout', '-qb', 'again', adding);
    await put(repo, 'other.txt', 'x\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'other');
    git(repo, 'checkout', '-q', 'main');

    const findings = await scanGitHistory(repo);
    expect(findings.map((f) => [f.ruleId, f.target.path, f.target.line, f.target.commit])).toEqual([
      ['aws-secret-access-key', 'deploy/prod config.yaml', 2, adding],
    ]);
    expect(findings[0]!.description).toContain(adding.slice(0, 12));
    expect(JSON.stringify(findings)).not.toContain(awsSecret.slice(4, 20));
  });

  it('reads many blobs and skips oversized ones through one cat-file stream', async () => {
    const repo = path.join(dir, 'repo-many');
    await mkdir(repo);
    git(repo, 'init', '-q', '-b', 'main');
    for (let i = 0; i < 300; i++) await put(repo, `src/f${i}.txt`, `line ${i}\n${'x = 1\n'.repeat(i)}`);
    await put(repo, 'src/f150.txt', `token: ${glpat}\n`);
    await put(repo, 'big.txt', `${ghp}\n${'a'.repeat(2 * 1024 * 1024)}`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'many');
    const findings = await scanGitHistory(repo, { maxFileSize: 1024 * 1024 });
    expect(findings.map((f) => `${f.target.path}:${f.ruleId}`)).toEqual(['src/f150.txt:gitlab-pat']);
  });

  it('a directory that is not a repository is an InputError naming it', async () => {
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    await expect(scanGitHistory(plain)).rejects.toThrow(/plain: git log failed/);
  });
});
