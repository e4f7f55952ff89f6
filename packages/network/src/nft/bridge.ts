// Policy for containers on a Linux bridge (podman's default network). Traffic between two ports of
// one bridge never reaches the `inet` hooks as itself: with br_netfilter (`bridge-nf-call-iptables`)
// it does, but both interface names are the bridge's, so dispatch by host veth cannot find the
// workload. Two parts fix that without a second policy engine:
//
// - withBridgeDispatch adds, to the compiled `inet` table, dispatch by address on the bridge
//   device (`iifname BRIDGE ip saddr @ADDRS jump ep-out-N`, `oifname BRIDGE ip daddr … jump
//   ep-in-N`) into the same endpoint chains, so conntrack, ct marks, NFLOG and flow logs all work.
// - Dispatch by address trusts the source address, so a stateless `table bridge` guard drops what
//   a bridge port sends from an address that is not its workload's (anti-spoofing per port).
//
// (A `table bridge` with the policy chains themselves would need conntrack in the bridge family,
// nf_conntrack_bridge, which kernels built without CONFIG_NF_CONNTRACK_BRIDGE lack: nft refuses
// `ct` expressions there with "Protocol error".)

import { execFile } from 'node:child_process';
import { parseCidr } from '../model/cidr.js';
import type { Endpoint } from '../model/types.js';
import type { Family, NftRule, NftRuleset, NftSet } from './ir.js';

/** Bridge port (the host side of a container's veth) → the bridge it is attached to. */
export type BridgePorts = ReadonlyMap<string, string>;

export interface BridgeCommandOptions {
  /** Run inside `ip netns exec NAME` (labs, tests). */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

interface BridgedEndpoint {
  readonly endpoint: Endpoint;
  readonly port: string;
  readonly bridge: string;
  readonly ips: Record<Family, string[]>;
}

/** Workload endpoints whose interface is a bridge port, with their addresses by family. */
function bridged(endpoints: readonly Endpoint[], ports: BridgePorts): BridgedEndpoint[] {
  const out: BridgedEndpoint[] = [];
  for (const endpoint of endpoints) {
    const port = endpoint.interfaceName;
    const bridge = port === undefined ? undefined : ports.get(port);
    if (endpoint.kind !== 'WorkloadEndpoint' || port === undefined || bridge === undefined) continue;
    const ips: Record<Family, string[]> = { 4: [], 6: [] };
    for (const ip of endpoint.ips) {
      const c = parseCidr(ip);
      if (c) ips[c.version].push(ip.split('/')[0]!);
    }
    out.push({ endpoint, port, bridge, ips });
  }
  return out;
}

const quote = (name: string) => `"${name.replace(/["\\]/g, '')}"`;

/**
 * The compiled table plus dispatch by address for endpoints on bridge ports (pure). Endpoints
 * not on a bridge, and tables without such endpoints, are left exactly as they were.
 */
export function withBridgeDispatch(rs: NftRuleset, endpoints: readonly Endpoint[], ports: BridgePorts): NftRuleset {
  const egress = rs.maps.find((m) => m.name === 'wep_egress')?.entries;
  const ingress = rs.maps.find((m) => m.name === 'wep_ingress')?.entries;
  const list = bridged(endpoints, ports).filter((b) => egress?.has(b.port) && ingress?.has(b.port));
  if (list.length === 0) return rs;

  const sets: NftSet[] = [];
  const egressRules: NftRule[] = [];
  const ingressRules: NftRule[] = [];
  list.forEach((b, i) => {
    for (const family of [4, 6] as const) {
      if (b.ips[family].length === 0) continue;
      const set = `br_ep${i}_${family}`;
      sets.push({ name: set, type: 'addr', family, interval: false, elements: b.ips[family] });
      const comment = `bridged ${b.endpoint.namespace ? `${b.endpoint.namespace}/` : ''}${b.endpoint.name}`;
      egressRules.push({
        matches: [
          { m: 'iifname', name: b.bridge },
          { m: 'addr', side: 'saddr', family, set, negate: false },
        ],
        statements: [],
        verdict: { v: 'jump', chain: egress!.get(b.port)! },
        comment,
      });
      ingressRules.push({
        matches: [
          { m: 'oifname', name: b.bridge },
          { m: 'addr', side: 'daddr', family, set, negate: false },
        ],
        statements: [],
        verdict: { v: 'jump', chain: ingress!.get(b.port)! },
        comment,
      });
    }
  });

  // The endpoint chains check `iifname . saddr` against the anti-spoofing sets; on the bridge
  // device that pair is the bridge's. The guard in the bridge table checks the port itself.
  const extraSources = (s: NftSet): string[] =>
    list.flatMap((b) => (s.type === 'ifaceAddr' ? b.ips[s.family].map((ip) => `${quote(b.bridge)} . ${ip}`) : []));
  const withSources = rs.sets.map((s) => {
    const add = extraSources(s).filter((e) => !s.elements.includes(e));
    return add.length > 0 ? { ...s, elements: [...s.elements, ...add] } : s;
  });

  // Egress dispatch right after the interface egress vmap, ingress right after the ingress vmap:
  // the order routed traffic already has (the source's egress policy, then the destination's ingress).
  const chains = rs.chains.map((c) => {
    if (!c.hook || (c.hook.type ?? 'filter') !== 'filter') return c;
    const rules: NftRule[] = [];
    for (const r of c.rules) {
      rules.push(r);
      if (r.verdict?.v === 'vmap' && r.verdict.map === 'wep_egress') rules.push(...egressRules);
      if (r.verdict?.v === 'vmap' && r.verdict.map === 'wep_ingress') rules.push(...ingressRules);
    }
    return { ...c, rules };
  });
  return { ...rs, sets: [...withSources, ...sets], chains };
}

/**
 * One `nft -f` script that makes `table bridge TABLE` the anti-spoofing guard for the bridged
 * endpoints: a frame from a known bridge port must carry one of its workload's addresses, and no
 * other port (an unknown container's) may send from a known workload's address. IPv6
 * neighbour/router discovery and non-IP frames pass. Atomic, and idempotent.
 */
export function renderBridgeGuard(table: string, endpoints: readonly Endpoint[], ports: BridgePorts): string {
  const list = bridged(endpoints, ports);
  const t = `bridge ${table}`;
  const lines = [
    `table ${t} {`,
    '  set ports { type ifname; }',
    '  set src4 { type ifname . ipv4_addr; }',
    '  set src6 { type ifname . ipv6_addr; }',
    '  set addrs4 { type ipv4_addr; }',
    '  set addrs6 { type ipv6_addr; }',
    '  chain prerouting { type filter hook prerouting priority -200; policy accept; }',
    '}',
    `flush chain ${t} prerouting`,
    `flush set ${t} ports`,
    `flush set ${t} src4`,
    `flush set ${t} src6`,
    `flush set ${t} addrs4`,
    `flush set ${t} addrs6`,
  ];
  const portNames = [...new Set(list.map((b) => quote(b.port)))];
  if (portNames.length > 0) lines.push(`add element ${t} ports { ${portNames.join(', ')} }`);
  for (const family of [4, 6] as const) {
    const pairs = list.flatMap((b) => b.ips[family].map((ip) => `${quote(b.port)} . ${ip}`));
    if (pairs.length > 0) lines.push(`add element ${t} src${family} { ${pairs.join(', ')} }`);
    const addrs = [...new Set(list.flatMap((b) => b.ips[family]))];
    if (addrs.length > 0) lines.push(`add element ${t} addrs${family} { ${addrs.join(', ')} }`);
  }
  lines.push(
    `add rule ${t} prerouting meta l4proto ipv6-icmp icmpv6 type { 133, 135, 136 } accept comment "neighbour discovery"`,
  );
  for (const [family, proto, ip] of [
    [4, 'ip', 'ip'],
    [6, 'ip6', 'ip6'],
  ] as const)
    lines.push(
      `add rule ${t} prerouting ether type ${proto} iifname . ${ip} saddr @src${family} accept`,
      `add rule ${t} prerouting ether type ${proto} ${ip} saddr @addrs${family} drop comment "anti-spoofing: another workload's address"`,
      `add rule ${t} prerouting ether type ${proto} iifname @ports drop comment "anti-spoofing"`,
    );
  return `${lines.join('\n')}\n`;
}

function run(cmd: string[], options: BridgeCommandOptions): Promise<string> {
  const [file, args] = options.netns ? ['ip', ['netns', 'exec', options.netns, ...cmd]] : [cmd[0]!, cmd.slice(1)];
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    ),
  );
}

/** Parses `ip -j link show type bridge_slave` into port → bridge. */
export function parseBridgePorts(json: string): Map<string, string> {
  const out = new Map<string, string>();
  const links = JSON.parse(json || '[]') as { ifname?: string; master?: string }[];
  if (!Array.isArray(links)) return out;
  for (const l of links) if (typeof l?.ifname === 'string' && typeof l.master === 'string') out.set(l.ifname, l.master);
  return out;
}

/** The bridge ports of this host (or namespace) and their bridges. */
export async function listBridgePorts(options: BridgeCommandOptions = {}): Promise<Map<string, string>> {
  return parseBridgePorts(await run(['ip', '-j', 'link', 'show', 'type', 'bridge_slave'], options));
}

/**
 * Turns on br_netfilter's calls into the IPv4/IPv6 hooks for bridged traffic (per network
 * namespace). Without them bridged frames never reach the `inet` table at all.
 */
export async function enableBridgeNetfilter(options: BridgeCommandOptions = {}): Promise<void> {
  await run(
    ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1'],
    options,
  );
}
