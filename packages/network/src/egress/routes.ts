// The routing half of the egress gateway: one `ip rule fwmark MARK/MASK table N` per gateway and a
// default route in table N via the gateway. Idempotent, and everything it made is removable.

import { execFile } from 'node:child_process';
import type { PolicyModel } from '../model/types.js';
import { EGRESS_MARK_MASK, EGRESS_RULE_PRIORITY_BASE, MAX_EGRESS_GATEWAYS, planEgressGateways } from './plan.js';

export interface EgressRoute {
  readonly name: string;
  readonly family: 4 | 6;
  readonly priority: number;
  readonly mark: number;
  readonly table: number;
  readonly nextHop?: string;
  readonly interface?: string;
}

export interface RouteOptions {
  /** Run inside `ip netns exec NAME` (the node namespace). */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

/** The rules and routes a model's egress gateways need (pure). */
export function egressRoutes(model: PolicyModel): EgressRoute[] {
  return planEgressGateways(model).map((gw) => ({
    name: gw.policy.name,
    family: gw.family,
    priority: gw.priority,
    mark: gw.mark,
    table: gw.table,
    ...(gw.policy.gateway.nextHop ? { nextHop: gw.policy.gateway.nextHop } : {}),
    ...(gw.policy.gateway.interface ? { interface: gw.policy.gateway.interface } : {}),
  }));
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** `ip route replace` arguments for the gateway's default route in its table. */
export function routeArgs(r: EgressRoute): string[] {
  return [
    `-${r.family}`,
    'route',
    'replace',
    'default',
    ...(r.nextHop ? ['via', r.nextHop] : []),
    ...(r.interface ? ['dev', r.interface] : []),
    'table',
    String(r.table),
  ];
}

export function ruleArgs(r: EgressRoute, verb: 'add' | 'del'): string[] {
  return [
    `-${r.family}`,
    'rule',
    verb,
    'priority',
    String(r.priority),
    'fwmark',
    `${hex(r.mark)}/${hex(EGRESS_MARK_MASK)}`,
    'table',
    String(r.table),
  ];
}

/** A rule as `ip -j rule list` shows it, reduced to what tells ours apart. */
export interface ListedRule {
  readonly priority: number;
  readonly fwmark?: string;
  readonly fwmask?: string;
  readonly table?: string;
}

const ours = (r: ListedRule) =>
  r.priority > EGRESS_RULE_PRIORITY_BASE && r.priority <= EGRESS_RULE_PRIORITY_BASE + MAX_EGRESS_GATEWAYS;

/** Whether a listed rule is exactly the one `want` describes. */
export function sameRule(listed: ListedRule, want: EgressRoute): boolean {
  const mark = Number(listed.fwmark ?? Number.NaN);
  const mask = Number(listed.fwmask ?? Number.NaN);
  return (
    listed.priority === want.priority &&
    mark === want.mark &&
    mask === EGRESS_MARK_MASK &&
    listed.table === String(want.table)
  );
}

function ip(args: string[], options: RouteOptions): Promise<string> {
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, 'ip', ...args]] : ['ip', args];
  return new Promise((resolve, reject) =>
    execFile(cmd, argv, { timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    ),
  );
}

async function listOurRules(family: 4 | 6, options: RouteOptions): Promise<ListedRule[]> {
  const out = await ip(['-j', `-${family}`, 'rule', 'list'], options);
  return (JSON.parse(out || '[]') as ListedRule[]).filter(ours);
}

/**
 * Makes the kernel's rules and routes exactly `routes`: rules of ours that are not wanted go (and
 * their tables are flushed), missing ones are added, every wanted route is replaced in place.
 */
export async function applyEgressRoutes(routes: readonly EgressRoute[], options: RouteOptions = {}): Promise<void> {
  for (const family of [4, 6] as const) {
    const want = routes.filter((r) => r.family === family);
    const existing = await listOurRules(family, options);
    const keep = new Set(want.map((r) => r.table));
    for (const listed of existing) {
      if (want.some((r) => sameRule(listed, r))) continue;
      await ip([`-${family}`, 'rule', 'del', 'priority', String(listed.priority)], options);
      // A table that never got a route does not exist: nothing to flush then.
      if (listed.table && !keep.has(Number(listed.table)))
        await ip([`-${family}`, 'route', 'flush', 'table', listed.table], options).catch(() => {});
    }
    // The route first: once the rule exists, marked packets look up this table.
    for (const r of want) await ip(routeArgs(r), options);
    for (const r of want) if (!existing.some((listed) => sameRule(listed, r))) await ip(ruleArgs(r, 'add'), options);
  }
}

/** Removes every egress gateway rule of ours and flushes their tables. */
export async function removeEgressRoutes(options: RouteOptions = {}): Promise<void> {
  await applyEgressRoutes([], options);
}
