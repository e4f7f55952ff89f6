// Audit-mode flow logs on the real kernel (needs root): a node namespace routes between a client and a
// server workload; the table audits a policy that denies the client on port 80. The real collector
// (conntrack events + NFLOG) must report the audited connection as an allowed flow that names the
// deny enforce would have dropped it on, and leave the genuinely allowed one unmarked.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlowLogRecord, startFlowCollector } from '../../src/flows/flow-collector.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyRuleset } from '../../src/nft/apply.js';
import { compileRuleset } from '../../src/nft/compile.js';
import { parseFlowLog } from '../../src/recommend/flow-log.js';

const prefix = `h10${process.pid}`;
const NODE = `${prefix}-node`;
const CLIENT = `${prefix}-cl`;
const SERVER = `${prefix}-srv`;
const CLIENT_IP = '10.74.1.2';
const SERVER_IP = '10.74.2.2';

const POLICY = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: client, namespace: default, labels: { app: client } }
spec: { interfaceName: h10cl, ipNetworks: [${CLIENT_IP}/32] }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: server, namespace: default, labels: { app: server } }
spec: { interfaceName: h10srv, ipNetworks: [${SERVER_IP}/32] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: no-client-web }
spec:
  selector: app == 'server'
  ingress:
    - { action: Deny, protocol: TCP, source: { selector: app == 'client' }, destination: { ports: [80] } }
    - { action: Allow }
`;

const created: string[] = [];
const children: ChildProcess[] = [];
const sh = (...args: string[]) =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SERVE = `const net=require('node:net');for(const p of [80,81])net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(p,'0.0.0.0');`;
const PROBE = `const s=require('node:net').connect(+process.argv[2],process.argv[1]);const t=setTimeout(()=>{s.destroy();console.log('timeout')},1200);
s.on('connect',()=>{clearTimeout(t);s.destroy();console.log('open')});s.on('error',e=>{clearTimeout(t);console.log('error:'+e.code)});`;
const probe = (port: number) => inNs(CLIENT, process.execPath, '-e', PROBE, SERVER_IP, String(port)).trim();

beforeAll(async () => {
  sh('ip', 'netns', 'add', NODE);
  created.push(NODE);
  inNs(NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (const [ns, ifname, net] of [
    [CLIENT, 'h10cl', 1],
    [SERVER, 'h10srv', 2],
  ] as const) {
    sh('ip', 'netns', 'add', ns);
    created.push(ns);
    sh('ip', 'link', 'add', ifname, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    inNs(NODE, 'ip', 'addr', 'add', `10.74.${net}.1/24`, 'dev', ifname);
    inNs(NODE, 'ip', 'link', 'set', ifname, 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns, 'ip', 'addr', 'add', `10.74.${net}.2/24`, 'dev', 'eth0');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'route', 'add', 'default', 'via', `10.74.${net}.1`);
  }
  children.push(spawn('ip', ['netns', 'exec', SERVER, process.execPath, '-e', SERVE], { stdio: 'ignore' }));
  for (let i = 0; i < 50 && probe(81) !== 'open'; i++) await sleep(100);
  expect(probe(81)).toBe('open');
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const ns of created.reverse()) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // already gone
    }
  }
});

describe('audit-mode flow logs in a namespace lab (root)', () => {
  it('reports a would-be deny as an allowed flow with auditDenies, and a real allow without', async () => {
    const model = loadPolicyModel([{ path: 'lab.yaml', text: POLICY }]);
    const rs = compileRuleset(model, { mode: 'audit' });
    await applyRuleset(rs, { netns: NODE });
    const collector = await startFlowCollector({ ruleset: rs, model, netns: NODE, intervalMs: 3_600_000 });
    const records: FlowLogRecord[] = [];
    const to = (port: number) => records.find((r) => r.destinationPort === port && r.destination.ip === SERVER_IP);
    try {
      expect(probe(80)).toBe('open'); // audit lets it through …
      expect(probe(81)).toBe('open');
      for (let i = 0; i < 40 && !(to(80) && to(81)); i++) {
        await sleep(250);
        records.push(...(await collector.flush()));
      }
    } finally {
      await collector.close();
    }
    // … and the flow log says enforce would have dropped it, on which rule.
    expect(to(80)).toMatchObject({
      action: 'allow',
      source: { name: 'client' },
      destination: { name: 'server' },
      protocol: 'TCP',
      policies: ['GlobalNetworkPolicy/no-client-web Ingress rule 0 Deny'],
      auditDenies: ['GlobalNetworkPolicy/no-client-web Ingress rule 0 Deny'],
      flows: 1,
    });
    expect(to(81)).toMatchObject({
      action: 'allow',
      policies: ['GlobalNetworkPolicy/no-client-web Ingress rule 1 Allow'],
    });
    expect(to(81)).not.toHaveProperty('auditDenies');
    // The records stay readable by `palisade netpol recommend`.
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    expect(parseFlowLog(text).find((r) => r.destinationPort === 80)).toMatchObject({
      auditDenies: ['GlobalNetworkPolicy/no-client-web Ingress rule 0 Deny'],
    });
  });

  it('in enforce mode the same connection is a deny record without auditDenies', async () => {
    const model = loadPolicyModel([{ path: 'lab.yaml', text: POLICY }]);
    const rs = compileRuleset(model);
    await applyRuleset(rs, { netns: NODE });
    const collector = await startFlowCollector({ ruleset: rs, model, netns: NODE, intervalMs: 3_600_000 });
    const records: FlowLogRecord[] = [];
    const denied = () => records.find((r) => r.action === 'deny' && r.destinationPort === 80);
    try {
      expect(probe(80)).toBe('timeout');
      for (let i = 0; i < 40 && !denied(); i++) {
        await sleep(250);
        records.push(...(await collector.flush()));
      }
    } finally {
      await collector.close();
    }
    expect(denied()).toMatchObject({ policies: ['GlobalNetworkPolicy/no-client-web Ingress rule 0 Deny'] });
    expect(records.some((r) => r.auditDenies)).toBe(false);
  });
});
