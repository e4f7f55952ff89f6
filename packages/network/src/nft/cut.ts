// Cuts live connections that the policy now in force forbids: lists the conntrack table, asks the
// evaluator about each entry's original tuple and deletes the denied ones by their exact tuple.

import { execFile } from 'node:child_process';
import { evaluate } from '../evaluate/evaluate.js';
import { type ConntrackEntry, parseConntrackLine } from '../flows/conntrack-line.js';
import type { PolicyModel } from '../model/types.js';

export interface CutOptions {
  /** Run inside `ip netns exec NAME` (the node namespace whose table enforces the policy). */
  readonly netns?: string;
  readonly conntrackPath?: string;
  readonly timeoutMs?: number;
}

export interface CutResult {
  /** Entries looked at (TCP, UDP, SCTP and UDP-Lite; other protocols carry no ports to judge). */
  readonly examined: number;
  /** Entries the model denies, deleted from the conntrack table. */
  readonly cut: readonly ConntrackEntry[];
}

const PROTOCOL_ARG: ReadonlyMap<number, string> = new Map([
  [6, 'tcp'],
  [17, 'udp'],
  [132, 'sctp'],
  [136, 'udplite'],
]);

function run(args: string[], options: CutOptions): Promise<{ code: number; stdout: string }> {
  const conntrack = options.conntrackPath ?? 'conntrack';
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, conntrack, ...args]] : [conntrack, args];
  return new Promise((resolve, reject) =>
    execFile(
      cmd,
      argv,
      { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' },
      (err, stdout) => {
        if (err && typeof err.code !== 'number') reject(new Error(`cannot run ${conntrack}: ${err.message}`));
        else resolve({ code: err ? Number(err.code) : 0, stdout });
      },
    ),
  );
}

/** The connections among `entries` that `model` denies (pure; the conntrack I/O is around it). */
export function forbiddenEntries(entries: readonly ConntrackEntry[], model: PolicyModel): ConntrackEntry[] {
  return entries.filter(
    (e) =>
      evaluate({ src: e.src, dst: e.dst, protocol: e.protocol, srcPort: e.sport, dstPort: e.dport }, model).verdict ===
      'deny',
  );
}

/** `conntrack -D` arguments that match exactly this entry's original tuple. */
export function deleteArgs(e: ConntrackEntry): string[] {
  return [
    '-D',
    '-f',
    e.family === 4 ? 'ipv4' : 'ipv6',
    '-p',
    PROTOCOL_ARG.get(e.protocol) ?? String(e.protocol),
    '-s',
    e.src,
    '-d',
    e.dst,
    '--sport',
    String(e.sport),
    '--dport',
    String(e.dport),
  ];
}

/**
 * Deletes every tracked connection the model denies. Once deleted, the connection's next packet
 * is new to conntrack: the table's policy drops it (TCP without SYN is dropped on forward), so the
 * connection gets no more data. Call after the new table is in force.
 */
export async function cutForbiddenConnections(model: PolicyModel, options: CutOptions = {}): Promise<CutResult> {
  const listing = await run(['-L', '-o', 'extended'], options);
  if (listing.code !== 0) throw new Error(`conntrack -L failed (exit ${listing.code})`);
  const entries = listing.stdout
    .split('\n')
    .map(parseConntrackLine)
    .filter(
      (e): e is ConntrackEntry => !!e && PROTOCOL_ARG.has(e.protocol) && e.sport !== undefined && e.dport !== undefined,
    );
  const cut: ConntrackEntry[] = [];
  for (const e of forbiddenEntries(entries, model)) {
    // Exit 1 means it ended on its own meanwhile: nothing left to cut.
    const r = await run(deleteArgs(e), options);
    if (r.code === 0) cut.push(e);
  }
  return { examined: entries.length, cut };
}
