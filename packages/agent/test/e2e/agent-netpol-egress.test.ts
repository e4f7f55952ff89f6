// The agent's egress gateway routing in a lab of network namespaces (root, real kernel): billing →
// node → gateway namespace → external namespace, whose server answers with the source address it
// sees. The enforcer applies the table and the `ip rule`/route part in the node namespace
// (--netpol-netns), follows policy changes from a file reload (what SIGHUP does) and from a real
// server (SQLite in a temp dir) through the agent's long-poll, and removes its rules on stop.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { askWhoami, inNs, NetnsLab, WHOAMI_SERVER, wireEgressGatewayLab } from '../../../../test-support/netns-lab.js';
import { workloadEndpoint } from '../../../../test-support/netpol-yaml.js';
import { startNetworkEnforcer } from '../../src/network-enforcer.js';
import { type PolicySync, startPolicySync } from '../../src/policy-sync.js';
import { waitFor } from '../support.js';

vi.setConfig({ testTimeout: 60_000 });

const prefix = `h10${process.pid}`;
const NODE = `${prefix}-node`;
const BILLING = `${prefix}-bill`;
const GW = `${prefix}-gw`;
const EXT = `${prefix}-ext`;
const TABLE = 'h10palisade';
const SERVICE = '198.51.100.10';
const EGRESS_IP = '192.0.2.50';
const BILLING_IP = '10.73.1.2';

const ENDPOINTS = workloadEndpoint({ name: 'billing', interfaceName: 'h10bill', ips: [BILLING_IP] });
const GATEWAY = `apiVersion: palisade.dev/v1
kind: EgressGatewayPolicy
metadata: { name: billing-partner }
spec:
  selector: app == 'billing'
  destination: { nets: [${SERVICE}/32] }
  gateway: { nextHop: 10.73.2.2, sourceAddress: ${EGRESS_IP} }
`;

const lab = new NetnsLab();
let tmp: string;
let server: Awaited<ReturnType<typeof startServer>>;

/** The source address the external server saw billing's connection come from. */
const seenFrom = () => askWhoami(BILLING, SERVICE);
const ourRules = () =>
  (JSON.parse(inNs(NODE, 'ip', '-j', 'rule', 'list')) as { priority: number }[]).filter(
    (r) => r.priority > 20_000 && r.priority < 20_256,
  );

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-agent-egress-'));
  // Normal path: node → external directly. Gateway path: gateway → external, and back to the node.
  wireEgressGatewayLab(lab, {
    node: NODE,
    gateway: GW,
    external: EXT,
    prefix: '10.73',
    ifPrefix: 'h10',
    workloads: [{ ns: BILLING, ifname: 'h10bill', net: 1 }], // BILLING_IP is 10.73.1.2
    serviceNet: '198.51.100.0/24',
    services: [SERVICE],
    egressIp: EGRESS_IP,
  });
  lab.spawnNode(EXT, WHOAMI_SERVER);
  await waitFor(() => seenFrom() === BILLING_IP, 'the external server to answer');
  server = await startServer({
    dataDir: path.join(tmp, 'server'),
    port: 0,
    logLevel: 'warn',
    printBootstrapToken: false,
  });
});

afterAll(async () => {
  await server?.close();
  lab.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent egress gateway routing in a namespace lab (root)', () => {
  it('routes through the gateway after each apply, follows reloads and server pushes, removes its rules on exit', async () => {
    const file = path.join(tmp, 'policy.yaml');
    fs.writeFileSync(file, `${ENDPOINTS}---\n${GATEWAY}`);
    const enforcer = startNetworkEnforcer({
      files: [file],
      netns: NODE,
      table: TABLE,
      hostname: 'h10-node',
      discovery: false,
      removeOnExit: true,
    });
    let sync: PolicySync | undefined;
    try {
      expect(await enforcer.ready).toMatchObject({ applied: true, how: 'full' });
      expect(enforcer.stats()).toMatchObject({ egressRoutes: 1 });
      expect(seenFrom()).toBe(EGRESS_IP);
      expect(ourRules()).toHaveLength(1);
      expect(inNs(NODE, 'ip', 'route', 'show', 'table', '20001')).toContain('default via 10.73.2.2');

      // The policy file loses the gateway and the agent reloads (SIGHUP): the normal path again.
      fs.writeFileSync(file, ENDPOINTS);
      expect(await enforcer.reload()).toMatchObject({ applied: true });
      expect(enforcer.stats()).toMatchObject({ egressRoutes: 0 });
      expect(ourRules()).toEqual([]);
      expect(seenFrom()).toBe(BILLING_IP);

      // The server assigns the gateway through the long-poll, then withdraws it.
      const admin = new PalisadeClient(server.url, server.bootstrapToken!);
      const token = (await admin.createToken({ name: 'h10-agent', role: 'agent' })).token;
      const agentId = (
        await new PalisadeClient(server.url, token).registerAgent({
          name: 'h10-node',
          workload: { kind: 'host', name: 'h10-node', labels: { role: 'node' } },
        })
      ).id;
      sync = startPolicySync({
        url: server.url,
        token,
        agentId,
        waitSeconds: 20,
        onRules: () => {},
        onNetwork: (docs) => void enforcer.setRemotePolicies(docs),
      });
      await sync.first;
      const pushed = await admin.createPolicy({
        kind: 'EgressGatewayPolicy',
        name: 'billing-partner',
        document: GATEWAY,
        workloadSelector: "role == 'node'",
      });
      await waitFor(() => enforcer.stats().egressRoutes === 1, 'the server’s gateway to be routed');
      expect(seenFrom()).toBe(EGRESS_IP);
      await admin.deletePolicy(pushed.id);
      await waitFor(() => enforcer.stats().egressRoutes === 0, 'the gateway to be withdrawn');
      expect(ourRules()).toEqual([]);
      expect(seenFrom()).toBe(BILLING_IP);

      // Pushed again, then the agent stops with --netpol-remove-on-exit: no rule of ours remains.
      await enforcer.setRemotePolicies([{ path: 'server:billing-partner', text: GATEWAY }]);
      expect(seenFrom()).toBe(EGRESS_IP);
    } finally {
      sync?.stop();
      await enforcer.stop();
    }
    expect(ourRules()).toEqual([]);
    expect(inNs(NODE, 'nft', 'list', 'tables')).not.toContain(TABLE);
    expect(seenFrom()).toBe(BILLING_IP);
  });
});
