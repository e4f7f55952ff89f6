// `palisade users|login|logout` and the console views (`posture --trends`, `workloads --top-risks`,
// `images`) end to end: a real server child process on SQLite, the built bin as a user runs it.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPalisade, startPalisadeServer } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'h2-users-cli-'));
const home = path.join(work, 'home');
let server: ChildProcess;
let url = '';
let adminEnv: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  const started = await startPalisadeServer(path.join(work, 'data'));
  server = started.process;
  url = started.url;
  const token = started.token;
  // HOME points at a scratch directory so the credentials file lands there.
  adminEnv = { PALISADE_SERVER: url, PALISADE_TOKEN: token, HOME: home };
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

describe('palisade users, login and console views (SQLite)', () => {
  it('creates a user, logs in with --save (0600) and acts as that user', async () => {
    const created = await runPalisade(
      ['users', 'create', '--name', 'ana', '--role', 'analyst', '--password-stdin', '-f', 'json'],
      { input: 'ana secret password\n', env: adminEnv },
    );
    expect(created.code, created.stderr).toBe(0);
    const ana = JSON.parse(created.stdout) as { id: string; name: string; role: string };
    expect(ana).toMatchObject({ name: 'ana', role: 'analyst' });

    const list = await runPalisade(['users', 'list'], { env: adminEnv });
    expect(list.stdout).toMatch(/ana\s+-\s+analyst/);

    const printed = await runPalisade(['login', '--name', 'ana', '--password-stdin'], {
      input: 'ana secret password\n',
      env: {
        PALISADE_SERVER: url,
        HOME: home,
      },
    });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toMatch(/^pals_/);

    const userEnv = { HOME: home, PALISADE_SERVER: '', PALISADE_TOKEN: '' };
    const saved = await runPalisade(['login', '--server', url, '--name', 'ana', '--password-stdin', '--save'], {
      input: 'ana secret password\n',
      env: userEnv,
    });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toBe('');
    const file = path.join(home, '.palisade', 'credentials');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // No PALISADE_TOKEN: the saved session is used, with the analyst's rights.
    const findings = await runPalisade(['findings', 'list', '-f', 'json'], { env: userEnv });
    expect(findings.code, findings.stderr).toBe(0);
    const users = await runPalisade(['users', 'list'], { env: userEnv });
    expect(users.code).toBe(2);
    expect(users.stderr).toMatch(/analyst may not/);

    const passwd = await runPalisade(['users', 'passwd', '--password-stdin', '-f', 'json'], {
      input: 'ana secret password\nana newer password\n',
      env: userEnv,
    });
    expect(passwd.code, passwd.stderr).toBe(0);

    const out = await runPalisade(['logout'], { env: userEnv });
    expect(out.stderr).toMatch(/session ended; removed/);
    expect(() => statSync(file)).toThrow();

    const disabled = await runPalisade(['users', 'disable', ana.id, '-f', 'json'], { env: adminEnv });
    expect(JSON.parse(disabled.stdout)).toMatchObject({ disabled: true });
    const refused = await runPalisade(['login', '--name', 'ana', '--password-stdin'], {
      input: 'ana newer password\n',
      env: {
        PALISADE_SERVER: url,
        HOME: home,
      },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/invalid name or password/);
  });

  it('shows posture trends, top risky workloads and images', async () => {
    const report = {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      artifact: { name: 'shop:1', type: 'image' },
      results: [
        {
          target: 'debian 12 (dpkg)',
          class: 'os-pkgs',
          type: 'dpkg',
          packages: [],
          findings: [
            {
              id: 'fp-1',
              type: 'vulnerability',
              ruleId: 'CVE-2024-0001',
              severity: 'CRITICAL',
              title: 'bad',
              target: {},
              package: { name: 'openssl', version: '3.0.11-1' },
              installedVersion: '3.0.11-1',
              references: [],
              status: 'open',
            },
          ],
        },
      ],
      warnings: [],
    };
    const res = await fetch(`${url}/api/v1/scans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminEnv.PALISADE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ report, workload: { kind: 'pod', name: 'shop-1', imageDigest: 'sha256:cafe' } }),
    });
    expect(res.status).toBe(201);

    const trends = await runPalisade(['posture', '--trends', '--days', '3', '-f', 'json'], { env: adminEnv });
    expect(trends.code, trends.stderr).toBe(0);
    const t = JSON.parse(trends.stdout) as { points: { total: number }[] };
    expect(t.points.map((p) => p.total)).toEqual([0, 0, 1]);

    const risks = await runPalisade(['workloads', '--top-risks', '--limit', '5'], { env: adminEnv });
    expect(risks.code, risks.stderr).toBe(0);
    expect(risks.stdout).toMatch(/^SCORE\s+NAME/);
    expect(risks.stdout).toMatch(/10\s+shop-1\s+pod\s+1/);
    const listed = await runPalisade(['workloads', 'list', '-f', 'json'], { env: adminEnv });
    expect(JSON.parse(listed.stdout).items).toHaveLength(1);

    const images = await runPalisade(['images'], { env: adminEnv });
    expect(images.stdout).toMatch(/sha256:cafe\s+1\s+1\s+1/);
    const vulns = await runPalisade(['images', 'sha256:cafe'], { env: adminEnv });
    expect(vulns.code, vulns.stderr).toBe(0);
    expect(vulns.stdout).toMatch(/CRITICAL\s+CVE-2024-0001\s+openssl.*1: shop-1/);
  });
});
