// The agent on real podman containers attached to one Linux bridge (root, podman with runc), wired
// the way podman's bridge network wires them: each container's eth0 is a veth whose host side is a
// port of the bridge h10pbr in a lab "node" namespace, all in one subnet, so container-to-container
// traffic is bridged, never routed. With `bridges` the enforcer finds the containers through podman,
// their ports through the kernel, and holds the bridged traffic to policy.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

const POLICY = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: api, namespace: shop, labels: { app: api } }
spec: { interfaceName: h10pa, ipNetworks: [${API_IP}/32] }
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: api-ingress, namespace: shop }
spec:
  selector: app == 'api'
  types: [Ingress]
  ingress:
    - action: Allow
      protocol: TCP
      source: { selector: app == 'frontend' }
      destination: { ports: [8080] }
`;

let tmp: string;
let apiServer: ChildProcess | undefined;
const pids: Partial<Record<Name, string>> = {};
const started: string[] = [];

function sh(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Starts a container without a network, then plugs its veth into the lab bridge. */
function startBridged(name: Name, app: string): void {
  sh(
    'podman',
    'run',
    '-d',
    '--runtime',
    '/usr/sbin/runc',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    '--network',
    'none',
    '--name',
    containers[name],
    '--label',
    `app=${app}`,
    '--label',
    'projectcalico.org/namespace=shop',
    image,
    '/bin/sleep',
    '600',
  );
  started.push(containers[name]);
  const pid = sh('podman', 'inspect', '--format', '{{.State.Pid}}', containers[name]);
  pids[name] = pid;
  sh('ip', 'link', 'add', `h10p${name}`, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pid);
  sh('ip', '-n', NODE, 'link', 'set', `h10p${name}`, 'master', BRIDGE, 'up');
  const inside = (...args: string[]) => sh('nsenter', '-t', pid, '-n', ...args);
  inside('ip', 'addr', 'add', `10.78.0.${HOST[name]}/24`, 'dev', 'eth0');
  inside('ip', 'link', 'set', 'eth0', 'up');
}

const PROBE = `const net=require('node:net');const s=net.connect({host:process.argv[1],port:8080});
const t=setTimeout(()=>{s.destroy();console.log('timeout')},1000);
s.on('connect',()=>{clearTimeout(t);s.destroy();console.log('open')});s.on('error',e=>{clearTimeout(t);console.log(e.code)});`;

/** A real TCP connect to the api from inside the container's network namespace. */
function probe(from: Name): string {
  return sh('nsenter', '-t', pids[from]!, '-n', process.execPath, '-e', PROBE, API_IP);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h10-netpol-podman-bridge-'));
  const root = path.join(tmp, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(root, 'bin/sleep'));
  execFileSync('tar', ['-C', root, '-cf', path.join(tmp, 'rootfs.tar'), '.']);
  sh('podman', 'import', path.join(tmp, 'rootfs.tar'), image);
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);

  sh('ip', 'netns', 'add', NODE);
  sh('ip', '-n', NODE, 'link', 'add', BRIDGE, 'type', 'bridge');
  sh('ip', '-n', NODE, 'addr', 'add', '10.78.0.1/24', 'dev', BRIDGE);
  sh('ip', '-n', NODE, 'link', 'set', BRIDGE, 'up');
  sh('ip', 'netns', 'add', API_NS);
  sh('ip', 'link', 'add', 'h10pa', 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', API_NS);
  sh('ip', '-n', NODE, 'link', 'set', 'h10pa', 'master', BRIDGE, 'up');
  sh('ip', '-n', API_NS, 'addr', 'add', `${API_IP}/24`, 'dev', 'eth0');
  sh('ip', '-n', API_NS, 'link', 'set', 'eth0', 'up');
  sh('ip', '-n', API_NS, 'link', 'set', 'lo', 'up');
  apiServer = spawn(
    'ip',
    [
      'netns',
      'exec',
      API_NS,
      process.execPath,
      '-e',
      "require('node:net').createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(8080)",
    ],
    { stdio: 'ignore' },
  );
  startBridged('fe', 'frontend');
  startBridged('other', 'other');
  await waitFor(() => probe('fe') === 'open' && probe('other') === 'open', 'the api to answer (no policy yet)');
});

afterAll(() => {
  apiServer?.kill('SIGKILL');
  for (const c of started) execFileSync('podman', ['rm', '-f', '-t', '0', c], { stdio: 'ignore' });
  execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  for (const ns of [NODE, API_NS]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
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
