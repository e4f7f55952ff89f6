// End-to-end DNS policy and flow logs on the real kernel (needs root): a client workload whose egress
// allows only some domain names; the DNS proxy opens their answers' addresses in the node's table.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import { type DnsProxy, startDnsProxy } from '../../src/dns/dns-proxy.js';
import { type FlowLogRecord, startFlowCollector } from '../../src/flows/flow-collector.js';
import { loadPolicyModel } from '../../src/model/load.js';
import type { PolicyModel } from '../../src/model/types.js';
import { applyRuleset } from '../../src/nft/apply.js';
import { compileRuleset } from '../../src/nft/compile.js';
import type { NftRuleset } from '../../src/nft/ir.js';
import { query, startTinyDns, type TinyDnsServer } from '../support/tiny-dns.js';

const dnsPacketPath = createRequire(import.meta.url).resolve('dns-packet');

const prefix = `pnd${process.pid}`;
const NODE = `${prefix}-node`;
const CLIENT = `${prefix}-cl`;
const EXT = `${prefix}-ext`;
// The external namespace holds three addresses: one per name the tiny DNS server knows.
const API = '10.20.9.2';
const CDN = '10.20.9.3';
const EVIL = '10.20.9.4';

const created: string[] = [];
const children: ChildProcess[] = [];

const sh = (...args: string[]) =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const POLICY = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: partner-only }
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
    - { action: Allow, protocol: TCP, destination: { domains: [api.partner.test, '*.cdn.test'] } }
    - { action: Allow, protocol: UDP, destination: { nets: [10.20.1.1/32], ports: [53] } }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: client, namespace: default, labels: { app: client } }
spec: { interfaceName: pdn-cl, ipNetworks: [10.20.1.2/32] }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: partner, namespace: default, labels: { app: partner } }
spec: { interfaceName: pdn-ext, ipNetworks: [${API}/32, ${CDN}/32, ${EVIL}/32] }
`;

const SERVER =
  "const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(80,'0.0.0.0');net.createServer(s=>{s.on('error',()=>{});s.pipe(s)}).listen(8080,'0.0.0.0');";
const PROBE = `const net=require('node:net');const targets=JSON.parse(process.argv[1]);
Promise.all(targets.map(([h,p])=>new Promise(r=>{const s=net.connect({host:h,port:p});
const t=setTimeout(()=>{s.destroy();r('timeout')},1200);s.on('connect',()=>{clearTimeout(t);s.destroy();r('open')});
s.on('error',e=>{clearTimeout(t);r(e.code==='ECONNREFUSED'?'refused':'error:'+e.code)})}))).then(x=>console.log(JSON.stringify(x)));`;
// A long-lived connection: echoes every stdin line through the server and prints the reply.
const HOLD = `const s=require('node:net').connect(8080,process.argv[1]);s.setEncoding('utf8');
s.on('connect',()=>console.log('connected'));s.on('data',d=>process.stdout.write('echo:'+d));
s.on('error',e=>console.log('error:'+e.code));process.stdin.on('data',d=>s.write(d));`;

function probe(targets: [string, number][]): string[] {
  return JSON.parse(inNs(CLIENT, process.execPath, '-e', PROBE, JSON.stringify(targets))) as string[];
}

function setElements(set: string): string {
  return inNs(NODE, 'nft', 'list', 'set', 'inet', 'palisade', set);
}

let dns: TinyDnsServer;
let proxy: DnsProxy;
let model: PolicyModel;
let ruleset: NftRuleset;

beforeAll(async () => {
  sh('ip', 'netns', 'add', NODE);
  created.push(NODE);
  inNs(NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (const [ns, ifname, net] of [
    [CLIENT, 'pdn-cl', 1],
    [EXT, 'pdn-ext', 9],
  ] as const) {
    sh('ip', 'netns', 'add', ns);
    created.push(ns);
    sh('ip', 'link', 'add', ifname, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    inNs(NODE, 'ip', 'addr', 'add', `10.20.${net}.1/24`, 'dev', ifname);
    inNs(NODE, 'ip', 'link', 'set', ifname, 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns, 'ip', 'addr', 'add', `10.20.${net}.2/24`, 'dev', 'eth0');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'route', 'add', 'default', 'via', `10.20.${net}.1`);
  }
  inNs(EXT, 'ip', 'addr', 'add', `${CDN}/24`, 'dev', 'eth0');
  inNs(EXT, 'ip', 'addr', 'add', `${EVIL}/24`, 'dev', 'eth0');
  children.push(spawn('ip', ['netns', 'exec', EXT, process.execPath, '-e', SERVER], { stdio: 'ignore' }));
  for (let i = 0; i < 50 && probe([[API, 80]])[0] !== 'open'; i++) await sleep(100);
  expect(probe([[API, 80]])).toEqual(['open']);

  model = loadPolicyModel([{ path: 'dns.yaml', text: POLICY }]);
  ruleset = compileRuleset(model);
  await applyRuleset(ruleset, { netns: NODE });
  dns = await startTinyDns({
    'api.partner.test': [{ type: 'A', address: API, ttl: 1 }],
    'img.cdn.test': [{ type: 'A', address: CDN, ttl: 1 }],
    'evil.test': [{ type: 'A', address: EVIL, ttl: 60 }],
  });
  // The proxy listens on loopback here; the answers' addresses go to the node namespace's table.
  proxy = await startDnsProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: dns.port },
    ruleset,
    netns: NODE,
    minTtlSeconds: 3,
  });
});

afterAll(async () => {
  await proxy?.close();
  await dns?.close();
  for (const c of children) c.kill('SIGKILL');
  for (const ns of created.reverse()) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // already gone
    }
  }
});

describe('DNS policy through the proxy (root)', () => {
  it('denies before resolution, allows after, and after the TTL denies new connections but keeps a live one', async () => {
    expect(probe([[API, 80]])).toEqual(['timeout']);
    const answer = await query(proxy.address.port, 'api.partner.test');
    expect(answer.answers?.map((a) => a.data)).toEqual([API]);
    // The element is in the set by the time the client has the answer: no retry needed.
    expect(setElements('dns4_0')).toContain(API);
    expect(probe([[API, 80]])).toEqual(['open']);

    const hold = spawn('ip', ['netns', 'exec', CLIENT, process.execPath, '-e', HOLD, API], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(hold);
    let out = '';
    hold.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100 && !out.includes(text); i++) await sleep(50);
      return out.includes(text);
    };
    expect(await waitFor('connected')).toBe(true);

    // TTL 1 s raised to the 3 s minimum: the element leaves the set on its own.
    let expired = false;
    for (let i = 0; i < 40 && !expired; i++) {
      await sleep(250);
      expired = !setElements('dns4_0').includes(API);
    }
    expect(expired).toBe(true);
    expect(probe([[API, 80]])).toEqual(['timeout']);
    hold.stdin!.write('still-there\n');
    expect(await waitFor('echo:still-there')).toBe(true);
    hold.kill('SIGKILL');
  });

  it('opens wildcard matches, and an answer for a name no policy allows opens nothing', async () => {
    expect(probe([[CDN, 80]])).toEqual(['timeout']);
    expect((await query(proxy.address.port, 'IMG.cdn.test', 'A', 'tcp')).answers?.map((a) => a.data)).toEqual([CDN]);
    expect(probe([[CDN, 80]])).toEqual(['open']);

    expect((await query(proxy.address.port, 'evil.test')).answers?.map((a) => a.data)).toEqual([EVIL]);
    expect(setElements('dns4_0')).not.toContain(EVIL);
    expect(probe([[EVIL, 80]])).toEqual(['timeout']);
    expect(proxy.domainFor(EVIL)).toBe('evil.test');
  });

  it('fills the sets again after a table replace once told (rulesetReplaced)', async () => {
    await query(proxy.address.port, 'api.partner.test');
    expect(probe([[API, 80]])).toEqual(['open']);
    await applyRuleset(ruleset, { netns: NODE }); // a replace empties the domain sets
    expect(setElements('dns4_0')).not.toContain(API);
    proxy.rulesetReplaced(ruleset);
    await query(proxy.address.port, 'api.partner.test');
    expect(setElements('dns4_0')).toContain(API);
    expect(probe([[API, 80]])).toEqual(['open']);
  });

  it('logs an allowed and a denied connection with endpoints, domain, action and policy (root)', async () => {
    const collector = await startFlowCollector({
      ruleset,
      model,
      netns: NODE,
      domainFor: (ip) => proxy.domainFor(ip),
      intervalMs: 3_600_000, // the test flushes by hand
    });
    try {
      await query(proxy.address.port, 'api.partner.test');
      expect(probe([[API, 80]])).toEqual(['open']);
      expect(probe([[EVIL, 80]])).toEqual(['timeout']);
      const records: FlowLogRecord[] = [];
      const allowed = () => records.find((r) => r.action === 'allow' && r.destination.ip === API && r.packetsOut > 0);
      const denied = () => records.find((r) => r.action === 'deny' && r.destination.ip === EVIL);
      for (let i = 0; i < 40 && !(allowed() && denied()); i++) {
        await sleep(250);
        records.push(...(await collector.flush()));
      }
      expect(allowed()).toMatchObject({
        source: { ip: '10.20.1.2', name: 'client', namespace: 'default', labels: { app: 'client' } },
        destination: { name: 'partner', domain: 'api.partner.test' },
        protocol: 'TCP',
        destinationPort: 80,
        policies: ['GlobalNetworkPolicy/partner-only Egress rule 0 Allow'],
      });
      expect(allowed()!.packetsIn).toBeGreaterThan(0);
      expect(denied()).toMatchObject({
        source: { name: 'client' },
        destination: { name: 'partner', domain: 'evil.test' },
        protocol: 'TCP',
        destinationPort: 80,
        flows: 1,
      });
      expect(denied()!.policies).toHaveLength(1);
      expect(denied()!.policies[0]).toMatch(/^tier\/default Egress rule -1 Deny$/);
    } finally {
      await collector.close();
    }
  });

  it('emits records by itself at the end of each window through records() (root)', async () => {
    const collector = await startFlowCollector({ ruleset, model, netns: NODE, intervalMs: 300 });
    try {
      expect(probe([[EVIL, 8080]])).toEqual(['timeout']);
      let found: FlowLogRecord | undefined;
      const guard = setTimeout(() => void collector.close(), 15_000); // ends the loop if nothing comes
      for await (const r of collector.records())
        if (r.action === 'deny' && r.destination.ip === EVIL && r.destinationPort === 8080) {
          found = r;
          break;
        }
      clearTimeout(guard);
      expect(found?.source.name).toBe('client');
    } finally {
      await collector.close();
    }
  });

  it('works in place: the workload asks `palisade netpol dns-proxy` in the node namespace, which asks a DNS server in the external one (root)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-dns-'));
    const policyFile = path.join(dir, 'dns.yaml');
    writeFileSync(policyFile, POLICY);
    // The external namespace's DNS server: answers every A question with API, TTL 60.
    const SERVER_DNS = `const p=require(process.argv[1]);const s=require('node:dgram').createSocket('udp4');
s.on('message',(m,r)=>{const q=p.decode(m);s.send(p.encode({id:q.id,type:'response',questions:q.questions,
answers:[{type:'A',name:q.questions[0].name,ttl:60,data:'${API}'}]}),r.port,r.address)});s.bind(53,'${API}');`;
    // The workload's resolver call: one A question to the node's address.
    const ASK = `const p=require(process.argv[1]);const s=require('node:dgram').createSocket('udp4');
s.on('message',m=>{console.log(JSON.stringify(p.decode(m).answers.map(a=>a.data)));process.exit(0)});
s.send(p.encode({id:7,type:'query',flags:p.RECURSION_DESIRED,questions:[{type:'A',name:process.argv[2]}]}),53,'10.20.1.1');
setTimeout(()=>{console.log('timeout');process.exit(0)},3000);`;
    children.push(
      spawn('ip', ['netns', 'exec', EXT, process.execPath, '-e', SERVER_DNS, dnsPacketPath], { stdio: 'ignore' }),
    );
    const cli = spawn(
      'ip',
      [
        ...['netns', 'exec', NODE, process.execPath, path.join(repoRoot, 'packages/cli/dist/palisade.js')],
        ...['netpol', 'dns-proxy', '-f', policyFile, '--upstream', `${API}:53`, '--listen', '10.20.1.1:53'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(cli);
    try {
      let err = '';
      cli.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      for (let i = 0; i < 100 && !err.includes('listening on'); i++) await sleep(100);
      expect(err).toContain('dns-proxy: listening on 10.20.1.1:53');
      inNs(NODE, 'nft', 'flush', 'set', 'inet', 'palisade', 'dns4_0');
      expect(probe([[API, 80]])).toEqual(['timeout']);
      const answer = inNs(CLIENT, process.execPath, '-e', ASK, dnsPacketPath, 'www.api.partner.test').trim();
      expect(answer).toBe(JSON.stringify([API])); // answered, but the name is not allowed
      expect(probe([[API, 80]])).toEqual(['timeout']);
      expect(inNs(CLIENT, process.execPath, '-e', ASK, dnsPacketPath, 'api.partner.test').trim()).toBe(
        JSON.stringify([API]),
      );
      expect(probe([[API, 80]])).toEqual(['open']);
    } finally {
      cli.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
