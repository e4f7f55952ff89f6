// `palisade agent --baseline-profiles` on the real kernel: an edited profile in detect mode makes
// an executable it does not list raise "Behaviour outside baseline"; profiles are saved at stop.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { palisadeBin } from './cli-harness.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-agent-baseline-'));
const profiles = path.join(work, 'profiles.yaml');
const rulesFile = path.join(work, 'rules.yaml');
// A program with a path no profile can know: a copy of /bin/true under this test's temp dir.
const probe = path.join(work, 'baseline-probe');
let agent: ChildProcess | undefined;

afterAll(() => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

describe('palisade agent behaviour baselines (root, BTF)', () => {
  it('alerts on an executable outside a detect-mode profile and saves the profiles at stop (root, BTF)', async () => {
    fs.copyFileSync('/bin/true', probe);
    fs.chmodSync(probe, 0o755);
    fs.writeFileSync(rulesFile, '- list: nothing\n  items: []\n');
    fs.writeFileSync(
      profiles,
      [
        'apiVersion: palisade.dev/v1',
        'kind: BehaviourProfile',
        'metadata:',
        '  workload: host',
        'spec:',
        '  mode: detect',
        '  processes:',
        '    - exe: /usr/bin/sleep',
        '      parent: "*"',
        '',
      ].join('\n'),
    );
    let stdout = '';
    let stderr = '';
    agent = spawn(
      process.execPath,
      [
        palisadeBin,
        'agent',
        '--rules',
        rulesFile,
        '--output',
        'json',
        '--baseline-profiles',
        profiles,
        '--inventory-interval',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const found = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> })
        .find(
          (a) => a.rule === 'Behaviour outside baseline' && String(a.output_fields['baseline.item']).includes(probe),
        );
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('running:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    while (!found() && Date.now() < deadline) {
      spawnSync(probe);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(found(), stderr).toMatchObject({ output_fields: { 'baseline.workload': 'host' } });

    const exited = new Promise<number | null>((resolve) => agent?.once('exit', resolve));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    const saved = fs.readFileSync(profiles, 'utf8');
    expect(saved).toMatch(/workload: host/);
    expect(saved).toMatch(/mode: detect/);
    expect(saved).toMatch(/\/usr\/bin\/sleep/);
  }, 120_000);
});
