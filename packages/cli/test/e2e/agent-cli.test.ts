// `palisade agent` as a child process on the real kernel: alerts on stdout (JSON) and in a file,
// delivered to a real Palisade server through the disk queue; SIGHUP reloads, SIGTERM exits 0.
// The child runs the built `palisade` bin (from `npm run build`), as a user would.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { palisadeBin } from './cli-harness.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-agent-cli-'));
const rulesFile = path.join(work, 'rules.yaml');
const trigger = path.join(work, 'trigger.txt');
const RULES = `
- rule: Shadow read
  desc: /etc/shadow opened
  condition: evt.type in (open, openat) and fd.name = /etc/shadow
  output: shadow read (proc.name=%proc.name file=%fd.name)
  priority: WARNING
  tags: [filesystem]
`;
const EXTRA_RULE = `
- rule: Trigger file read
  desc: the test's trigger file opened (added by a reload)
  condition: evt.type in (open, openat) and fd.name = ${trigger}
  output: trigger read (proc.name=%proc.name file=%fd.name)
  priority: NOTICE
  tags: [test]
`;

let server: Awaited<ReturnType<typeof startServer>>;
let token: string;
let agent: ChildProcess;
let stdout = '';
let stderr = '';

async function until(probe: () => boolean, what: string, action?: () => void): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr}`);
    action?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alertLines = (): { rule: string; output_fields: Record<string, unknown>; hostname: string }[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  fs.writeFileSync(rulesFile, RULES);
  fs.writeFileSync(trigger, 'x');
  server = await startServer({
    dataDir: path.join(work, 'server'),
    port: 0,
    printBootstrapToken: false,
    logLevel: 'warn',
  });
  token = server.bootstrapToken!;
  agent = spawn(
    process.execPath,
    [
      palisadeBin,
      'agent',
      ...['--rules', rulesFile, '--output', 'json', '--output-file', path.join(work, 'alerts.ndjson')],
      ...['--server', server.url, '--queue-dir', path.join(work, 'queue'), '--hostname', 'cli-agent-host'],
      ...['--inventory-interval', '0'],
    ],
    { env: { ...process.env, PALISADE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  agent.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  agent.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  await until(() => stderr.includes('running:'), 'the agent to start');
}, 120_000);

afterAll(async () => {
  if (agent.exitCode === null) agent.kill('SIGKILL');
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('palisade agent (child process) (root, BTF)', () => {
  it('prints JSON alerts, reloads on SIGHUP, sends to the server and exits 0 on SIGTERM (root, BTF)', async () => {
    await until(
      () => alertLines().some((a) => a.rule === 'Shadow read'),
      'a Shadow read alert',
      () => spawnSync('cat', ['/etc/shadow'], { stdio: 'ignore' }),
    );
    fs.appendFileSync(rulesFile, EXTRA_RULE);
    agent.kill('SIGHUP');
    await until(() => stderr.includes('rules reloaded: 2 rules'), 'the reload');
    await until(
      () => alertLines().some((a) => a.rule === 'Trigger file read'),
      'an alert of the reloaded rule',
      () => spawnSync('cat', [trigger], { stdio: 'ignore' }),
    );

    agent.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => agent.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/refused/); // the inventory record was accepted too
    expect(stderr).toMatch(/stopped: \d+ events, \d+ alerts, 0 dropped, 0 queued for the server/);

    const printed = alertLines();
    expect(printed.every((a) => a.hostname === 'cli-agent-host')).toBe(true);
    const filed = fs.readFileSync(path.join(work, 'alerts.ndjson'), 'utf8').trim().split('\n');
    expect(filed.map((l) => JSON.parse(l).rule)).toEqual(printed.map((a) => a.rule));

    // Every alert reached the server once.
    const client = new PalisadeClient(server.url, token);
    const stored = await client.listAlerts({ host: 'cli-agent-host', limit: 500 });
    expect(stored.items.map((e) => e.rule).sort()).toEqual(printed.map((a) => a.rule).sort());
    expect(new Set(stored.items.map((e) => e.id)).size).toBe(stored.items.length);
  });

  it('refuses an unknown priority with a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [palisadeBin, 'agent', '--min-priority', 'loud'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown priority "loud"/);
  });
});
