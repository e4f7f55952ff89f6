// The agent enforcing network policy on real podman containers it discovers itself (root, podman
// with runc): containers run with `--network none` and get a routed veth into a lab "node"
// namespace, as a Calico-style CNI would wire them; the enforcer works in that namespace, finds the
// containers through podman and their veths through the kernel, and follows a late start.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NetnsLab, plugRouted, probeTcp, SERVE_PORTS } from '../../../../test-support/netns-lab.js';
import { allowIngress, workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { importBusyboxImage, podman, removeQuietly, runSleeper } from '../../../../test-support/podman-lab.js';
import { type NetworkEnforcer, startNetworkEnforcer } from '../../src/network-enforcer.js';
import { waitFor } from '../support.js';

vi.setConfig({ testTimeout: 90_000 });

const tag = `${process.pid}-${Date.now().toString(36)}`;
const image = `localhost/h6-netpol-${tag}:1`;
const NODE = `h6${process.pid}-pn`;
const API_NS = `h6${process.pid}-pa`;
const TABLE = 'h6podman';
const API_IP = '10.64.9.2';
const containers = { fe: `h6-fe-${tag}`, other: `h6-other-${tag}`, fe2: `h6-fe2-${tag}` };
type Name = keyof typeof containers;
const NET: Record<Name, number> = { fe: 1, other: 2, fe2: 3 };

const POLICY = yamlDocs(
  workloadEndpoint({ name: 'api', namespace: 'shop', interfaceName: 'h6pa', ips: [API_IP] }),
  allowIngress({ name: 'api-ingress', namespace: 'shop', to: 'api', from: 'frontend', ports: [8080] }),
);

let tmp: string;
const lab = new NetnsLab();
const pids: Partial<Record<Name, string>> = {};

/** Starts a container without a network, then wires a routed veth from NODE into it. */
function startWired(name: Name, app: string): void {
  runSleeper(image, containers[name], {
    network: 'none',
    labels: { app, 'projectcalico.org/namespace': 'shop' },
  });
  const pid = podman('inspect', '--format', '{{.State.Pid}}', containers[name]);
  pids[name] = pid;
  plugRouted(NODE, { pid }, `h6p${name}`, `10.64.${NET[name]}`);
}

/** A real TCP connect to the api from inside the container's network namespace. */
const probe = (from: Name) => probeTcp({ pid: pids[from]! }, API_IP, 8080);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-netpol-podman-'));
  importBusyboxImage(tmp, image);
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);

  lab.addRouter(NODE);
  lab.addRoutedWorkload(NODE, API_NS, 'h6pa', '10.64.9');
  lab.spawnNode(API_NS, SERVE_PORTS, ['[8080]']);
  startWired('fe', 'frontend');
  startWired('other', 'other');
  await waitFor(() => probe('fe') === 'open' && probe('other') === 'open', 'the api to answer (no policy yet)');
});

afterAll(() => {
  removeQuietly(Object.values(containers), [image]);
  lab.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent network policy on discovered podman containers (root, podman)', () => {
  it('allows the frontend container, denies the other, and admits a frontend started later', async () => {
    const enforcer: NetworkEnforcer = startNetworkEnforcer({
      files: [path.join(tmp, 'policy.yaml')],
      netns: NODE,
      table: TABLE,
      hostname: 'h6-node',
      discovery: { engines: ['podman'], resyncMs: 300 },
      removeOnExit: true,
    });
    try {
      expect((await enforcer.ready).applied).toBe(true);
      // Discovered with their host veths in the lab namespace (other containers on this machine
      // are discovered too, without an interface here).
      const dispatched = () =>
        enforcer
          .ruleset()
          ?.maps.find((m) => m.name === 'wep_ingress')
          ?.entries.keys();
      expect([...(dispatched() ?? [])].sort()).toEqual(['h6pa', 'h6pfe', 'h6pother']);
      expect(probe('fe')).toBe('open');
      expect(probe('other')).toBe('timeout');

      startWired('fe2', 'frontend');
      await waitFor(() => [...(dispatched() ?? [])].includes('h6pfe2'), 'the late container to be discovered');
      expect(probe('fe2')).toBe('open');
      expect(probe('other')).toBe('timeout');
    } finally {
      await enforcer.stop();
    }
  });
});
