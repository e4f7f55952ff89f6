// `palisade server` and the client commands, end to end: a real server child process on the
// embedded SQLite store, scans uploaded by `palisade scan --server`, findings read back.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { runPalisade, startPalisadeServer } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-server-cli-'));
const project = path.join(work, 'app');
let server: ChildProcess;
let env: NodeJS.ProcessEnv = {};

const cargoLock = (smallvec: string) =>
  `version = 3\n\n[[package]]\nname = "smallvec"\nversion = "${smallvec}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n`;

beforeAll(async () => {
  mkdirSync(project, { recursive: true });
  const cacheDir = path.join(work, 'cache');
  const imported = await runPalisade(['db', 'import', sharedDataPath('osv', 'crates.io', 'all.zip')], {
    env: { PALISADE_CACHE_DIR: cacheDir },
  });
  expect(imported.code, imported.stderr).toBe(0);

  const started = await startPalisadeServer(path.join(work, 'data'));
  server = started.process;
  env = { PALISADE_SERVER: started.url, PALISADE_TOKEN: started.token, PALISADE_CACHE_DIR: cacheDir };
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

describe('palisade server + client commands (SQLite)', () => {
  it('tracks a finding from upload to fixed across two scans of the same workload', async () => {
    writeFileSync(path.join(project, 'Cargo.lock'), cargoLock('1.6.0'));
    const first = await runPalisade(['scan', 'fs', project, '--workload', 'shop-api', '-f', 'json'], { env });
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/uploaded to .*1 new/);

    const open = JSON.parse(
      (await runPalisade(['findings', 'list', '--status', 'open', '-f', 'json'], { env })).stdout,
    );
    expect(open.items.map((f: { ruleId: string }) => f.ruleId)).toEqual(['CVE-2021-25900']);

    writeFileSync(path.join(project, 'Cargo.lock'), cargoLock('1.6.1'));
    const second = await runPalisade(['scan', 'fs', project, '--workload', 'shop-api'], { env });
    expect(second.code, second.stderr).toBe(0);
    const fixed = JSON.parse(
      (await runPalisade(['findings', 'list', '--status', 'fixed', '-f', 'json'], { env })).stdout,
    );
    expect(fixed.items.map((f: { ruleId: string }) => f.ruleId)).toEqual(['CVE-2021-25900']);

    const workloads = JSON.parse((await runPalisade(['workloads', 'list', '-f', 'json'], { env })).stdout);
    expect(workloads.items).toEqual([expect.objectContaining({ name: 'shop-api', kind: 'container' })]);
  });

  it('creates a ci token that can upload but cannot create tokens', async () => {
    const created = await runPalisade(['tokens', 'create', '--name', 'pipeline', '--role', 'ci'], { env });
    expect(created.code, created.stderr).toBe(0);
    const ciToken = created.stdout.trim();
    expect(ciToken).toMatch(/^pal_/);
    const ciEnv = { ...env, PALISADE_TOKEN: ciToken };
    const upload = await runPalisade(['scan', 'fs', project, '--exit-code', '0'], { env: ciEnv });
    expect(upload.code, upload.stderr).toBe(0);
    const denied = await runPalisade(['tokens', 'create', '--name', 'x', '--role', 'admin'], { env: ciEnv });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/authentication error|forbidden|403/i);
  });

  it('applies a policy twice as two versions and rejects a bad selector with its position', async () => {
    const doc = path.join(work, 'deny-all.yaml');
    writeFileSync(
      doc,
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: deny-all }\nspec: { selector: all() }\n',
    );
    const args = [
      'policies',
      'apply',
      '--file',
      doc,
      '--kind',
      'GlobalNetworkPolicy',
      '--name',
      'deny-all',
      '--selector',
      "env == 'prod'",
      '-f',
      'json',
    ];
    const first = JSON.parse((await runPalisade(args, { env })).stdout);
    const second = JSON.parse((await runPalisade(args, { env })).stdout);
    expect([first.version, second.version]).toEqual([1, 2]);
    const list = JSON.parse((await runPalisade(['policies', 'list', '-f', 'json'], { env })).stdout);
    expect(list.items.map((p: { name: string; version: number }) => `${p.name}@${p.version}`)).toEqual(['deny-all@2']);
    const bad = await runPalisade(
      ['policies', 'apply', '--file', doc, '--kind', 'GlobalNetworkPolicy', '--name', 'x', '--selector', 'env =='],
      { env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/position/);
  });

  it('refuses a wrong token with exit 2 and does not print it', async () => {
    const bogus = 'pal_000000000000_notarealsecretnotarealsecretnotarealsecret0';
    const r = await runPalisade(['findings', 'list'], { env: { ...env, PALISADE_TOKEN: bogus } });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('notarealsecret');
  });
});
