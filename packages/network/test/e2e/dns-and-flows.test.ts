// End-to-end DNS policy and flow logs on the real kernel (needs root): a client workload whose egress
// allows only some domain names; the DNS proxy opens their answers' addresses in the node's table.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushUntil, inNs, NetnsLab, pollUntil, probeTcpMany, sleep } from '../../../../test-support/netns-lab.js';
import { workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
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

const lab = new NetnsLab();

const POLICY = yamlDocs(
  `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: partner-only }
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
    - { action: Allow, protocol: TCP, destination: { domains: [api.partner.test, '*.cdn.test'] } }
    - { action: Allow, protocol: UDP, destination: { nets: [10.20.1.1/32], ports: [53] } }`,
  workloadEndpoint({ name: 'client', interfaceName: 'pdn-cl', ips: ['10.20.1.2'] }),
  workloadEndpoint({ name: 'partner', interfaceName: 'pdn-ext', ips: [API, CDN, EVIL] }),
);

const SERVER =
  "const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(80,'0.0.0.0');net.createServer(s=>{s.on('error',()=>{});s.pipe(s)}).listen(8080,'0.0.0.0');";
// A long-lived connection: echoes every stdin line through the server and prints the reply.
const HOLD = `const s=require('node:net').connect(8080,process.argv[1]);s.setEncoding('utf8');
s.on('connect',()=>console.log('connected'));s.on('data',d=>process.stdout.write('echo:'+d));
s.on('error',e=>console.log('error:'+e.code));process.stdin.on('data',d=>s.write(d));`;

const probe = (targets: [string, number][]) => probeTcpMany(CLIENT, targets);

function setElements(set: string): string {
  return inNs(NODE, 'nft', 'list', 'set', 'inet', 'palisade', set);
}

let dns: TinyDnsServer;
let proxy: DnsProxy;
let model: PolicyModel;
let ruleset: NftRuleset;

beforeAll(async () => {
  lab.addRouter(NODE);
  lab.addRoutedWorkload(NODE, CLIENT, 'pdn-cl', '10.20.1');
  lab.addRoutedWorkload(NODE, EXT, 'pdn-ext', '10.20.9');
  inNs(EXT, 'ip', 'addr', 'add', `${CDN}/24`, 'dev', 'eth0');
  inNs(EXT, 'ip', 'addr', 'add', `${EVIL}/24`, 'dev', 'eth0');
  lab.spawnNode(EXT, SERVER);
  await pollUntil(() => probe([[API, 80]])[0] === 'open');
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
  lab.cleanup();
});

describe('DNS policy through the proxy (root)', () => {
  it('denies before resolution, allows after, and after the TTL denies new connections but keeps a live one', async () => {
    expect(probe([[API, 80]])).toEqual(['timeout']);
    const answer = await query(proxy.address.port, 'api.partner.test');
    expect(answer.answers?.map((a) => a.data)).toEqual([API]);
    // The element is in the set by the time the client has the answer: no retry needed.
    expect(setElements('dns4_0')).toContain(API);
    expect(probe([[API, 80]])).toEqual(['open']);

    const hold = lab.spawnNode(CLIENT, HOLD, [API], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    hold.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const waitFor = async (text: string) => {
      await pollUntil(() => out.includes(text), 100, 50);
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
      await flushUntil(collector, records, () => !!(allowed() && denied()));
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
    lab.spawnNode(EXT, SERVER_DNS, [dnsPacketPath]);
    const cli = lab.spawnIn(
      NODE,
      [
        ...[process.execPath, path.join(repoRoot, 'packages/cli/dist/palisade.js')],
        ...['netpol', 'dns-proxy', '-f', policyFile, '--upstream', `${API}:53`, '--listen', '10.20.1.1:53'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let err = '';
      cli.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      await pollUntil(() => err.includes('listening on'), 100, 100);
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
