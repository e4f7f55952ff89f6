// The agent's egress gateway routing in a lab of network namespaces (root, real kernel): billing →
// node → gateway namespace → external namespace, whose server answers with the source address it
// sees. The enforcer applies the table and the `ip rule`/route part in the node namespace
// (--netpol-netns), follows policy changes from a file reload (what SIGHUP does) and from a real
// server (SQLite in a temp dir) through the agent's long-poll, and removes its rules on stop.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PalisadeClient, startServer } from '@palisade/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

const ENDPOINTS = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: billing, namespace: default, labels: { app: billing } }
spec: { interfaceName: h10bill, ipNetworks: [${BILLING_IP}/32] }
`;
const GATEWAY = `apiVersion: palisade.dev/v1
kind: EgressGatewayPolicy
metadata: { name: billing-partner }
spec:
  selector: app == 'billing'
  destination: { nets: [${SERVICE}/32] }
  gateway: { nextHop: 10.73.2.2, sourceAddress: ${EGRESS_IP} }
`;

const created: string[] = [];
const children: ChildProcess[] = [];
let tmp: string;
let server: Awaited<ReturnType<typeof startServer>>;
const sh = (...args: string[]) =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);

function link(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string): void {
  sh('ip', 'link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b);
  inNs(a, 'ip', 'addr', 'add', aAddr, 'dev', aIf);
  inNs(b, 'ip', 'addr', 'add', bAddr, 'dev', bIf);
  inNs(a, 'ip', 'link', 'set', aIf, 'up');
  inNs(b, 'ip', 'link', 'set', bIf, 'up');
}

const WHOAMI = `const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end(s.remoteAddress)}).listen(80,'0.0.0.0');`;
const ASK = `const s=require('node:net').connect(80,process.argv[1]);let d='';s.setEncoding('utf8');s.on('data',x=>d+=x);
s.on('end',()=>{console.log(d);process.exit(0)});s.on('error',e=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('timeout');process.exit(0)},1500);`;
/** The source address the external server saw billing's connection come from. */
const seenFrom = () => inNs(BILLING, process.execPath, '-e', ASK, SERVICE).trim();
const ourRules = () =>
  (JSON.parse(inNs(NODE, 'ip', '-j', 'rule', 'list')) as { priority: number }[]).filter(
    (r) => r.priority > 20_000 && r.priority < 20_256,
  );

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-agent-egress-'));
  for (const ns of [NODE, BILLING, GW, EXT]) {
    sh('ip', 'netns', 'add', ns);
    created.push(ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    // Replies through the gateway come back on another interface than the normal path's.
    inNs(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
  }
  for (const ns of [NODE, GW]) inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  link(NODE, 'h10bill', '10.73.1.1/24', BILLING, 'eth0', `${BILLING_IP}/24`);
  link(NODE, 'h10gw', '10.73.2.1/24', GW, 'eth0', '10.73.2.2/24');
  link(NODE, 'h10ext', '10.73.9.1/24', EXT, 'eth0', '10.73.9.2/24');
  link(GW, 'eth1', '10.73.8.1/24', EXT, 'eth1', '10.73.8.2/24');
  inNs(BILLING, 'ip', 'route', 'add', 'default', 'via', '10.73.1.1');
  // Normal path: node → external directly. Gateway path: gateway → external, and back to the node.
  inNs(NODE, 'ip', 'route', 'add', '198.51.100.0/24', 'via', '10.73.9.2');
  inNs(GW, 'ip', 'route', 'add', '198.51.100.0/24', 'via', '10.73.8.2');
  inNs(GW, 'ip', 'route', 'add', `${EGRESS_IP}/32`, 'via', '10.73.2.1');
  inNs(EXT, 'ip', 'addr', 'add', `${SERVICE}/32`, 'dev', 'lo');
  inNs(EXT, 'ip', 'route', 'add', '10.73.0.0/16', 'via', '10.73.9.1');
  inNs(EXT, 'ip', 'route', 'add', `${EGRESS_IP}/32`, 'via', '10.73.8.1');
  children.push(spawn('ip', ['netns', 'exec', EXT, process.execPath, '-e', WHOAMI], { stdio: 'ignore' }));
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
  for (const c of children) c.kill('SIGKILL');
  for (const ns of created.reverse()) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // already gone
    }
  }
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
