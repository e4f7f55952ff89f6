// Test support for labs of network namespaces on the real kernel (root): shell helpers, a lab that
// remembers what it created (namespaces, child processes) so afterAll can remove it, the usual
// wirings (a node routing to workloads over veths, a bridge with workloads as ports, the egress
// gateway topology), real TCP servers and probes, and a flow-collector flush loop. Callers pick
// names, interfaces and subnets unique to their test file: files run in parallel processes.

import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';

/** Runs a command and returns its stdout; throws (with stderr) when it fails. */
export const sh = (...args: string[]): string =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Runs a command inside network namespace `ns`. */
export const inNs = (ns: string, ...args: string[]): string => sh('ip', 'netns', 'exec', ns, ...args);

/**
 * Where a workload's network lives: a named namespace, or a process's (a container's, by its pid,
 * entered with nsenter).
 */
export type NetTarget = string | { readonly pid: string };

/** Runs a command in a workload's network namespace. */
export const inTarget = (target: NetTarget, ...args: string[]): string =>
  typeof target === 'string' ? inNs(target, ...args) : sh('nsenter', '-t', target.pid, '-n', ...args);

const vethPeerNs = (target: NetTarget): string => (typeof target === 'string' ? target : target.pid);

/**
 * Wires `target` to `node` over a routed veth: `ifname` on the node side holds `<subnet>.1/24`,
 * eth0 in the workload holds `<subnet>.2/24` and routes everything via the node.
 */
export function plugRouted(node: string, target: NetTarget, ifname: string, subnet: string): void {
  sh('ip', 'link', 'add', ifname, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vethPeerNs(target));
  inNs(node, 'ip', 'addr', 'add', `${subnet}.1/24`, 'dev', ifname);
  inNs(node, 'ip', 'link', 'set', ifname, 'up');
  inTarget(target, 'ip', 'link', 'set', 'lo', 'up');
  inTarget(target, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0');
  inTarget(target, 'ip', 'link', 'set', 'eth0', 'up');
  inTarget(target, 'ip', 'route', 'add', 'default', 'via', `${subnet}.1`);
}

/**
 * Plugs `target` into `bridge` in `node` (as podman's bridge network does): `ifname` is the bridge
 * port, eth0 in the workload holds `cidr` (address/prefix).
 */
export function plugBridged(node: string, bridge: string, target: NetTarget, ifname: string, cidr: string): void {
  sh('ip', 'link', 'add', ifname, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vethPeerNs(target));
  inNs(node, 'ip', 'link', 'set', ifname, 'master', bridge, 'up');
  inTarget(target, 'ip', 'link', 'set', 'lo', 'up');
  inTarget(target, 'ip', 'addr', 'add', cidr, 'dev', 'eth0');
  inTarget(target, 'ip', 'link', 'set', 'eth0', 'up');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `done` every `everyMs` until it holds or `tries` run out; the caller asserts afterwards, so
 * a timeout shows up as the real failed expectation rather than a generic "timed out".
 */
export async function pollUntil(done: () => boolean | Promise<boolean>, tries = 50, everyMs = 100): Promise<void> {
  for (let i = 0; i < tries && !(await done()); i++) await sleep(everyMs);
}

export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** Creates namespace `name` (removed again by cleanup). */
  addNs(name: string): string {
    sh('ip', 'netns', 'add', name);
    this.namespaces.push(name);
    return name;
  }

  /** A node namespace that forwards IPv4 between its workloads. */
  addRouter(name: string): string {
    this.addNs(name);
    inNs(name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    return name;
  }

  /** A new workload namespace `ns`, wired to `node` over a routed veth (see plugRouted). */
  addRoutedWorkload(node: string, ns: string, ifname: string, subnet: string): string {
    plugRouted(node, this.addNs(ns), ifname, subnet);
    return ns;
  }

  /** A new workload namespace `ns`, plugged into `bridge` in `node` (see plugBridged). */
  addBridgedWorkload(node: string, bridge: string, ns: string, ifname: string, cidr: string): string {
    plugBridged(node, bridge, this.addNs(ns), ifname, cidr);
    return ns;
  }

  /** Starts `command` inside `ns`; the child is killed by cleanup. */
  spawnIn(ns: string, command: string[], options: SpawnOptions = { stdio: 'ignore' }): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...command], options);
    this.children.push(child);
    return child;
  }

  /** Runs a Node script (`node -e script ...args`) in the background inside `ns`. */
  spawnNode(ns: string, script: string, args: string[] = [], options?: SpawnOptions): ChildProcess {
    return this.spawnIn(ns, [process.execPath, '-e', script, ...args], options);
  }

  /** Kills the children and deletes the namespaces, newest first; safe to call twice. */
  cleanup(): void {
    for (const c of this.children.splice(0)) c.kill('SIGKILL');
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        sh('ip', 'netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }
}

/** Joins namespaces `a` and `b` with a veth pair, an address (with prefix) on each end. */
export function linkVeth(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string): void {
  sh('ip', 'link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b);
  inNs(a, 'ip', 'addr', 'add', aAddr, 'dev', aIf);
  inNs(b, 'ip', 'addr', 'add', bAddr, 'dev', bIf);
  inNs(a, 'ip', 'link', 'set', aIf, 'up');
  inNs(b, 'ip', 'link', 'set', bIf, 'up');
}

/** Loopback up in `node` and a bridge `bridge` there, with address `cidr` when given. */
export function addBridge(node: string, bridge: string, cidr?: string): void {
  inNs(node, 'ip', 'link', 'set', 'lo', 'up');
  inNs(node, 'ip', 'link', 'add', bridge, 'type', 'bridge');
  if (cidr) inNs(node, 'ip', 'addr', 'add', cidr, 'dev', bridge);
  inNs(node, 'ip', 'link', 'set', bridge, 'up');
}

export interface EgressGatewayLayout {
  readonly node: string;
  readonly gateway: string;
  readonly external: string;
  /** The first two octets of the lab's 10.x.0.0/16, e.g. '10.42'. */
  readonly prefix: string;
  /** Node-side interface names start with this (…gw, …ext). */
  readonly ifPrefix: string;
  /** Routed workloads: namespace, node-side interface, third octet of their /24. */
  readonly workloads: readonly { readonly ns: string; readonly ifname: string; readonly net: number }[];
  /** The external /24 the services live in, and the service addresses the external namespace owns. */
  readonly serviceNet: string;
  readonly services: readonly string[];
  /** The gateway's stable source address for what it forwards. */
  readonly egressIp: string;
}

/**
 * The egress gateway lab: workloads → node → external directly (<prefix>.9.0/24), or node → gateway
 * (<prefix>.2.0/24) → external (<prefix>.8.0/24) for what the policy sends through the gateway.
 * Creates all namespaces in `lab`, with rp_filter off since gateway replies come back on another
 * interface than the normal path's.
 */
export function wireEgressGatewayLab(lab: NetnsLab, l: EgressGatewayLayout): void {
  const p = l.prefix;
  for (const ns of [l.node, ...l.workloads.map((w) => w.ns), l.gateway, l.external]) {
    lab.addNs(ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
  }
  for (const ns of [l.node, l.gateway]) inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (const w of l.workloads) linkVeth(l.node, w.ifname, `${p}.${w.net}.1/24`, w.ns, 'eth0', `${p}.${w.net}.2/24`);
  linkVeth(l.node, `${l.ifPrefix}gw`, `${p}.2.1/24`, l.gateway, 'eth0', `${p}.2.2/24`);
  linkVeth(l.node, `${l.ifPrefix}ext`, `${p}.9.1/24`, l.external, 'eth0', `${p}.9.2/24`);
  linkVeth(l.gateway, 'eth1', `${p}.8.1/24`, l.external, 'eth1', `${p}.8.2/24`);
  for (const w of l.workloads) inNs(w.ns, 'ip', 'route', 'add', 'default', 'via', `${p}.${w.net}.1`);
  inNs(l.node, 'ip', 'route', 'add', l.serviceNet, 'via', `${p}.9.2`);
  inNs(l.gateway, 'ip', 'route', 'add', l.serviceNet, 'via', `${p}.8.2`);
  inNs(l.gateway, 'ip', 'route', 'add', `${l.egressIp}/32`, 'via', `${p}.2.1`);
  for (const s of l.services) inNs(l.external, 'ip', 'addr', 'add', `${s}/32`, 'dev', 'lo');
  inNs(l.external, 'ip', 'route', 'add', `${p}.0.0/16`, 'via', `${p}.9.1`);
  inNs(l.external, 'ip', 'route', 'add', `${l.egressIp}/32`, 'via', `${p}.8.1`);
}

/** A one-shot TCP probe script: argv host port [localAddress localPort] → open, timeout or error:<code>. */
export const TCP_PROBE = `const [h,p,la,lp]=process.argv.slice(1);const s=require('node:net').connect({host:h,port:+p,...(la?{localAddress:la,localPort:+lp}:{})});
const t=setTimeout(()=>{s.destroy();console.log('timeout')},1200);
s.on('connect',()=>{clearTimeout(t);s.destroy();console.log('open')});s.on('error',e=>{clearTimeout(t);console.log('error:'+e.code)});`;

/**
 * Connects from namespace `ns` to host:port once: 'open', 'timeout' or 'error:<code>'. `from` binds
 * the source [address, port] (an address the workload may not own: spoofing tests).
 */
export const probeTcp = (target: NetTarget, host: string, port: number, from?: [string, number]): string =>
  inTarget(
    target,
    process.execPath,
    '-e',
    TCP_PROBE,
    host,
    String(port),
    ...(from ? [from[0], String(from[1])] : []),
  ).trim();

/** A TCP server on port 80 that answers with the source address it sees, then closes. */
export const WHOAMI_SERVER = `const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end(s.remoteAddress)}).listen(80,'0.0.0.0');`;

const ASK_WHOAMI = `const s=require('node:net').connect(80,process.argv[1]);let d='';s.setEncoding('utf8');s.on('data',x=>d+=x);
s.on('end',()=>{console.log(d);process.exit(0)});s.on('error',e=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('timeout');process.exit(0)},1500);`;

/** Asks a WHOAMI_SERVER at `host` from namespace `ns`: the source address it saw, or timeout / error:<code>. */
export const askWhoami = (ns: string, host: string): string =>
  inNs(ns, process.execPath, '-e', ASK_WHOAMI, host).trim();

/** A TCP server script: argv[1] is a JSON list of ports; each accepts, answers "ok" and closes. */
export const SERVE_PORTS =
  "const net=require('node:net');for(const p of JSON.parse(process.argv[1]))net.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(p,'0.0.0.0');";

// Connects to every target at once; prints a JSON list of open / refused / timeout / error:<code>.
// With `reply`, a target counts as open only once its server has answered and closed.
const MULTI_PROBE = `const net=require('node:net');const [targets,local,reply]=JSON.parse(process.argv[1]);
Promise.all(targets.map(([h,p])=>new Promise(r=>{const s=net.connect({host:h,port:p,...(local?{localAddress:local}:{})});
const t=setTimeout(()=>{s.destroy();r('timeout')},1200);
if(reply){s.on('data',()=>{});s.on('end',()=>{clearTimeout(t);r('open')})}else s.on('connect',()=>{clearTimeout(t);s.destroy();r('open')});
s.on('error',e=>{clearTimeout(t);r(e.code==='ECONNREFUSED'?'refused':'error:'+e.code)})}))).then(x=>console.log(JSON.stringify(x)));`;

export interface ProbeManyOptions {
  /** Source address to connect from (an extra address on the workload's eth0). */
  readonly localAddress?: string;
  /** Read the server's reply before calling it open, so the flow carries data both ways. */
  readonly reply?: boolean;
}

/** Connects from namespace `ns` to every [host, port] at once; one result per target, in order. */
export function probeTcpMany(ns: string, targets: [string, number][], options: ProbeManyOptions = {}): string[] {
  const arg = JSON.stringify([targets, options.localAddress ?? null, options.reply ?? false]);
  return JSON.parse(inNs(ns, process.execPath, '-e', MULTI_PROBE, arg)) as string[];
}

/**
 * Flushes a flow collector every 250 ms into `records` until `done` holds (at most 40 times): the
 * kernel reports conntrack and NFLOG events in batches, a little late.
 */
export async function flushUntil<T>(
  collector: { flush(): Promise<T[]> },
  records: T[],
  done: () => boolean,
): Promise<void> {
  for (let i = 0; i < 40 && !done(); i++) {
    await sleep(250);
    records.push(...(await collector.flush()));
  }
}
