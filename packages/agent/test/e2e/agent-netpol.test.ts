// The agent enforcing network policy in a lab of network namespaces (root, real kernel): a "node"
// namespace routes to workload namespaces over veths; the enforcer applies its table there
// (--netpol-netns), never in the host's own ruleset. Policies come from a local file and from a
// real server (SQLite in a temp dir) through the agent's long-poll; connections are real TCP.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Endpoint, watchEndpoints } from '@palisade/network';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inNs, NetnsLab, probeTcpMany, SERVE_PORTS, sh } from '../../../../test-support/netns-lab.js';
import { allowIngress, workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { query, startTinyDns } from '../../../network/test/support/tiny-dns.js';
import { NETWORK_POLICY_RULE, type NetworkEnforcer, startNetworkEnforcer } from '../../src/network-enforcer.js';
import { type PolicySync, startPolicySync } from '../../src/policy-sync.js';
import { type AgentHandle, startAgent } from '../../src/start-agent.js';
import { MemoryOutput, waitFor } from '../support.js';

vi.setConfig({ testTimeout: 60_000 });

const prefix = `h6${process.pid}`;
const NODE = `${prefix}-node`;
const TABLE = 'h6palisade';
// Workload namespaces; node-side interface names are short (15 chars) and live only in NODE.
const WORKLOADS = {
  fe: { ns: `${prefix}-fe`, ifname: 'h6fe', net: 1, ports: [] as number[] },
  api: { ns: `${prefix}-api`, ifname: 'h6api', net: 2, ports: [8080, 9090] },
  fe2: { ns: `${prefix}-fe2`, ifname: 'h6fe2', net: 3, ports: [] as number[] },
};
type Name = keyof typeof WORKLOADS;
const ipOf = (n: Name) => `10.61.${WORKLOADS[n].net}.2`;

const ENDPOINTS = [
  workloadEndpoint({ name: 'fe', namespace: 'shop', app: 'frontend', interfaceName: 'h6fe', ips: ['10.61.1.2'] }),
  workloadEndpoint({ name: 'api', namespace: 'shop', interfaceName: 'h6api', ips: ['10.61.2.2'] }),
];

const LOCAL = yamlDocs(
  ...ENDPOINTS,
  allowIngress({ name: 'api-ingress', namespace: 'shop', to: 'api', from: 'frontend', ports: [8080] }),
);
const SERVER_POLICY = allowIngress({
  name: 'api-metrics',
  namespace: 'shop',
  to: 'api',
  from: 'frontend',
  ports: [9090],
});

// fe may only resolve names and reach api by its DNS name.
const DNS_POLICY = yamlDocs(
  ...ENDPOINTS,
  `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: fe-egress }
spec:
  selector: app == 'frontend'
  types: [Egress]
  egress:
    - { action: Allow, protocol: UDP, destination: { ports: [53] } }
    - { action: Allow, protocol: TCP, destination: { domains: [api.h6.test] } }
`,
);

const lab = new NetnsLab();
let tmp: string;
let server: Awaited<ReturnType<typeof startServer>>;
let admin: PalisadeClient;
let agentToken: string;
let agentId: string;

function readFlows(file: string): { action: string; destinationPort?: number; source: { name?: string } }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Real TCP connects from a workload namespace: open, timeout (dropped) or an errno. */
const probe = (from: Name, targets: [Name, number][]) =>
  probeTcpMany(
    WORKLOADS[from].ns,
    targets.map(([n, p]) => [ipOf(n), p]),
  );

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-agent-netpol-'));
  fs.writeFileSync(path.join(tmp, 'local.yaml'), LOCAL);
  fs.writeFileSync(path.join(tmp, 'dns.yaml'), DNS_POLICY);
  lab.addRouter(NODE);
  inNs(NODE, 'ip', 'link', 'set', 'lo', 'up');
  for (const w of Object.values(WORKLOADS)) {
    lab.addRoutedWorkload(NODE, w.ns, w.ifname, `10.61.${w.net}`);
    if (w.ports.length > 0) lab.spawnNode(w.ns, SERVE_PORTS, [JSON.stringify(w.ports)]);
  }
  await waitFor(() => {
    const r = probe('fe', [
      ['api', 8080],
      ['api', 9090],
    ]);
    return r.every((x) => x === 'open');
  }, 'the lab servers to answer');

  server = await startServer({
    dataDir: path.join(tmp, 'server'),
    port: 0,
    logLevel: 'warn',
    printBootstrapToken: false,
  });
  admin = new PalisadeClient(server.url, server.bootstrapToken!);
  agentToken = (await admin.createToken({ name: 'h6-agent', role: 'agent' })).token;
  agentId = (
    await new PalisadeClient(server.url, agentToken).registerAgent({
      name: 'h6-node',
      workload: { kind: 'host', name: 'h6-node', labels: { role: 'node' } },
    })
  ).id;
});

afterAll(async () => {
  lab.cleanup();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent network policy enforcement in a namespace lab (root)', () => {
  it('enforces local and server policies live, keeps the last good table on a bad one, follows endpoint churn', async () => {
    const out = new MemoryOutput();
    const agent: AgentHandle = startAgent({
      rules: [],
      outputs: [out],
      sensor: false,
      hostname: 'h6-node',
      log: () => {},
    });
    // Endpoint discovery with a source of the test's own: fe2 appears later, as a started container would.
    let extra: Endpoint[] = [];
    let refresh: () => void = () => {};
    const enforcer: NetworkEnforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'local.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h6-node',
      watch: (onChange) => {
        const w = watchEndpoints({ discover: async () => ({ endpoints: extra, errors: [] }), events: false, onChange });
        refresh = w.refresh;
        return w;
      },
      onAlert: (id, alert) => agent.raise(id, alert),
    });
    let sync: PolicySync | undefined;
    try {
      expect(await enforcer.ready).toMatchObject({ applied: true, how: 'full', policies: 1, endpoints: 2 });
      // Only the local policy: 8080 allowed for the frontend, 9090 denied (api is isolated for ingress).
      expect(
        probe('fe', [
          ['api', 8080],
          ['api', 9090],
        ]),
      ).toEqual(['open', 'timeout']);
      // The host's own ruleset never sees the table.
      expect(sh('nft', 'list', 'tables')).not.toContain(TABLE);

      // A policy assigned by the server reaches the running agent through the long-poll.
      sync = startPolicySync({
        url: server.url,
        token: agentToken,
        agentId,
        waitSeconds: 20,
        onRules: (files) => agent.setRemoteRules(files),
        onNetwork: (docs) => void enforcer.setRemotePolicies(docs),
      });
      await sync.first;
      const metrics = await admin.createPolicy({
        kind: 'NetworkPolicy',
        name: 'api-metrics',
        document: SERVER_POLICY,
        workloadSelector: "role == 'node'",
      });
      await waitFor(() => enforcer.stats().policies === 2, 'the server policy to be applied');
      expect(
        probe('fe', [
          ['api', 8080],
          ['api', 9090],
        ]),
      ).toEqual(['open', 'open']);

      // A broken policy from the server: the table in force stays, and an alert says so.
      const broken = await admin.createPolicy({
        kind: 'GlobalNetworkPolicy',
        name: 'broken',
        document:
          'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: broken }\nspec:\n  selector: app ==\n',
        workloadSelector: "role == 'node'",
      });
      await waitFor(() => enforcer.stats().failures === 1, 'the broken policy to be refused');
      expect(enforcer.stats().lastError).toMatch(/invalid selector/);
      await agent.flush();
      const alert = out.records.find((r) => r.alert.rule === NETWORK_POLICY_RULE)?.alert;
      expect(alert?.output_fields['palisade.netpol.kept_previous']).toBe(true);
      expect(
        probe('fe', [
          ['api', 8080],
          ['api', 9090],
        ]),
      ).toEqual(['open', 'open']);

      // A new workload: element updates only, enforced like its documented sibling.
      expect(probe('fe2', [['api', 8080]])).toEqual(['timeout']);
      const fullBefore = enforcer.stats().fullApplies;
      extra = [
        {
          kind: 'WorkloadEndpoint',
          name: 'fe2',
          namespace: 'shop',
          labels: { app: 'frontend' },
          ips: [ipOf('fe2')],
          interfaceName: 'h6fe2',
          ports: [],
          profiles: [],
        },
      ];
      refresh();
      await waitFor(() => enforcer.stats().incrementalApplies === 1, 'fe2 to be added');
      expect(enforcer.stats().fullApplies).toBe(fullBefore);
      expect(
        probe('fe2', [
          ['api', 8080],
          ['api', 9090],
        ]),
      ).toEqual(['open', 'open']); // a frontend like fe: the server's 9090 rule covers it too

      // The server's policies deleted: 9090 closes again.
      await admin.deletePolicy(broken.id);
      await admin.deletePolicy(metrics.id);
      await waitFor(
        () => enforcer.stats().policies === 1 && enforcer.stats().lastError === undefined,
        'the policies to go',
      );
      expect(probe('fe', [['api', 9090]])).toEqual(['timeout']);
      // fe2 left: a full replace, after which it is a stranger again.
      extra = [];
      refresh();
      await waitFor(() => enforcer.stats().endpoints === 2, 'fe2 to be removed');
      expect(probe('fe2', [['api', 8080]])).toEqual(['timeout']);
    } finally {
      sync?.stop();
      await enforcer.stop();
      await agent.stop();
    }
    // Fail-static: the table outlives the agent.
    expect(inNs(NODE, 'nft', 'list', 'tables')).toContain(TABLE);
    expect(probe('fe', [['api', 9090]])).toEqual(['timeout']);
  });

  it('audit mode lets would-be denies through; removeOnExit deletes the table on stop', async () => {
    const enforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'local.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h6-node',
      discovery: false,
      mode: 'audit',
      removeOnExit: true,
    });
    expect((await enforcer.ready).applied).toBe(true);
    expect(inNs(NODE, 'nft', 'list', 'tables')).toContain(TABLE);
    expect(
      probe('fe', [
        ['api', 8080],
        ['api', 9090],
      ]),
    ).toEqual(['open', 'open']);
    await enforcer.stop();
    expect(inNs(NODE, 'nft', 'list', 'tables')).not.toContain(TABLE);
    expect(
      probe('fe', [
        ['api', 8080],
        ['api', 9090],
      ]),
    ).toEqual(['open', 'open']);
  });

  it('runs the DNS policy proxy against its table and writes flow logs', async () => {
    const upstream = await startTinyDns({ 'api.h6.test': [{ type: 'A', address: ipOf('api'), ttl: 60 }] });
    const flows = path.join(tmp, 'flows.ndjson');
    const enforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'dns.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h6-node',
      discovery: false,
      removeOnExit: true,
      dnsProxy: { listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: upstream.port } },
      flowsFile: flows,
      flowIntervalMs: 500,
    });
    try {
      expect((await enforcer.ready).applied).toBe(true);
      expect(probe('fe', [['api', 8080]])).toEqual(['timeout']);
      const answer = await query(enforcer.dnsAddress()!.port, 'api.h6.test');
      expect(answer.answers?.map((a) => a.data)).toEqual([ipOf('api')]);
      // The proxy opened the domain set in the lab's table before it released the answer.
      expect(probe('fe', [['api', 8080]])).toEqual(['open']);
      // Both connections reach the flow log within a few aggregation windows.
      const logged = (action: string) =>
        readFlows(flows).some((r) => r.action === action && r.destinationPort === 8080 && r.source.name === 'fe');
      await waitFor(() => logged('allow') && logged('deny'), 'the allowed and the denied flow in the log');
    } finally {
      await enforcer.stop();
      await upstream.close();
    }
  });
});
