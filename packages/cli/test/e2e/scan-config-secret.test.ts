// `palisade scan fs --scanners secret,config` through the built CLI: misconfigurations with file
// and line, secrets redacted everywhere, and the gate.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanReport } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-cfg-'));
const app = path.join(work, 'app');
// Built from parts so that the repository itself holds no token-shaped string.
const token = `ghp_${'Q7wZ2kPx9LmN4vB8rT1yH6cJ3sD5fG0aE2uK'}`;

beforeAll(() => {
  mkdirSync(app, { recursive: true });
  writeFileSync(
    path.join(app, 'deploy.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: nginx:1.27',
      '          securityContext:',
      '            privileged: true',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(app, 'settings.env'), `LOG_LEVEL=info\nGITHUB_TOKEN=${token}\n`);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('palisade scan --scanners secret,config', () => {
  it('reports the privileged container at its line and the token redacted, without a vulnerability database', async () => {
    const r = await runPalisade(['scan', 'fs', app, '--scanners', 'secret,config', '-f', 'json'], {
      env: { PALISADE_CACHE_DIR: path.join(work, 'no-db') },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain(token);
    const rep = JSON.parse(r.stdout) as ScanReport;
    const k8s = rep.results.find((x) => x.target === 'deploy.yaml');
    expect(k8s).toMatchObject({ class: 'config', type: 'kubernetes' });
    const privileged = k8s?.findings.find((f) => f.title === 'Privileged container');
    expect(privileged).toMatchObject({
      type: 'misconfiguration',
      severity: 'HIGH',
      target: { path: 'deploy.yaml', line: 12 },
    });
    const secret = rep.results.find((x) => x.target === 'settings.env');
    expect(secret?.class).toBe('secret');
    expect(secret?.findings).toEqual([
      expect.objectContaining({ type: 'secret', ruleId: 'github-pat', target: expect.objectContaining({ line: 2 }) }),
    ]);
  });

  it('the table and SARIF outputs never carry the raw secret either', async () => {
    for (const format of ['table', 'sarif']) {
      const r = await runPalisade(['scan', 'fs', app, '--scanners', 'secret', '-f', format, '--exit-code', '0']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('settings.env');
      expect(r.stdout).not.toContain(token);
    }
  });
});

describe('baseline and --explain', () => {
  it('a written baseline hides every current finding by fingerprint, and --explain says so', async () => {
    const baseline = path.join(work, 'baseline.json');
    const first = await runPalisade([
      'scan',
      'fs',
      app,
      '--scanners',
      'secret,config',
      '--write-baseline',
      baseline,
      '-f',
      'json',
    ]);
    expect(first.code).toBe(1);
    const open = (JSON.parse(first.stdout) as ScanReport).results.flatMap((r) => r.findings).length;
    expect(open).toBeGreaterThan(1);

    const second = await runPalisade([
      'scan',
      'fs',
      app,
      '--scanners',
      'secret,config',
      '--baseline',
      baseline,
      '--explain',
    ]);
    expect(second.code, second.stderr).toBe(0);
    const explained = second.stderr.split('\n').filter((l) => l.includes('suppressed by baseline'));
    expect(explained).toHaveLength(open);
    expect(second.stderr).toMatch(/github-pat in settings\.env:2 .*suppressed by baseline/);

    // A new finding still fails the gate: the baseline does not hide what it did not record.
    writeFileSync(path.join(app, 'more.env'), `TOKEN_TWO=${token.slice(0, -4)}ZZZZ\n`);
    const third = await runPalisade(['scan', 'fs', app, '--scanners', 'secret', '--baseline', baseline, '-f', 'json']);
    expect(third.code).toBe(1);
    const left = (JSON.parse(third.stdout) as ScanReport).results.flatMap((r) =>
      r.findings.filter((f) => f.status !== 'suppressed'),
    );
    expect(left.map((f) => f.target.path)).toEqual(['more.env']);
    rmSync(path.join(app, 'more.env'));
  });

  it('rejects a file that is not a baseline with exit 2', async () => {
    const bad = path.join(work, 'not-a-baseline.json');
    writeFileSync(bad, '{"hello": 1}');
    const r = await runPalisade(['scan', 'fs', app, '--scanners', 'secret', '--baseline', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-a-baseline\.json: baseline has no "findings" list/);
  });
});
