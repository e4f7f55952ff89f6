// Server-assigned rules reach a running agent: a real server on loopback, policies created by an
// admin, the agent's long-poll woken by the change, the engine reloaded in place.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOutput, openEvent, waitFor } from '../test/support.js';
import { type PolicyDocument, type PolicySync, startPolicySync } from './policy-sync.js';
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
let agentToken: string;
let agentId: string;
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
  agentToken = (await admin.createToken({ name: 'agent', role: 'agent' })).token;
  const registered = await new PalisadeClient(server.url, agentToken).registerAgent({
    name: 'node-1',
    workload: { kind: 'host', name: 'node-1', labels: { env: 'prod' } },
  });
  agentId = registered.id;
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

  it('routes network policy, response policies and behaviour profiles to their consumers, each only when it changed', async () => {
    const got: Record<string, string[][]> = { network: [], responses: [], profiles: [] };
    const names = (docs: PolicyDocument[]) => docs.map((d) => d.path);
    const routed = startPolicySync({
      url: server.url,
      token: agentToken,
      agentId,
      waitSeconds: 20,
      onRules: () => {},
      onNetwork: (docs) => got.network!.push(names(docs)),
      onResponsePolicies: (docs) => got.responses!.push(names(docs)),
      onBehaviourProfiles: (docs) => got.profiles!.push(names(docs)),
    });
    try {
      await routed.first;
      expect(got).toEqual({ network: [[]], responses: [[]], profiles: [[]] });
      const doc = (kind: string) => `apiVersion: palisade.dev/v1\nkind: ${kind}\nmetadata: { name: x }\n`;
      await admin.createPolicy({ kind: 'GlobalNetworkPolicy', name: 'deny-all', document: doc('GlobalNetworkPolicy') });
      await waitFor(() => got.network!.length === 2, 'the network policy');
      expect(got.network![1]).toEqual(['server:GlobalNetworkPolicy/deny-all@v1']);
      await admin.createPolicy({ kind: 'ResponsePolicy', name: 'kill', document: doc('ResponsePolicy') });
      await waitFor(() => got.responses!.length === 2, 'the response policy');
      await admin.createPolicy({ kind: 'BehaviourProfile', name: 'web', document: doc('BehaviourProfile') });
      await waitFor(() => got.profiles!.length === 2, 'the behaviour profile');
      expect(got.profiles![1]).toEqual(['server:BehaviourProfile/web@v1']);
      // Neither of the later changes touched the network part: it was not handed over again.
      expect(got.network).toHaveLength(2);
      expect(got.responses).toEqual([[], ['server:ResponsePolicy/kill@v1']]);
    } finally {
      routed.stop();
    }
  });
});
