// Flow logs: allowed flows from conntrack events (policy from ct mark), denied packets from NFLOG
// (via tcpdump's nflog capture), aggregated per interval into records naming endpoints and policies.
// In audit mode the would-be denies that were let through are allowed flows marked `auditDenies`.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseIp } from '../model/cidr.js';
import type { Endpoint, PolicyModel } from '../model/types.js';
import { protocolName } from '../model/types.js';
import type { NftRuleset } from '../nft/ir.js';
import { type ConntrackEntry, parseConntrackLine } from './conntrack-line.js';
import { type NflogPacket, NflogPcapReader } from './nflog-pcap.js';

export interface FlowEndpoint {
  readonly ip: string;
  /** The workload or host endpoint owning the address; absent for addresses outside the model. */
  readonly name?: string;
  readonly kind?: Endpoint['kind'];
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** The name the DNS proxy last resolved to this address (destinations only). */
  readonly domain?: string;
}

export interface FlowLogRecord {
  readonly startTime: string;
  readonly endTime: string;
  readonly source: FlowEndpoint;
  readonly destination: FlowEndpoint;
  readonly protocol: string;
  readonly destinationPort?: number;
  readonly action: 'allow' | 'deny';
  /** `policy direction rule N action`, from the ct mark or the NFLOG prefix; empty: no policy decided. */
  readonly policies: readonly string[];
  /**
   * Staged policy rules that would deny this flow (`S <id>` NFLOG records of the staged shadows),
   * while the enforced verdict is `action`; absent when none would.
   */
  readonly stagedDenies?: readonly string[];
  /**
   * Audit mode: the deny rules that let this flow through only because the table audits (enforce
   * would have dropped it), from the `A <id>` NFLOG records and the connection's ct mark. The
   * action stays `allow` (the traffic did flow); absent when no deny rule matched.
   */
  readonly auditDenies?: readonly string[];
  /** Connections (allowed) or distinct denied 5-tuples. */
  readonly flows: number;
  readonly packetsOut: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly bytesIn: number;
}

export interface FlowCollectorOptions {
  readonly ruleset: NftRuleset;
  readonly model: PolicyModel;
  /** The namespace whose conntrack table and NFLOG group are read (`ip netns exec`). */
  readonly netns?: string;
  /** NFLOG group the ruleset logs denies to (compile option `logGroup`, default 1). */
  readonly logGroup?: number;
  /** Aggregation window; records are emitted at its end (default 15 s). */
  readonly intervalMs?: number;
  /** Address → domain name, e.g. `dnsProxy.domainFor`. */
  readonly domainFor?: (address: string) => string | undefined;
  /** Set net.netfilter.nf_conntrack_acct=1 so conntrack counts packets and bytes (default true). */
  readonly enableAccounting?: boolean;
}

export interface FlowCollector {
  /** Ends the current window now and returns its records (the timer does the same every interval). */
  flush(): Promise<FlowLogRecord[]>;
  /** Every record as windows end, until close(). */
  records(): AsyncIterable<FlowLogRecord>;
  close(): Promise<void>;
}

interface Tracked {
  entry: ConntrackEntry;
  reported: [number, number, number, number];
  current: [number, number, number, number];
  destroyed: boolean;
  counted: boolean;
  seenAt: number;
}

interface Bucket {
  source: FlowEndpoint;
  destination: FlowEndpoint;
  protocol: string;
  destinationPort?: number;
  action: 'allow' | 'deny';
  policies: string[];
  stagedDenies: string[];
  auditDenies: string[];
  flows: number;
  counters: [number, number, number, number];
}

function wrap(cmd: string[], netns: string | undefined): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, ...cmd]] : [cmd[0]!, cmd.slice(1)];
}

function run(cmd: string[], netns: string | undefined): Promise<string> {
  const [c, args] = wrap(cmd, netns);
  return new Promise((resolve, reject) =>
    execFile(c, args, { maxBuffer: 256 * 1024 * 1024, timeout: 30_000 }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
}

const STAGED_GRACE_MS = 2_000;

/** Starts `conntrack -E` and the NFLOG capture; resolves once both are listening. */
export async function startFlowCollector(options: FlowCollectorOptions): Promise<FlowCollector> {
  const { netns, ruleset } = options;
  if (options.enableAccounting ?? true) await run(['sysctl', '-qw', 'net.netfilter.nf_conntrack_acct=1'], netns);
  const owners = new Map<string, Endpoint>();
  // Keyed by the parsed value, so `2001:db8::1` and `2001:db8:0::1` are one address.
  const key = (ip: string) => {
    const p = parseIp(ip.split('/')[0]!);
    return p ? `${p.version}:${p.value}` : ip;
  };
  for (const e of options.model.endpoints) for (const ip of e.ips) if (!owners.has(key(ip))) owners.set(key(ip), e);
  const endpoint = (ip: string, withDomain: boolean): FlowEndpoint => {
    const e = owners.get(key(ip));
    const domain = withDomain ? options.domainFor?.(ip) : undefined;
    return {
      ip,
      ...(e ? { name: e.name, kind: e.kind, labels: e.labels } : {}),
      ...(e?.namespace ? { namespace: e.namespace } : {}),
      ...(domain ? { domain } : {}),
    };
  };
  const attribution = (id: number): string[] => {
    const r = ruleset.ruleIds.get(id);
    return r ? [`${r.policy} ${r.direction} rule ${r.rule} ${r.action}`] : [];
  };

  const tracked = new Map<number, Tracked>();
  const stagedShadows = options.model.policies.some((p) => p.staged);
  const denied: { packet: NflogPacket }[] = [];
  // Staged-deny attributions by exact tuple; NFLOG can trail conntrack's NEW event by a second, so
  // they wait for the connection's next report (and are forgotten after a minute).
  const staged = new Map<string, { policies: Set<string>; at: number }>();
  const tupleKey = (src: string, sport: number | undefined, dst: string, dport: number | undefined, proto: number) =>
    `${src}|${sport}|${dst}|${dport}|${proto}`;
  const stagedFor = (src: string, sport: number | undefined, dst: string, dport: number | undefined, proto: number) => [
    ...(staged.get(tupleKey(src, sport, dst, dport, proto))?.policies ?? []),
  ];
  // Audit-mode would-be denies (`A <id>`) by exact tuple. The ct mark of an accepted connection
  // names the same deny rule, so a record never has to wait for these to arrive.
  const audited = new Map<string, { policies: Set<string>; at: number }>();
  const auditFor = (e: ConntrackEntry): string[] => {
    const found = new Set(audited.get(tupleKey(e.src, e.sport, e.dst, e.dport, e.protocol))?.policies ?? []);
    // Enforce drops what a Deny rule matches, so a live connection marked with one was audited.
    if (ruleset.ruleIds.get(e.mark)?.action === 'Deny') for (const a of attribution(e.mark)) found.add(a);
    return [...found];
  };
  let windowStart = Date.now();
  const queue: FlowLogRecord[] = [];
  let wake: (() => void) | undefined;
  let closed = false;

  const onConntrack = (line: string) => {
    const e = parseConntrackLine(line);
    if (!e || e.id === undefined) return;
    const t = tracked.get(e.id);
    if (e.event === 'NEW' || (!t && e.event !== 'DESTROY')) {
      if (!t)
        tracked.set(e.id, {
          entry: e,
          reported: [0, 0, 0, 0],
          current: [0, 0, 0, 0],
          destroyed: false,
          counted: false,
          seenAt: Date.now(),
        });
      return;
    }
    const target = t ?? {
      entry: e,
      reported: [0, 0, 0, 0] as Tracked['reported'],
      current: [0, 0, 0, 0] as Tracked['current'],
      destroyed: false,
      counted: false,
      seenAt: Date.now(),
    };
    if (e.packets && e.bytes) target.current = [e.packets[0], e.bytes[0], e.packets[1], e.bytes[1]];
    if (e.event === 'DESTROY') target.destroyed = true;
    tracked.set(e.id, target);
  };

  const [ctCmd, ctArgs] = wrap(['conntrack', '-E', '-e', 'NEW,DESTROY', '-o', 'extended,id'], netns);
  const ct = spawn(ctCmd, ctArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: ct.stdout! }).on('line', onConntrack);
  const group = options.logGroup ?? 1;
  const [tdCmd, tdArgs] = wrap(['tcpdump', '-i', `nflog:${group}`, '-U', '-n', '-w', '-'], netns);
  const td = spawn(tdCmd, tdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const reader = new NflogPcapReader(`nflog:${group} capture`);
  td.stdout!.on('data', (chunk: Buffer) => {
    try {
      for (const packet of reader.push(chunk)) {
        if (packet.prefix.startsWith('D ')) denied.push({ packet });
        else if (packet.prefix.startsWith('S ') || packet.prefix.startsWith('A ')) {
          const byTuple = packet.prefix.startsWith('S ') ? staged : audited;
          const k = tupleKey(packet.src, packet.sport, packet.dst, packet.dport, packet.protocol);
          const entry = byTuple.get(k) ?? { policies: new Set<string>(), at: Date.now() };
          for (const a of attribution(Number(packet.prefix.split(' ')[1]))) entry.policies.add(a);
          byTuple.set(k, entry);
        }
      }
    } catch (err) {
      process.emitWarning(`flow collector: ${(err as Error).message}`);
      td.kill();
    }
  });
  const children: ChildProcess[] = [ct, td];
  try {
    await Promise.all([started(ct, 'conntrack', undefined), started(td, 'tcpdump', /listening on/)]);
  } catch (err) {
    for (const c of children) c.kill();
    throw err;
  }

  async function flush(): Promise<FlowLogRecord[]> {
    const end = Date.now();
    // Live connections' counters: one listing per window, not one per flow.
    if (tracked.size > 0) {
      const listing = await run(['conntrack', '-L', '-o', 'extended,id'], netns).catch(() => '');
      for (const line of listing.split('\n')) {
        const e = parseConntrackLine(line);
        const t = e?.id !== undefined ? tracked.get(e.id) : undefined;
        if (t && e?.packets && e.bytes && !t.destroyed)
          t.current = [e.packets[0], e.bytes[0], e.packets[1], e.bytes[1]];
      }
    }
    const buckets = new Map<string, Bucket>();
    const bucket = (
      src: string,
      dst: string,
      protocol: number,
      dport: number | undefined,
      action: 'allow' | 'deny',
      policies: string[],
      stagedDenies: string[] = [],
      auditDenies: string[] = [],
    ): Bucket => {
      const source = endpoint(src, false);
      const destination = endpoint(dst, true);
      // Source ports are aggregated away, as flow logs do by default.
      const key = [
        source.name ?? src,
        destination.name ?? dst,
        destination.domain,
        protocol,
        dport,
        action,
        policies.join(','),
        stagedDenies.join(','),
        auditDenies.join(','),
      ].join('|');
      let b = buckets.get(key);
      if (!b) {
        b = {
          source,
          destination,
          protocol: protocolName(protocol),
          ...(dport !== undefined ? { destinationPort: dport } : {}),
          action,
          policies,
          stagedDenies,
          auditDenies,
          flows: 0,
          counters: [0, 0, 0, 0],
        };
        buckets.set(key, b);
      }
      return b;
    };
    for (const [id, t] of tracked) {
      // With staged shadows, a new connection waits (at most one window) for its staged-deny NFLOG
      // record, which the kernel can hand over up to a second after conntrack's NEW event.
      if (stagedShadows && !t.counted && end - t.seenAt < STAGED_GRACE_MS) continue;
      const delta = t.current.map((v, i) => v - t.reported[i]!) as Bucket['counters'];
      const changed = delta.some((d) => d > 0);
      if (!t.counted || changed) {
        const e = t.entry;
        const b = bucket(
          e.src,
          e.dst,
          e.protocol,
          e.dport,
          'allow',
          attribution(e.mark),
          stagedFor(e.src, e.sport, e.dst, e.dport, e.protocol),
          auditFor(e),
        );
        if (!t.counted) b.flows++;
        for (let i = 0; i < 4; i++) b.counters[i]! += Math.max(0, delta[i]!);
        t.counted = true;
        t.reported = [...t.current];
      }
      if (t.destroyed) tracked.delete(id);
    }
    const seen = new Set<string>();
    for (const { packet: p } of denied.splice(0)) {
      const id = Number(p.prefix.split(' ')[1]);
      const b = bucket(
        p.src,
        p.dst,
        p.protocol,
        p.dport,
        'deny',
        attribution(id),
        stagedFor(p.src, p.sport, p.dst, p.dport, p.protocol),
      );
      const tuple = `${p.src}|${p.sport}|${p.dst}|${p.dport}|${p.protocol}`;
      if (!seen.has(tuple)) {
        seen.add(tuple);
        b.flows++;
      }
      b.counters[0]++;
      b.counters[1] += p.length;
    }
    for (const byTuple of [staged, audited]) for (const [k, v] of byTuple) if (end - v.at > 60_000) byTuple.delete(k);
    const startTime = new Date(windowStart).toISOString();
    const endTime = new Date(end).toISOString();
    windowStart = end;
    return [...buckets.values()].map((b) => ({
      startTime,
      endTime,
      source: b.source,
      destination: b.destination,
      protocol: b.protocol,
      ...(b.destinationPort !== undefined ? { destinationPort: b.destinationPort } : {}),
      action: b.action,
      policies: b.policies,
      ...(b.stagedDenies.length > 0 ? { stagedDenies: b.stagedDenies } : {}),
      ...(b.auditDenies.length > 0 ? { auditDenies: b.auditDenies } : {}),
      flows: b.flows,
      packetsOut: b.counters[0],
      bytesOut: b.counters[1],
      packetsIn: b.counters[2],
      bytesIn: b.counters[3],
    }));
  }

  const timer = setInterval(() => {
    flush().then(
      (rs) => {
        queue.push(...rs);
        wake?.();
      },
      () => {},
    );
  }, options.intervalMs ?? 15_000);
  timer.unref();

  return {
    flush,
    async *records() {
      while (!closed || queue.length > 0) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        while (queue.length > 0) yield queue.shift()!;
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      for (const c of children) c.kill();
      wake?.();
    },
  };
}

/** Resolves when the child is running: on a ready line on stderr, or after a short settle time. */
function started(child: ChildProcess, name: string, ready: RegExp | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = ready
      ? setTimeout(() => reject(new Error(`${name} did not start: ${err.trim()}`)), 10_000)
      : setTimeout(resolve, 300);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${name}: ${e.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}): ${err.trim()}`));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (ready?.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
