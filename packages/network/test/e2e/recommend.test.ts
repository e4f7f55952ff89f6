// End-to-end policy recommendation on the real kernel (needs root): workloads in network
// namespaces behind a routing "node", the flow collector watching the node, a few real
// connections, `palisade netpol recommend` on the flow log, and the recommendation enforced.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flushUntil,
  inNs,
  NetnsLab,
  pollUntil,
  probeTcpMany,
  SERVE_PORTS,
} from '../../../../test-support/netns-lab.js';
import { repoRoot } from '../../../../test-support/paths.js';
import { evaluate } from '../../src/evaluate/evaluate.js';
import { type FlowLogRecord, startFlowCollector } from '../../src/flows/flow-collector.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyRuleset } from '../../src/nft/apply.js';
import { compileRuleset } from '../../src/nft/compile.js';

const prefix = `h5r${process.pid}`;
const NODE = `${prefix}-node`;
// name, node-side interface, subnet, ports it serves, labels
const WORKLOADS = [
  { name: 'frontend', ifname: 'h5-fe', net: 1, ports: [], labels: { app: 'frontend' } },
  { name: 'api', ifname: 'h5-api', net: 2, ports: [8080, 9090], labels: { app: 'api' } },
  { name: 'db', ifname: 'h5-db', net: 3, ports: [5432], labels: { app: 'db' } },
  { name: 'intruder', ifname: 'h5-int', net: 4, ports: [], labels: { app: 'intruder' } },
  // Outside the model: an external address, named by its CIDR in the recommendation.
  { name: 'external', ifname: 'h5-ext', net: 9, ports: [80], labels: {} },
] as const;
type Name = (typeof WORKLOADS)[number]['name'];
const nsOf = (n: Name) => `${prefix}-${n}`;
const ipOf = (n: Name) => `10.31.${WORKLOADS.find((w) => w.name === n)!.net}.2`;

const ENDPOINTS = WORKLOADS.filter((w) => w.name !== 'external')
  .map(
    (w) => `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: ${w.name}, namespace: shop, labels: ${JSON.stringify(w.labels)} }
spec: { interfaceName: ${w.ifname}, ipNetworks: [10.31.${w.net}.2/32] }`,
  )
  .join('\n---\n');

const lab = new NetnsLab();
let dir: string;

// Connects to every target at once (reading the reply, so both directions carry data).
const probe = (from: Name, targets: [Name, number][]) =>
  probeTcpMany(
    nsOf(from),
    targets.map(([n, p]) => [ipOf(n), p]),
    { reply: true },
  );

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'h5-recommend-'));
  lab.addRouter(NODE);
  inNs(NODE, 'ip', 'link', 'set', 'lo', 'up');
  for (const w of WORKLOADS) {
    const ns = lab.addRoutedWorkload(NODE, nsOf(w.name), w.ifname, `10.31.${w.net}`);
    if (w.ports.length > 0) lab.spawnNode(ns, SERVE_PORTS, [JSON.stringify(w.ports)]);
  }
  await pollUntil(() => probe('intruder', [['db', 5432]])[0] === 'open');
});

afterAll(() => {
  lab.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('policy recommendation from real flows (root)', () => {
  it('observes connections, recommends policies that keep them working and deny the rest once enforced', async () => {
    // No policy yet: the table only dispatches and records; everything connects.
    const endpointsOnly = loadPolicyModel([{ path: 'endpoints.yaml', text: ENDPOINTS }]);
    const ruleset = compileRuleset(endpointsOnly);
    await applyRuleset(ruleset, { netns: NODE });
    expect(probe('intruder', [['api', 8080]])).toEqual(['open']);
    // Forget those connections: their conntrack entries would end (and be reported) later.
    inNs(NODE, 'conntrack', '-F');

    const collector = await startFlowCollector({
      ruleset,
      model: endpointsOnly,
      netns: NODE,
      intervalMs: 3_600_000, // flushed by hand
    });
    const records: FlowLogRecord[] = [];
    try {
      expect(probe('frontend', [['api', 8080]])).toEqual(['open']);
      expect(
        probe('api', [
          ['db', 5432],
          ['external', 80],
        ]),
      ).toEqual(['open', 'open']);
      const seen = (from: Name, to: Name, port: number) =>
        records.some(
          (r) =>
            r.source.name === from &&
            (r.destination.name ?? r.destination.ip) === (to === 'external' ? ipOf(to) : to) &&
            r.destinationPort === port &&
            r.action === 'allow',
        );
      const all = () => seen('frontend', 'api', 8080) && seen('api', 'db', 5432) && seen('api', 'external', 80);
      await flushUntil(collector, records, () => !!all());
      expect(all()).toBe(true);
    } finally {
      await collector.close();
    }
    // Only what the workloads did while watched: the earlier probes are not there.
    expect(records.some((r) => r.source.name === 'intruder')).toBe(false);

    const flowsFile = path.join(dir, 'flows.jsonl');
    writeFileSync(flowsFile, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const endpointsFile = path.join(dir, 'endpoints.yaml');
    writeFileSync(endpointsFile, ENDPOINTS);
    const cli = path.join(repoRoot, 'packages/cli/dist/palisade.js');
    const staged = execFileSync(
      process.execPath,
      [cli, 'netpol', 'recommend', '--flows', flowsFile, '-f', endpointsFile],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(staged).toContain('kind: StagedNetworkPolicy');
    expect(staged).toContain('name: recommended-api');
    expect(staged).toContain(`- ${ipOf('external')}/32`);

    // Staged: `netpol test` shows the would-be verdicts; nothing changes yet.
    const stagedModel = loadPolicyModel([
      { path: 'endpoints.yaml', text: ENDPOINTS },
      { path: 'recommended.yaml', text: staged },
    ]);
    expect(stagedModel.policies.map((p) => `${p.name} ${p.staged}`).sort()).toEqual([
      'recommended-api true',
      'recommended-db true',
      'recommended-frontend true',
    ]);
    const intruderToApi = { src: ipOf('intruder'), dst: ipOf('api'), protocol: 6, srcPort: 40000, dstPort: 8080 };
    expect(evaluate(intruderToApi, stagedModel)).toMatchObject({ verdict: 'allow', stagedVerdict: 'deny' });

    // Promoted to enforced and applied in the lab.
    const promoted = staged.replaceAll('kind: StagedNetworkPolicy', 'kind: NetworkPolicy');
    const enforced = loadPolicyModel([
      { path: 'endpoints.yaml', text: ENDPOINTS },
      { path: 'recommended.yaml', text: promoted },
    ]);
    await applyRuleset(compileRuleset(enforced), { netns: NODE });
    expect(probe('frontend', [['api', 8080]])).toEqual(['open']);
    expect(
      probe('api', [
        ['db', 5432],
        ['external', 80],
      ]),
    ).toEqual(['open', 'open']);
    // Not observed: another workload, another port, another pair.
    expect(probe('intruder', [['api', 8080]])).toEqual(['timeout']);
    expect(probe('frontend', [['api', 9090]])).toEqual(['timeout']);
    expect(probe('frontend', [['db', 5432]])).toEqual(['timeout']);
    expect(probe('db', [['api', 8080]])).toEqual(['timeout']);
    expect(probe('frontend', [['external', 80]])).toEqual(['timeout']);
  });
});
