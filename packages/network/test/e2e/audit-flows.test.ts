// Audit-mode flow logs on the real kernel (needs root): a node namespace routes between a client and a
// server workload; the table audits a policy that denies the client on port 80. The real collector
// (conntrack events + NFLOG) must report the audited connection as an allowed flow that names the
// deny enforce would have dropped it on, and leave the genuinely allowed one unmarked.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushUntil, NetnsLab, pollUntil, probeTcp, SERVE_PORTS } from '../../../../test-support/netns-lab.js';
import { workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
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

const POLICY = yamlDocs(
  workloadEndpoint({ name: 'client', interfaceName: 'h10cl', ips: [CLIENT_IP] }),
  workloadEndpoint({ name: 'server', interfaceName: 'h10srv', ips: [SERVER_IP] }),
  `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: no-client-web }
spec:
  selector: app == 'server'
  ingress:
    - { action: Deny, protocol: TCP, source: { selector: app == 'client' }, destination: { ports: [80] } }
    - { action: Allow }
`,
);

const lab = new NetnsLab();
const probe = (port: number) => probeTcp(CLIENT, SERVER_IP, port);

beforeAll(async () => {
  lab.addRouter(NODE);
  lab.addRoutedWorkload(NODE, CLIENT, 'h10cl', '10.74.1');
  lab.addRoutedWorkload(NODE, SERVER, 'h10srv', '10.74.2');
  lab.spawnNode(SERVER, SERVE_PORTS, ['[80,81]']);
  await pollUntil(() => probe(81) === 'open');
  expect(probe(81)).toBe('open');
});

afterAll(() => lab.cleanup());

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
      await flushUntil(collector, records, () => !!(to(80) && to(81)));
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
      await flushUntil(collector, records, () => !!denied());
    } finally {
      await collector.close();
    }
    expect(denied()).toMatchObject({ policies: ['GlobalNetworkPolicy/no-client-web Ingress rule 0 Deny'] });
    expect(records.some((r) => r.auditDenies)).toBe(false);
  });
});
