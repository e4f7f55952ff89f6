// The agent enforcing on bridged containers (root, real kernel): a node namespace holds a Linux
// bridge with workload namespaces as its ports, as podman's default network does. With `bridges`
// (--netpol-bridges) the enforcer dispatches them by address and guards their ports; a container
// discovered later is enforced after the next apply; removeOnExit deletes both tables.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Endpoint, watchEndpoints } from '@palisade/network';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addBridge, inNs, NetnsLab, probeTcp, SERVE_PORTS } from '../../../../test-support/netns-lab.js';
import { allowIngress, workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { startNetworkEnforcer } from '../../src/network-enforcer.js';
import { waitFor } from '../support.js';

vi.setConfig({ testTimeout: 60_000 });

const prefix = `h10${process.pid}`;
const NODE = `${prefix}-gnode`;
const BRIDGE = 'h10gbr';
const TABLE = 'h10gtable';
const WORKLOADS = { a: 2, b: 3, c: 4 } as const;
type Name = keyof typeof WORKLOADS;
const ns = (n: Name) => `${prefix}-g${n}`;
const ipOf = (n: Name) => `10.77.0.${WORKLOADS[n]}`;

const POLICY = yamlDocs(
  workloadEndpoint({ name: 'a', namespace: 'shop', interfaceName: 'h10ga', ips: [ipOf('a')] }),
  workloadEndpoint({ name: 'b', namespace: 'shop', interfaceName: 'h10gb', ips: [ipOf('b')] }),
  allowIngress({ name: 'b-from-a', to: 'b', from: 'a', ports: [81] }),
);

const lab = new NetnsLab();
let tmp: string;

const probe = (from: Name, port: number) => probeTcp(ns(from), ipOf('b'), port);
const tables = () => inNs(NODE, 'nft', 'list', 'tables');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-agent-bridge-'));
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);
  lab.addNs(NODE);
  addBridge(NODE, BRIDGE);
  for (const n of Object.keys(WORKLOADS) as Name[])
    lab.addBridgedWorkload(NODE, BRIDGE, ns(n), `h10g${n}`, `${ipOf(n)}/24`);
  lab.spawnNode(ns('b'), SERVE_PORTS, ['[80,81]']);
  await waitFor(() => probe('a', 80) === 'open', 'the lab server to answer');
});

afterAll(() => {
  lab.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent network policy on bridged containers in a namespace lab (root)', () => {
  it('enforces per-container policy across one bridge, follows a new container, removes both tables on exit', async () => {
    let extra: Endpoint[] = [];
    let refresh: () => void = () => {};
    const enforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'policy.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h10-node',
      bridges: true,
      removeOnExit: true,
      watch: (onChange) => {
        const w = watchEndpoints({ discover: async () => ({ endpoints: extra, errors: [] }), events: false, onChange });
        refresh = w.refresh;
        return w;
      },
    });
    try {
      expect(await enforcer.ready).toMatchObject({ applied: true, how: 'full', endpoints: 2 });
      expect(probe('a', 81)).toBe('open');
      expect(probe('a', 80)).toBe('timeout');
      expect(tables()).toContain(`table bridge ${TABLE}`);
      // c is not known yet: to b's ingress policy it is a stranger.
      expect(probe('c', 81)).toBe('timeout');

      // c starts as a frontend like a (discovered): a full replace, and c gets a's rights only.
      const fullBefore = enforcer.stats().fullApplies;
      extra = [
        {
          kind: 'WorkloadEndpoint',
          name: 'c',
          namespace: 'shop',
          labels: { app: 'a' },
          ips: [ipOf('c')],
          interfaceName: 'h10gc',
          ports: [],
          profiles: [],
        },
      ];
      refresh();
      await waitFor(() => enforcer.stats().endpoints === 3, 'c to be added');
      expect(enforcer.stats()).toMatchObject({ fullApplies: fullBefore + 1, incrementalApplies: 0 });
      expect(probe('c', 81)).toBe('open');
      expect(probe('c', 80)).toBe('timeout');
      // Its port is guarded and its own policies dispatched on the bridge.
      expect(inNs(NODE, 'nft', 'list', 'set', 'bridge', TABLE, 'ports')).toContain('"h10gc"');
      expect(inNs(NODE, 'nft', 'list', 'chain', 'inet', TABLE, 'forward')).toContain('comment "bridged shop/c"');
    } finally {
      await enforcer.stop();
    }
    expect(tables()).not.toContain(TABLE);
    expect(probe('a', 80)).toBe('open');
  });
});
