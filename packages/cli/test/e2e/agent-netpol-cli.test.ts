// `palisade agent --netpol` as a child process on the real kernel (root, BTF): the table lands in a
// lab namespace (--netpol-netns), a denied and an allowed connection behave so, SIGHUP re-reads a
// changed policy file, and after SIGTERM the table stays in force (fail-static) unless
// --netpol-remove-on-exit.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, linkVeth, NetnsLab, probeTcp, SERVE_PORTS } from '../../../../test-support/netns-lab.js';
import { workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { palisadeBin } from './cli-harness.js';

const NODE = `h6${process.pid}-cn`;
const WORK_NS = `h6${process.pid}-cw`;
const TABLE = 'h6cli';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-agent-netpol-cli-'));
const policyFile = path.join(work, 'policy.yaml');
const policy = (ports: number[]) =>
  yamlDocs(
    workloadEndpoint({ name: 'srv', namespace: 'demo', interfaceName: 'h6cw', ips: ['10.66.0.2'] }),
    `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: srv-ingress }
spec:
  selector: app == 'srv'
  types: [Ingress]
  ingress:
    - { action: Allow, protocol: TCP, destination: { ports: [${ports.join(', ')}] } }
`,
  );
const lab = new NetnsLab();

/** Connects from NODE (the "host") to the workload; open or timeout. */
const probe = (port: number) => probeTcp(NODE, '10.66.0.2', port);

function startAgent(extra: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [
      palisadeBin,
      'agent',
      '--netpol',
      policyFile,
      '--netpol-netns',
      NODE,
      '--netpol-table',
      TABLE,
      '--container-engines',
      'none',
      '--output',
      'json',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return { child, stderr: () => err, exit: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function until(probeFn: () => boolean, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!probeFn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent stderr:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hasTable = () => inNs(NODE, 'nft', 'list', 'tables').includes(TABLE);

beforeAll(async () => {
  fs.writeFileSync(policyFile, policy([8080]));
  lab.addNs(NODE);
  lab.addNs(WORK_NS);
  linkVeth(NODE, 'h6cw', '10.66.0.1/24', WORK_NS, 'eth0', '10.66.0.2/24');
  lab.spawnNode(WORK_NS, SERVE_PORTS, ['[8080,9090]']);
  await until(
    () => probe(8080) === 'open' && probe(9090) === 'open',
    'the workload to answer',
    () => '',
  );
});

afterAll(() => {
  lab.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('palisade agent --netpol (child process) (root, BTF)', () => {
  it('enforces in the lab namespace, reloads on SIGHUP, leaves the table in force after SIGTERM (root, BTF)', async () => {
    const agent = startAgent([]);
    await until(() => agent.stderr().includes('network policy applied'), 'the first apply', agent.stderr);
    expect(probe(8080)).toBe('open');
    expect(probe(9090)).toBe('timeout');

    fs.writeFileSync(policyFile, policy([8080, 9090]));
    agent.child.kill('SIGHUP');
    await until(() => probe(9090) === 'open', '9090 to open after SIGHUP', agent.stderr);

    // A broken file: logged, and the table in force stays.
    fs.writeFileSync(policyFile, 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {}\n');
    agent.child.kill('SIGHUP');
    await until(() => agent.stderr().includes('the previous ruleset stays in force'), 'the refusal', agent.stderr);
    expect(probe(9090)).toBe('open');

    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    expect(agent.stderr()).toContain('left in force (fail-static)');
    expect(hasTable()).toBe(true);
    expect(probe(9090)).toBe('open');
  });

  it('removes its table on exit with --netpol-remove-on-exit (root, BTF)', async () => {
    fs.writeFileSync(policyFile, policy([8080]));
    const agent = startAgent(['--netpol-remove-on-exit', '--netpol-mode', 'enforce']);
    await until(() => probe(9090) === 'timeout', 'the policy to close 9090', agent.stderr);
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    expect(hasTable()).toBe(false);
    expect(probe(9090)).toBe('open');
  });
});
