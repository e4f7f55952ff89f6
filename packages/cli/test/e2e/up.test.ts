// `palisade up` end to end: server on the embedded store, a host scan uploaded, the token kept for
// the next run, a clean stop on SIGTERM.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import { palisadeBin, runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-up-'));
const dataDir = path.join(work, 'data');
const root = path.join(repoRoot, 'examples/sample-image/rootfs');

function startUp(): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, [palisadeBin, 'up', '--data-dir', dataDir, '--port', '0', '--root', root], {
    env: { ...process.env, PALISADE_CACHE_DIR: path.join(work, 'cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ready = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.includes('ready:')) resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`palisade up exited with ${code}: ${text}`)));
  });
  return { child, ready };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('palisade up (root, BTF)', () => {
  it('serves, scans the host into the server, runs the local agent, and keeps a 0600 admin token for the next run', async () => {
    const first = startUp();
    const banner = await first.ready;
    const url = /server\s+(http:\/\/\S+)/.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(banner).toMatch(/host scan uploaded: 6 packages/);
    const tokenPath = path.join(dataDir, 'admin-token');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, 'utf8').trim();
    expect(banner).not.toContain(token);

    const env = { PALISADE_SERVER: url, PALISADE_TOKEN: token };
    const workloads = JSON.parse((await runPalisade(['workloads', 'list', '-f', 'json'], { env })).stdout);
    expect(workloads.items).toEqual([expect.objectContaining({ kind: 'host', name: os.hostname() })]);

    // The local agent (root, BTF) reports runtime alerts to the same server.
    expect(banner).toMatch(/agent\s+running: \d+ rules/);
    let rules: string[] = [];
    for (let i = 0; i < 60 && !rules.includes('Sensitive file read'); i++) {
      spawnSync('cat', ['/etc/shadow'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const alerts = JSON.parse((await runPalisade(['alerts', 'list', '-f', 'json'], { env })).stdout);
      rules = alerts.items.map((a: { rule: string }) => a.rule);
    }
    expect(rules).toContain('Sensitive file read');

    // A rules policy applied on the server reaches the running agent without a restart.
    const probe = path.join(work, 'up-probe.txt');
    const ruleFile = path.join(work, 'probe-rule.yaml');
    writeFileSync(probe, 'x');
    writeFileSync(
      ruleFile,
      `- rule: Up probe read\n  desc: the test's probe file\n  condition: evt.type in (open, openat) and fd.name = ${probe}\n  output: probe read (proc.name=%proc.name)\n  priority: NOTICE\n`,
    );
    const applied = await runPalisade(
      ['policies', 'apply', '--file', ruleFile, '--kind', 'rules', '--name', 'up-probe'],
      { env },
    );
    expect(applied.code, applied.stderr).toBe(0);
    for (let i = 0; i < 60 && !rules.includes('Up probe read'); i++) {
      spawnSync('cat', [probe], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const alerts = JSON.parse((await runPalisade(['alerts', 'list', '-f', 'json'], { env })).stdout);
      rules = alerts.items.map((a: { rule: string }) => a.rule);
    }
    expect(rules).toContain('Up probe read');
    expect(await stop(first.child)).toBe(0);

    // A second run finds the same store and the same token.
    const second = startUp();
    const banner2 = await second.ready;
    const url2 = /server\s+(http:\/\/\S+)/.exec(banner2)?.[1];
    const again = await runPalisade(['workloads', 'list', '-f', 'json'], {
      env: { PALISADE_SERVER: url2, PALISADE_TOKEN: token },
    });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).items).toHaveLength(1);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);
});
