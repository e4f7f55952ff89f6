// Server-assigned rules reach a running agent: a real server on loopback, policies created by an
// admin, the agent's long-poll woken by the change, the engine reloaded in place.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOutput, openEvent, waitFor } from '../test/support.js';
import { type PolicySync, startPolicySync } from './policy-sync.js';
import { type AgentHandle, startAgent } from './start-agent.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-policy-sync-'));
const localRules = path.join(tmp, 'local.yaml');
const WATCH_RULE = `
- rule: Watched file opened
  desc: a file the security team watches
  condition: evt.type in (open, openat) and fd.name = /srv/watched
  output: watched file opened (proc.name=%proc.name file=%fd.name)
  priority: WARNING
`;

let server: Awaited<ReturnType<typeof startServer>>;
let admin: PalisadeClient;
let agent: AgentHandle;
let sync: PolicySync;
const out = new MemoryOutput();

beforeAll(async () => {
  fs.writeFileSync(localRules, '- list: nothing\n  items: []\n');
  server = await startServer({
    dataDir: path.join(tmp, 'server'),
    port: 0,
    logLevel: 'warn',
    printBootstrapToken: false,
  });
  admin = new PalisadeClient(server.url, server.bootstrapToken!);
  const agentToken = (await admin.createToken({ name: 'agent', role: 'agent' })).token;
  const registered = await new PalisadeClient(server.url, agentToken).registerAgent({
    name: 'node-1',
    workload: { kind: 'host', name: 'node-1', labels: { env: 'prod' } },
  });
  agent = startAgent({ rules: [localRules], outputs: [out], sensor: false, log: () => {} });
  await agent.ready;
  sync = startPolicySync({
    url: server.url,
    token: agentToken,
    agentId: registered.id,
    waitSeconds: 20,
    onRules: (files) => agent.setRemoteRules(files),
  });
  await sync.first;
});

afterAll(async () => {
  sync?.stop();
  await agent?.stop();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('policy sync (server → agent rules)', () => {
  it('applies a rules policy for its workload, ignores another workload’s, and drops a deleted one', async () => {
    expect(agent.ruleNames()).toEqual([]);
    const created = await admin.createPolicy({
      kind: 'rules',
      name: 'watch',
      document: WATCH_RULE,
      workloadSelector: "env == 'prod'",
    });
    // The long-poll wakes on the change: no restart, no SIGHUP.
    await waitFor(() => agent.ruleNames().includes('Watched file opened'), 'the server rule to load');
    agent.ingest(openEvent('/srv/watched'));
    await agent.flush();
    expect(out.rules()).toContain('Watched file opened');

    await admin.createPolicy({
      kind: 'rules',
      name: 'dev-only',
      document: WATCH_RULE.replace('Watched file opened', 'Dev rule'),
      workloadSelector: "env == 'dev'",
    });
    const revisionAfterDev = sync.revision();
    await new Promise((r) => setTimeout(r, 300));
    expect(sync.revision()).toBe(revisionAfterDev);
    expect(agent.ruleNames()).not.toContain('Dev rule');

    await admin.deletePolicy(created.id);
    await waitFor(() => !agent.ruleNames().includes('Watched file opened'), 'the deleted rule to go');
    expect(agent.stats().reloadFailures).toBe(0);
  });
});
