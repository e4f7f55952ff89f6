// The agent on real podman containers attached to one Linux bridge (root, podman with runc), wired
// the way podman's bridge network wires them: each container's eth0 is a veth whose host side is a
// port of the bridge h10pbr in a lab "node" namespace, all in one subnet, so container-to-container
// traffic is bridged, never routed. With `bridges` the enforcer finds the containers through podman,
// their ports through the kernel, and holds the bridged traffic to policy.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addBridge, NetnsLab, plugBridged, probeTcp, SERVE_PORTS, sh } from '../../../../test-support/netns-lab.js';
import { allowIngress, workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { importBusyboxImage, podman, removeQuietly, runSleeper } from '../../../../test-support/podman-lab.js';
import { startNetworkEnforcer } from '../../src/network-enforcer.js';
import { waitFor } from '../support.js';

vi.setConfig({ testTimeout: 90_000 });

const tag = `${process.pid}-${Date.now().toString(36)}`;
const image = `localhost/h10-bridge-${tag}:1`;
const NODE = `h10${process.pid}-pn`;
const API_NS = `h10${process.pid}-pa`;
const BRIDGE = 'h10pbr';
const TABLE = 'h10podman';
const API_IP = '10.78.0.9';
const containers = { fe: `h10-fe-${tag}`, other: `h10-other-${tag}` };
type Name = keyof typeof containers;
const HOST: Record<Name, number> = { fe: 2, other: 3 };

const POLICY = yamlDocs(
  workloadEndpoint({ name: 'api', namespace: 'shop', interfaceName: 'h10pa', ips: [API_IP] }),
  allowIngress({ name: 'api-ingress', namespace: 'shop', to: 'api', from: 'frontend', ports: [8080] }),
);

let tmp: string;
const lab = new NetnsLab();
const pids: Partial<Record<Name, string>> = {};
const started: string[] = [];

/** Starts a container without a network, then plugs its veth into the lab bridge. */
function startBridged(name: Name, app: string): void {
  runSleeper(image, containers[name], {
    network: 'none',
    labels: { app, 'projectcalico.org/namespace': 'shop' },
  });
  started.push(containers[name]);
  const pid = podman('inspect', '--format', '{{.State.Pid}}', containers[name]);
  pids[name] = pid;
  plugBridged(NODE, BRIDGE, { pid }, `h10p${name}`, `10.78.0.${HOST[name]}/24`);
}

/** A real TCP connect to the api from inside the container's network namespace. */
const probe = (from: Name) => probeTcp({ pid: pids[from]! }, API_IP, 8080);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-netpol-podman-bridge-'));
  importBusyboxImage(tmp, image);
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);

  lab.addNs(NODE);
  addBridge(NODE, BRIDGE, '10.78.0.1/24');
  lab.addBridgedWorkload(NODE, BRIDGE, API_NS, 'h10pa', `${API_IP}/24`);
  lab.spawnNode(API_NS, SERVE_PORTS, ['[8080]']);
  startBridged('fe', 'frontend');
  startBridged('other', 'other');
  await waitFor(() => probe('fe') === 'open' && probe('other') === 'open', 'the api to answer (no policy yet)');
});

afterAll(() => {
  removeQuietly(started, [image]);
  lab.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent network policy on podman containers on one bridge (root, podman)', () => {
  it('admits the frontend container and denies the other across the bridge', async () => {
    const enforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'policy.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h10-node',
      discovery: { engines: ['podman'], resyncMs: 300 },
      bridges: true,
      removeOnExit: true,
    });
    try {
      expect((await enforcer.ready).applied).toBe(true);
      const forward = () => sh('ip', 'netns', 'exec', NODE, 'nft', 'list', 'chain', 'inet', TABLE, 'forward');
      await waitFor(() => forward().includes(`bridged shop/${containers.other}`), 'the containers to be dispatched');
      expect(probe('fe')).toBe('open');
      expect(probe('other')).toBe('timeout');
    } finally {
      await enforcer.stop();
    }
    expect(probe('other')).toBe('open');
  });
});
