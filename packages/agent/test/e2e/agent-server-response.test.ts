// A response policy assigned by the server reaches a running agent and acts (root, real kernel
// sensor, real server on SQLite): before it, a matching process only raises an alert; after it,
// the agent kills the process, which is asserted by its exit.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PolicySync, startPolicySync } from '../../src/policy-sync.js';
import { ResponsePolicySet } from '../../src/response-policies.js';
import { locateSensorBinary } from '../../src/sensor-binary.js';
import { type AgentHandle, startAgent } from '../../src/start-agent.js';
import { MemoryOutput, waitFor } from '../support.js';

vi.setConfig({ testTimeout: 90_000 });

// A sleep with an argument no other process on the machine has.
const MARKER = `3600.${process.pid}`;
const RULE = 'H6 marked sleep';
const RULES = `- rule: ${RULE}
  desc: a sleep with the test's marker argument
  condition: evt.type = execve and proc.name = sleep and proc.args contains "${MARKER}"
  output: marked sleep (proc.pid=%proc.pid)
  priority: CRITICAL
  tags: [h6]
`;
const KILL_POLICY = `apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: enforce
  responses:
    - rules: [${RULE}]
      actions: [kill]
`;

let tmp: string;
let server: Awaited<ReturnType<typeof startServer>>;
let admin: PalisadeClient;
let agent: AgentHandle;
let sync: PolicySync;
const responses = new ResponsePolicySet();
const out = new MemoryOutput();
const children: ChildProcess[] = [];

function marked(): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn('sleep', [MARKER], { stdio: 'ignore' });
  children.push(child);
  return { child, exited: new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal))) };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-agent-response-'));
  fs.writeFileSync(path.join(tmp, 'rules.yaml'), RULES);
  server = await startServer({
    dataDir: path.join(tmp, 'server'),
    port: 0,
    logLevel: 'warn',
    printBootstrapToken: false,
  });
  admin = new PalisadeClient(server.url, server.bootstrapToken!);
  const agentToken = (await admin.createToken({ name: 'h6-agent', role: 'agent' })).token;
  const { id } = await new PalisadeClient(server.url, agentToken).registerAgent({
    name: 'h6-responder',
    workload: { kind: 'host', name: 'h6-responder', labels: { team: 'h6' } },
  });
  agent = startAgent({
    rules: [path.join(tmp, 'rules.yaml')],
    outputs: [out],
    sensor: { binaryPath: locateSensorBinary() },
    respond: responses.respond,
    hostname: 'h6-responder',
    log: () => {},
  });
  await agent.ready;
  sync = startPolicySync({
    url: server.url,
    token: agentToken,
    agentId: id,
    waitSeconds: 20,
    onRules: (files) => agent.setRemoteRules(files),
    onResponsePolicies: (docs) => responses.setRemote(docs),
  });
  await sync.first;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  sync?.stop();
  await agent?.stop();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('server-assigned response policy on a running agent (root, eBPF sensor)', () => {
  it('alerts only without a policy, kills the matching process once the server assigns one', async () => {
    const first = marked();
    await waitFor(
      () => out.records.find((r) => r.alert.rule === RULE && r.alert.output_fields['proc.pid'] === first.child.pid),
      'the alert for the first marked sleep',
    );
    // No response policy yet: the process lives on.
    expect(first.child.exitCode).toBeNull();
    expect(first.child.signalCode).toBeNull();
    first.child.kill('SIGKILL');

    await admin.createPolicy({
      kind: 'ResponsePolicy',
      name: 'kill-marked',
      document: KILL_POLICY,
      workloadSelector: "team == 'h6'",
    });
    await waitFor(() => responses.policy().responses.length === 1, 'the response policy to arrive');

    const second = marked();
    expect(await second.exited).toBe('SIGKILL');
    const rec = await waitFor(
      () => out.records.find((r) => r.alert.rule === RULE && r.alert.output_fields['proc.pid'] === second.child.pid),
      'the alert for the killed sleep',
    );
    expect(rec.alert.actions).toEqual([
      { action: 'kill', mode: 'enforce', target: `pid:${second.child.pid}`, result: 'done' },
    ]);
    expect(agent.stats().reloadFailures).toBe(0);
  });
});
