// The agent enforcing on bridged containers (root, real kernel): a node namespace holds a Linux
// bridge with workload namespaces as its ports, as podman's default network does. With `bridges`
// (--netpol-bridges) the enforcer dispatches them by address and guards their ports; a container
// discovered later is enforced after the next apply; removeOnExit deletes both tables.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Endpoint, watchEndpoints } from '@palisade/network';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

const POLICY = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: a, namespace: shop, labels: { app: a } }
spec: { interfaceName: h10ga, ipNetworks: [${ipOf('a')}/32] }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: b, namespace: shop, labels: { app: b } }
spec: { interfaceName: h10gb, ipNetworks: [${ipOf('b')}/32] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: b-from-a }
spec:
  selector: app == 'b'
  types: [Ingress]
  ingress:
    - { action: Allow, protocol: TCP, source: { selector: app == 'a' }, destination: { ports: [81] } }
`;

const created: string[] = [];
const children: ChildProcess[] = [];
let tmp: string;
const sh = (...args: string[]) =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (name: string, ...args: string[]) => sh('ip', 'netns', 'exec', name, ...args);

const SERVE = `const net=require('node:net');for(const p of [80,81])net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(p,'0.0.0.0');`;
const PROBE = `const s=require('node:net').connect(+process.argv[2],process.argv[1]);const t=setTimeout(()=>{s.destroy();console.log('timeout')},1200);
s.on('connect',()=>{clearTimeout(t);s.destroy();console.log('open')});s.on('error',e=>{clearTimeout(t);console.log('error:'+e.code)});`;
const probe = (from: Name, port: number) =>
  inNs(ns(from), process.execPath, '-e', PROBE, ipOf('b'), String(port)).trim();
const tables = () => inNs(NODE, 'nft', 'list', 'tables');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-agent-bridge-'));
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);
  sh('ip', 'netns', 'add', NODE);
  created.push(NODE);
  inNs(NODE, 'ip', 'link', 'set', 'lo', 'up');
  inNs(NODE, 'ip', 'link', 'add', BRIDGE, 'type', 'bridge');
  inNs(NODE, 'ip', 'link', 'set', BRIDGE, 'up');
  for (const n of Object.keys(WORKLOADS) as Name[]) {
    sh('ip', 'netns', 'add', ns(n));
    created.push(ns(n));
    sh('ip', 'link', 'add', `h10g${n}`, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(n));
    inNs(NODE, 'ip', 'link', 'set', `h10g${n}`, 'master', BRIDGE, 'up');
    inNs(ns(n), 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns(n), 'ip', 'addr', 'add', `${ipOf(n)}/24`, 'dev', 'eth0');
    inNs(ns(n), 'ip', 'link', 'set', 'eth0', 'up');
  }
  children.push(spawn('ip', ['netns', 'exec', ns('b'), process.execPath, '-e', SERVE], { stdio: 'ignore' }));
  await waitFor(() => probe('a', 80) === 'open', 'the lab server to answer');
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const name of created.reverse()) {
    try {
      sh('ip', 'netns', 'del', name);
    } catch {
      // already gone
    }
  }
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
