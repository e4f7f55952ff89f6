// The agent enforcing network policy on real podman containers it discovers itself (root, podman
// with runc): containers run with `--network none` and get a routed veth into a lab "node"
// namespace, as a Calico-style CNI would wire them; the enforcer works in that namespace, finds the
// containers through podman and their veths through the kernel, and follows a late start.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

const POLICY = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: api, namespace: shop, labels: { app: api } }
spec: { interfaceName: h6pa, ipNetworks: [${API_IP}/32] }
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

function sh(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Starts a container without a network, then wires a routed veth from NODE into it. */
function startWired(name: Name, app: string): void {
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
  const pid = sh('podman', 'inspect', '--format', '{{.State.Pid}}', containers[name]);
  pids[name] = pid;
  const n = NET[name];
  sh('ip', 'link', 'add', `h6p${name}`, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pid);
  sh('ip', '-n', NODE, 'addr', 'add', `10.64.${n}.1/24`, 'dev', `h6p${name}`);
  sh('ip', '-n', NODE, 'link', 'set', `h6p${name}`, 'up');
  const inside = (...args: string[]) => sh('nsenter', '-t', pid, '-n', ...args);
  inside('ip', 'addr', 'add', `10.64.${n}.2/24`, 'dev', 'eth0');
  inside('ip', 'link', 'set', 'eth0', 'up');
  inside('ip', 'route', 'add', 'default', 'via', `10.64.${n}.1`);
}

const PROBE = `const net=require('node:net');const s=net.connect({host:process.argv[1],port:8080});
const t=setTimeout(()=>{s.destroy();console.log('timeout')},1000);
s.on('connect',()=>{clearTimeout(t);s.destroy();console.log('open')});s.on('error',e=>{clearTimeout(t);console.log(e.code)});`;

/** A real TCP connect to the api from inside the container's network namespace. */
function probe(from: Name): string {
  return sh('nsenter', '-t', pids[from]!, '-n', process.execPath, '-e', PROBE, API_IP);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-netpol-podman-'));
  const root = path.join(tmp, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(root, 'bin/sleep'));
  execFileSync('tar', ['-C', root, '-cf', path.join(tmp, 'rootfs.tar'), '.']);
  sh('podman', 'import', path.join(tmp, 'rootfs.tar'), image);
  fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);

  sh('ip', 'netns', 'add', NODE);
  sh('ip', 'netns', 'exec', NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  sh('ip', 'netns', 'add', API_NS);
  sh('ip', 'link', 'add', 'h6pa', 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', API_NS);
  sh('ip', '-n', NODE, 'addr', 'add', '10.64.9.1/24', 'dev', 'h6pa');
  sh('ip', '-n', NODE, 'link', 'set', 'h6pa', 'up');
  sh('ip', '-n', API_NS, 'addr', 'add', `${API_IP}/24`, 'dev', 'eth0');
  sh('ip', '-n', API_NS, 'link', 'set', 'eth0', 'up');
  sh('ip', '-n', API_NS, 'link', 'set', 'lo', 'up');
  sh('ip', '-n', API_NS, 'route', 'add', 'default', 'via', '10.64.9.1');
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
  startWired('fe', 'frontend');
  startWired('other', 'other');
  await waitFor(() => probe('fe') === 'open' && probe('other') === 'open', 'the api to answer (no policy yet)');
});

afterAll(() => {
  apiServer?.kill('SIGKILL');
  for (const c of Object.values(containers)) execFileSync('podman', ['rm', '-f', '-t', '0', c], { stdio: 'ignore' });
  execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  for (const ns of [NODE, API_NS]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
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
