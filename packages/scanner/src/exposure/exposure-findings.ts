// Turns listening sockets and published container ports into exposure findings: what the host
// offers to the network, ranked by how dangerous the service usually is when reachable.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Finding, fingerprint, type Severity } from '@palisade/core';
import type { ListeningSocket } from './listening-sockets.js';

/** Services that should never face an untrusted network: remote admin, databases, control planes. */
const SENSITIVE_PORTS: ReadonlyMap<number, string> = new Map([
  [22, 'SSH'],
  [23, 'Telnet'],
  [2375, 'Docker API (plain)'],
  [2376, 'Docker API'],
  [2379, 'etcd'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5432, 'PostgreSQL'],
  [5900, 'VNC'],
  [6379, 'Redis'],
  [6443, 'Kubernetes API'],
  [9200, 'Elasticsearch'],
  [10250, 'kubelet'],
  [11211, 'memcached'],
  [27017, 'MongoDB'],
]);

export function socketFindings(sockets: readonly ListeningSocket[]): Finding[] {
  const out: Finding[] = [];
  for (const s of sockets) {
    if (s.scope === 'loopback') continue; // reachable from this namespace only
    const service = SENSITIVE_PORTS.get(s.port);
    const owner = s.owners[0];
    const who = owner
      ? `${owner.comm} (pid ${owner.pid}${owner.containerId ? `, container ${owner.containerId.slice(0, 12)}` : ''})`
      : 'unknown process';
    const severity: Severity = service
      ? s.scope === 'wildcard'
        ? 'HIGH'
        : 'MEDIUM'
      : s.scope === 'wildcard'
        ? 'LOW'
        : 'UNKNOWN';
    const ruleId = s.scope === 'wildcard' ? 'PAL-EXP-001' : 'PAL-EXP-002';
    const where = `${s.family === 6 ? `[${s.address}]` : s.address}:${s.port}/${s.proto}`;
    out.push({
      id: fingerprint(ruleId, owner?.containerId ?? 'host', owner?.exe ?? owner?.comm, s.address, s.port, s.proto),
      type: 'exposure',
      ruleId,
      severity,
      severitySource: 'rule',
      title: `${service ?? 'Service'} listening on ${s.scope === 'wildcard' ? 'all interfaces' : 'a non-loopback address'}: ${where}`,
      description: `${who} accepts ${s.proto.toUpperCase()} on ${where} in network namespace ${s.netns}.${service ? ` ${service} should only be reachable from trusted networks: bind it to loopback or a private interface, or filter it.` : ''}`,
      target: { path: `netns:${s.netns} ${where}`, ...(owner?.containerId ? { workload: owner.containerId } : {}) },
      references: [],
      status: 'open',
    });
  }
  return out;
}

interface PodmanPort {
  host_ip?: string;
  container_port?: number;
  host_port?: number;
  range?: number;
  protocol?: string;
}

interface PodmanContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Ports?: PodmanPort[] | null;
}

/** Container ports published on the host, from podman; none when podman is not installed. */
export async function publishedPortFindings(run = podmanPs): Promise<Finding[]> {
  const containers = await run();
  const out: Finding[] = [];
  for (const c of containers) {
    for (const p of c.Ports ?? []) {
      const hostIp = p.host_ip || '0.0.0.0';
      if (hostIp.startsWith('127.') || hostIp === '::1') continue;
      const proto = p.protocol ?? 'tcp';
      const service = SENSITIVE_PORTS.get(p.container_port ?? -1);
      const name = c.Names?.[0] ?? c.Id.slice(0, 12);
      out.push({
        id: fingerprint('PAL-EXP-010', name, hostIp, p.host_port, proto),
        type: 'exposure',
        ruleId: 'PAL-EXP-010',
        severity: service ? 'HIGH' : hostIp === '0.0.0.0' ? 'MEDIUM' : 'LOW',
        severitySource: 'rule',
        title: `Container port published on ${hostIp === '0.0.0.0' ? 'all interfaces' : hostIp}: ${hostIp}:${p.host_port} → ${name}:${p.container_port}/${proto}`,
        description: `Container ${name} (${c.Image ?? 'unknown image'}, ${c.State ?? 'unknown state'}) is published with -p ${hostIp}:${p.host_port}:${p.container_port}/${proto}.${service ? ` It is ${service}.` : ''} Publish on 127.0.0.1 unless it must be reachable from other hosts.`,
        target: { path: `container ${name}`, workload: name },
        references: [],
        status: 'open',
      });
    }
  }
  return out;
}

async function podmanPs(): Promise<PodmanContainer[]> {
  try {
    const { stdout } = await promisify(execFile)('podman', ['ps', '-a', '--format', 'json'], { maxBuffer: 64 << 20 });
    return JSON.parse(stdout || '[]') as PodmanContainer[];
  } catch {
    return [];
  }
}
