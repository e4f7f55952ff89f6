// End-to-end on the real kernel (needs root): audit mode, staged shadows and the conntrack cut of
// live connections, in a node namespace routing between a client and a server workload.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushUntil, inNs, NetnsLab, pollUntil, probeTcp, sleep } from '../../../../test-support/netns-lab.js';
import { workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { type FlowLogRecord, startFlowCollector } from '../../src/flows/flow-collector.js';
import { type NflogPacket, NflogPcapReader } from '../../src/flows/nflog-pcap.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyRuleset } from '../../src/nft/apply.js';
import { type CompileOptions, compileRuleset } from '../../src/nft/compile.js';
import type { CutResult } from '../../src/nft/cut.js';
import type { NftRuleset } from '../../src/nft/ir.js';

const prefix = `h4${process.pid}`;
const NODE = `${prefix}-node`;
const CLIENT = `${prefix}-cl`;
const SERVER = `${prefix}-srv`;
const CLIENT_IP = '10.41.1.2';
const SERVER_IP = '10.41.2.2';

const ENDPOINTS = yamlDocs(
  workloadEndpoint({ name: 'client', interfaceName: 'h4-cl', ips: [CLIENT_IP] }),
  workloadEndpoint({ name: 'server', interfaceName: 'h4-srv', ips: [SERVER_IP] }),
);
const DENY_CLIENT = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: no-client }
spec:
  selector: app == 'server'
  ingress:
    - { action: Deny, protocol: TCP, source: { selector: app == 'client' } }
    - { action: Allow }`;
const STAGED_DENY_CLIENT = DENY_CLIENT.replace('kind: GlobalNetworkPolicy', 'kind: StagedGlobalNetworkPolicy').replace(
  'no-client',
  'staged-no-client',
);

const lab = new NetnsLab();

// Port 80 answers and closes; port 8080 sends a byte every 50 ms for as long as the connection lives.
const SERVE = `const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(80,'0.0.0.0');
net.createServer(s=>{s.on('error',()=>{});const t=setInterval(()=>s.write('t'),50);s.on('close',()=>clearInterval(t))}).listen(8080,'0.0.0.0');`;
const HOLD = `const s=require('node:net').connect(8080,process.argv[1]);s.setEncoding('utf8');
s.on('data',d=>process.stdout.write(d));s.on('error',e=>process.stdout.write('E'));`;

const probe = () => probeTcp(CLIENT, SERVER_IP, 80);

async function apply(policies: string, options: CompileOptions = {}, cut = false): Promise<[NftRuleset, CutResult?]> {
  const rs = compileRuleset(loadPolicyModel([{ path: 'lab.yaml', text: `${ENDPOINTS}---\n${policies}` }]), options);
  let result: CutResult | undefined;
  await applyRuleset(rs, { netns: NODE, cutForbidden: cut, onCut: (r) => (result = r) });
  return [rs, result];
}

/**
 * Packets logged to NFLOG group 1 in the node namespace while `during` runs, until one satisfies
 * `wanted` (the kernel hands NFLOG messages over in batches, up to a second late).
 */
async function nflog(during: () => Promise<void> | void, wanted: (p: NflogPacket) => boolean): Promise<NflogPacket[]> {
  const td = lab.spawnIn(NODE, ['tcpdump', '-i', 'nflog:1', '-U', '-n', '-w', '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reader = new NflogPcapReader();
  const packets: NflogPacket[] = [];
  td.stdout!.on('data', (chunk: Buffer) => packets.push(...reader.push(chunk)));
  let err = '';
  td.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  await pollUntil(() => err.includes('listening on'), 100, 50);
  expect(err).toContain('listening on');
  await during();
  await pollUntil(() => packets.some(wanted), 60, 50);
  td.kill('SIGINT');
  await new Promise((r) => td.once('close', r));
  return packets;
}

/** A long-lived connection the server writes to; returns how many bytes arrived so far. */
function hold(): { received: () => number; stop: () => void } {
  const child = lab.spawnNode(CLIENT, HOLD, [SERVER_IP], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return { received: () => out.length, stop: () => child.kill('SIGKILL') };
}

beforeAll(async () => {
  lab.addRouter(NODE);
  lab.addRoutedWorkload(NODE, CLIENT, 'h4-cl', '10.41.1');
  lab.addRoutedWorkload(NODE, SERVER, 'h4-srv', '10.41.2');
  lab.spawnNode(SERVER, SERVE);
  await pollUntil(() => probe() === 'open');
  expect(probe()).toBe('open');
});

afterAll(() => lab.cleanup());

describe('enforcement modes and the conntrack cut (root)', () => {
  it('enforce drops a denied connection; audit lets it through and NFLOGs the rule that would have dropped it', async () => {
    await apply(DENY_CLIENT);
    expect(probe()).toBe('timeout');
    const [rs] = await apply(DENY_CLIENT, { mode: 'audit' });
    const isAudit = (p: NflogPacket) => p.prefix.startsWith('A ') && p.dst === SERVER_IP && p.dport === 80;
    const packets = await nflog(() => {
      expect(probe()).toBe('open');
    }, isAudit);
    const audit = packets.find(isAudit);
    expect(audit, JSON.stringify(packets.map((p) => p.prefix))).toBeDefined();
    expect(audit!.src).toBe(CLIENT_IP);
    expect(rs.ruleIds.get(Number(audit!.prefix.split(' ')[1]))).toEqual({
      policy: 'GlobalNetworkPolicy/no-client',
      direction: 'Ingress',
      rule: 0,
      action: 'Deny',
    });
    expect(packets.some((p) => p.prefix.startsWith('D '))).toBe(false);
  });

  it('a staged deny is logged with the staged policy while the enforced allow still applies', async () => {
    const [rs] = await apply(STAGED_DENY_CLIENT);
    const isStaged = (p: NflogPacket) => p.prefix.startsWith('S ') && p.dst === SERVER_IP;
    const packets = await nflog(() => {
      expect(probe()).toBe('open');
    }, isStaged);
    const staged = packets.find(isStaged);
    expect(staged, JSON.stringify(packets.map((p) => p.prefix))).toBeDefined();
    expect(rs.ruleIds.get(Number(staged!.prefix.split(' ')[1]))).toMatchObject({
      policy: 'StagedGlobalNetworkPolicy/staged-no-client',
      rule: 0,
      action: 'Deny',
    });
  });

  it('flow logs attribute the would-be staged deny to an allowed connection', async () => {
    const model = loadPolicyModel([{ path: 'lab.yaml', text: `${ENDPOINTS}---\n${STAGED_DENY_CLIENT}` }]);
    const rs = compileRuleset(model);
    await applyRuleset(rs, { netns: NODE });
    const collector = await startFlowCollector({ ruleset: rs, model, netns: NODE, intervalMs: 3_600_000 });
    try {
      expect(probe()).toBe('open');
      const records: FlowLogRecord[] = [];
      const found = () => records.find((r) => r.action === 'allow' && r.stagedDenies && r.destination.ip === SERVER_IP);
      await flushUntil(collector, records, () => !!found());
      expect(found()).toMatchObject({
        source: { name: 'client' },
        destination: { name: 'server' },
        destinationPort: 80,
        stagedDenies: ['StagedGlobalNetworkPolicy/staged-no-client Ingress rule 0 Deny'],
      });
    } finally {
      await collector.close();
    }
  });

  it('without cutForbidden a live connection outlives the policy that forbids it', async () => {
    await apply('');
    const h = hold();
    try {
      await pollUntil(() => h.received() >= 3, 40, 50);
      expect(h.received()).toBeGreaterThanOrEqual(3);
      const [, cut] = await apply(DENY_CLIENT);
      expect(cut).toBeUndefined();
      expect(probe()).toBe('timeout'); // new connections are denied …
      const before = h.received();
      await sleep(600);
      expect(h.received()).toBeGreaterThan(before + 3); // … the old one still streams
    } finally {
      h.stop();
    }
  });

  it('with cutForbidden the denied live connection is deleted from conntrack and gets no more data', async () => {
    await apply('');
    const h = hold();
    try {
      await pollUntil(() => h.received() >= 3, 40, 50);
      expect(h.received()).toBeGreaterThanOrEqual(3);
      const [, cut] = await apply(DENY_CLIENT, {}, true);
      expect(cut!.cut).toEqual(
        expect.arrayContaining([expect.objectContaining({ src: CLIENT_IP, dst: SERVER_IP, dport: 8080 })]),
      );
      await sleep(200); // bytes already in flight
      const after = h.received();
      await sleep(800);
      expect(h.received()).toBe(after);
      // The server's retransmissions are TCP without SYN to conntrack now: dropped, never re-tracked.
      expect(inNs(NODE, 'conntrack', '-L', '-p', 'tcp', '--dport', '8080')).not.toContain('ESTABLISHED');
    } finally {
      h.stop();
    }
  });

  it('cuts only what the new policy denies', async () => {
    await apply('');
    const h = hold();
    try {
      await pollUntil(() => h.received() >= 3, 40, 50);
      // Denies port 80 only: the streaming connection on 8080 stays.
      const [, cut] = await apply(
        DENY_CLIENT.replace('protocol: TCP,', 'protocol: TCP, destination: { ports: [80] },'),
        {},
        true,
      );
      expect(cut!.examined).toBeGreaterThan(0);
      expect(cut!.cut.filter((e) => e.dport === 8080)).toEqual([]);
      const before = h.received();
      await sleep(600);
      expect(h.received()).toBeGreaterThan(before + 3);
      expect(probe()).toBe('timeout');
    } finally {
      h.stop();
    }
  });
});
