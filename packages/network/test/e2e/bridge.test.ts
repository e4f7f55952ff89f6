// Containers on one Linux bridge, on the real kernel (needs root): a node namespace holds the bridge
// h10br0 with three workload namespaces as ports, as podman's default network does. Shows the gap
// (the plain table never sees port-to-port traffic by its ports), then the bridge dispatch
// (br_netfilter + dispatch by address) enforcing per-workload policy with conntrack marks, and the
// bridge-family guard dropping a port that sends from another workload's address.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBridge, inNs, NetnsLab, pollUntil, probeTcp, SERVE_PORTS } from '../../../../test-support/netns-lab.js';
import { allowIngress, workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyNftScript, applyRuleset } from '../../src/nft/apply.js';
import { enableBridgeNetfilter, listBridgePorts, renderBridgeGuard, withBridgeDispatch } from '../../src/nft/bridge.js';
import { compileRuleset } from '../../src/nft/compile.js';

const prefix = `h10${process.pid}`;
const NODE = `${prefix}-bnode`;
const BRIDGE = 'h10br0';
const TABLE = 'h10bridge';
const WORKLOADS = { a: 2, b: 3, c: 4 } as const;
type Name = keyof typeof WORKLOADS;
const ns = (n: Name) => `${prefix}-b${n}`;
const ipOf = (n: Name) => `10.76.0.${WORKLOADS[n]}`;

const POLICY = yamlDocs(
  ...(Object.keys(WORKLOADS) as Name[]).map((n) =>
    workloadEndpoint({ name: n, namespace: 'shop', interfaceName: `h10${n}`, ips: [ipOf(n)] }),
  ),
  allowIngress({ name: 'b-from-a', to: 'b', from: 'a', ports: [81] }),
);

const lab = new NetnsLab();

const probe = (from: Name, to: Name, port: number, spoof?: [string, number]) =>
  probeTcp(ns(from), ipOf(to), port, spoof);
const tracked = (sport: number) => inNs(NODE, 'conntrack', '-L', '-p', 'tcp', '--sport', String(sport)).trim();

const model = loadPolicyModel([{ path: 'bridge.yaml', text: POLICY }]);

beforeAll(async () => {
  lab.addNs(NODE);
  addBridge(NODE, BRIDGE, '10.76.0.1/24');
  for (const n of Object.keys(WORKLOADS) as Name[])
    lab.addBridgedWorkload(NODE, BRIDGE, ns(n), `h10${n}`, `${ipOf(n)}/24`);
  lab.spawnNode(ns('b'), SERVE_PORTS, ['[80,81]']);
  await pollUntil(() => probe('a', 'b', 80) === 'open');
  expect(probe('a', 'b', 80)).toBe('open');
});

afterAll(() => lab.cleanup());

describe('containers on one bridge in a namespace lab (root)', () => {
  it('lists the bridge ports', async () => {
    expect(await listBridgePorts({ netns: NODE })).toEqual(
      new Map([
        ['h10a', BRIDGE],
        ['h10b', BRIDGE],
        ['h10c', BRIDGE],
      ]),
    );
  });

  it('without bridge dispatch port-to-port traffic escapes the policy', async () => {
    await enableBridgeNetfilter({ netns: NODE });
    await applyRuleset(compileRuleset(model, { table: TABLE }), { netns: NODE });
    expect(probe('a', 'b', 80)).toBe('open'); // b admits only a:81, yet this gets through
    expect(probe('c', 'b', 81)).toBe('open');
  });

  it('with bridge dispatch each workload’s policy applies, with the rule id in the ct mark', async () => {
    const ports = await listBridgePorts({ netns: NODE });
    const rs = withBridgeDispatch(compileRuleset(model, { table: TABLE }), model.endpoints, ports);
    await applyRuleset(rs, { netns: NODE });
    await applyNftScript(renderBridgeGuard(TABLE, model.endpoints, ports), { netns: NODE });
    expect(probe('a', 'b', 81)).toBe('open');
    expect(probe('a', 'b', 80)).toBe('timeout');
    expect(probe('c', 'b', 81)).toBe('timeout');
    expect(probe('b', 'a', 80)).toBe('error:ECONNREFUSED'); // a has no policy: reaches a, nothing listens
    const allowId = [...rs.ruleIds].find(([, r]) => r.policy === 'GlobalNetworkPolicy/b-from-a')![0];
    expect(inNs(NODE, 'conntrack', '-L', '-p', 'tcp', '--dport', '81', '--mark', String(allowId))).toContain(
      `src=${ipOf('a')}`,
    );
  });

  it('the bridge guard drops a port sending from another workload’s address', async () => {
    // c borrows a's address, which b admits on 81.
    inNs(ns('c'), 'ip', 'addr', 'add', `${ipOf('a')}/32`, 'dev', 'eth0', 'nodad', 'noprefixroute');
    try {
      const ports = await listBridgePorts({ netns: NODE });
      // The guard emptied (no bridged endpoints): the spoofed SYN is dispatched as a's and admitted.
      await applyNftScript(renderBridgeGuard(TABLE, [], ports), { netns: NODE });
      probe('c', 'b', 81, [ipOf('a'), 40123]);
      expect(tracked(40123)).toContain(`src=${ipOf('a')}`);
      // With the guard the frame never gets past the bridge port.
      await applyNftScript(renderBridgeGuard(TABLE, model.endpoints, ports), { netns: NODE });
      expect(probe('c', 'b', 81, [ipOf('a'), 40124])).toBe('timeout');
      expect(tracked(40124)).toBe('');
      expect(probe('a', 'b', 81)).toBe('open'); // the real a is unaffected
      // Nor may a port the guard does not know (a container not discovered yet) borrow it.
      const withoutC = model.endpoints.filter((e) => e.name !== 'c');
      await applyNftScript(renderBridgeGuard(TABLE, withoutC, ports), { netns: NODE });
      expect(probe('c', 'b', 81, [ipOf('a'), 40125])).toBe('timeout');
      expect(tracked(40125)).toBe('');
      expect(probe('a', 'b', 81)).toBe('open');
    } finally {
      inNs(ns('c'), 'ip', 'addr', 'del', `${ipOf('a')}/32`, 'dev', 'eth0');
    }
  });
});
