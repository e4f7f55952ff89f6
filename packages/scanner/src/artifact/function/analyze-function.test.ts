import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError, NotFoundError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeZip } from '../../../../../test-support/zip.js';
import { analyzeArtifact } from '../../analyze-artifact.js';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { recordingAnalyzer, testAnalyzers } from '../__fixtures__/image-builder.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-fn-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function save(bytes: Buffer, name = `f${n++}.zip`): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

function scan(file: string, extra: Partial<Parameters<typeof analyzeArtifact>[2]> = {}): Promise<ArtifactAnalysis> {
  return analyzeArtifact('function', file, { analyzers: testAnalyzers, tempDir: path.join(dir, 'tmp'), ...extra });
}

describe('function packages', () => {
  it('reads a Lambda zip made by the zip tool, with its AWS configuration', async () => {
    const src = path.join(dir, 'lambda-src');
    await mkdir(path.join(src, 'vendor'), { recursive: true });
    await writeFile(path.join(src, 'handler.py'), 'def handler(e, c): pass\n');
    await writeFile(path.join(src, 'requirements.lock'), 'requests==2.31.0\nurllib3==2.0.0\n');
    await writeFile(path.join(src, 'vendor/requirements.lock'), 'six==1.16.0\n');
    const zip = path.join(dir, 'lambda.zip');
    execFileSync('zip', ['-q', '-r', zip, '.'], { cwd: src });
    const config = path.join(dir, 'aws.json');
    await writeFile(
      config,
      JSON.stringify({
        FunctionName: 'orders',
        FunctionArn: 'arn:aws:lambda:eu-west-1:1:function:orders',
        Runtime: 'python3.12',
        Handler: 'handler.handler',
        Environment: { Variables: { DB_PASSWORD: 'hunter2' } },
      }),
    );
    const a = await scan(zip, { functionConfig: config, skipFiles: ['vendor/**'] });
    expect(a.artifact).toMatchObject({
      name: zip,
      type: 'function',
      function: { provider: 'aws', runtime: 'python3.12', handler: 'handler.handler', name: 'orders' },
    });
    expect(a.functionConfig?.environment).toEqual({ DB_PASSWORD: 'hunter2' });
    expect(a.packageSets.map((s) => [s.filePath, s.packages.map((p) => p.name)])).toEqual([
      ['requirements.lock', ['requests', 'urllib3']],
    ]);
  });

  it('finds the Azure layout (host.json, NAME/function.json) inside the zip', async () => {
    const file = await save(
      makeZip([
        { name: 'host.json', data: '{"version":"2.0"}' },
        {
          name: 'HttpTrigger/function.json',
          data: '{"scriptFile":"__init__.py","entryPoint":"main","bindings":[]}',
        },
        { name: 'HttpTrigger/__init__.py', data: '' },
      ]),
    );
    const a = await scan(file);
    expect(a.artifact.function).toEqual({
      provider: 'azure',
      runtime: 'python',
      handler: '__init__.py:main',
      name: 'HttpTrigger',
    });
  });

  it('refuses zip-slip entries, ignores symlink entries, reads the rest', async () => {
    const rec = recordingAnalyzer();
    const file = await save(
      makeZip([
        { name: '../../etc/cron.d/evil', data: 'x' },
        { name: '/abs/ok.txt', data: 'abs' },
        { name: 'C:\\windows\\evil.txt', data: 'x' },
        { name: 'a/../../evil', data: 'x' },
        { name: 'link', data: '/etc/passwd', unixMode: 0o120777 },
        { name: 'app/main.js', data: 'ok' },
      ]),
    );
    const a = await scan(file, { analyzers: [rec] });
    expect([...rec.seen.keys()].sort()).toEqual(['abs/ok.txt', 'app/main.js']);
    expect(a.warnings.filter((w) => w.includes('zip slip'))).toHaveLength(3);
  });

  it('zip bombs: a total above the cap and a single entry with an extreme ratio are refused', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024);
    const many = await save(makeZip(Array.from({ length: 4 }, (_, i) => ({ name: `z${i}`, data: big }))));
    await expect(scan(many, { maxArchiveBytes: 5 * 1024 * 1024 })).rejects.toThrow(/zip-bomb guard/);
    await expect(scan(many)).resolves.toBeDefined();
    const src = path.join(dir, 'zeros.bin');
    await writeFile(src, '');
    await truncate(src, 100 * 1024 * 1024);
    const bomb = path.join(dir, 'bomb.zip');
    execFileSync('zip', ['-q', '-j', bomb, src]);
    await expect(scan(bomb)).rejects.toThrow(/expands more than .* \(zip-bomb guard\)/);
  });

  it('corrupt, truncated and missing packages give clear errors', async () => {
    const good = makeZip([{ name: 'requirements.lock', data: 'a==1\n'.repeat(100) }]);
    const truncated = await save(good.subarray(0, good.length - 10));
    const err = await scan(truncated).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(truncated);
    await expect(scan(await save(Buffer.from('not a zip')))).rejects.toBeInstanceOf(InputError);
    await expect(scan(path.join(dir, 'missing.zip'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(scan(await save(good), { functionConfig: path.join(dir, 'nope.json') })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const badConfig = path.join(dir, 'bad.json');
    await writeFile(badConfig, '{"hello":"world"}');
    await expect(scan(await save(good), { functionConfig: badConfig })).rejects.toThrow(
      /bad\.json: not an AWS Lambda, Azure Functions or Google Cloud Functions configuration/,
    );
  });

  it('fuzz: random and mutated zips end in success or InputError', async () => {
    const sample = makeZip([
      { name: 'requirements.lock', data: 'a==1\nb==2\n' },
      { name: 'host.json', data: '{}' },
      { name: 'f/function.json', data: '{"scriptFile":"x.js"}' },
    ]);
    const run = async (bytes: Buffer) => {
      try {
        await scan(await save(bytes));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), (b) => run(Buffer.from(b))),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const bytes = Buffer.from(sample);
          for (const [pos, v] of edits) bytes[pos % bytes.length] = v;
          return run(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
