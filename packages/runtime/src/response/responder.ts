// Applies the response policy to alerts: picks the actions for a fired rule, rate-limits them per
// rule and container, runs them (enforce) or only records them (audit) on the alert's `actions`.

import { readFileSync } from 'node:fs';
import { type Alert, type AlertAction, errorMessage, RULE_PRIORITIES, type RuntimeEvent } from '@palisade/core';
import { parseProcStat, readProc } from '../enrich/proc-reader.js';
import { PodmanExecutor, type ResponseExecutor } from './response-executor.js';
import { parseResponsePolicy, type ResponseMode, type ResponsePolicy, type ResponseRule } from './response-policy.js';
import { TokenBuckets } from './token-bucket.js';

export interface ResponderOptions {
  executor?: ResponseExecutor;
  /** Milliseconds clock for the rate limiter. */
  now?: () => number;
}

let agentPgid: number | undefined;
/** The agent's own process group: a group kill must never take the agent down with the culprit. */
function agentProcessGroup(): number {
  if (agentPgid === undefined) {
    try {
      agentPgid = parseProcStat(readFileSync('/proc/self/stat', 'utf8'))?.pgid ?? -1;
    } catch {
      agentPgid = -1;
    }
  }
  return agentPgid;
}

const rank = (p: string) => RULE_PRIORITIES.indexOf(p as (typeof RULE_PRIORITIES)[number]);

function matches(r: ResponseRule, alert: Alert): boolean {
  if (r.rules.includes('*') || r.rules.includes(alert.rule)) return true;
  if (r.tags.some((t) => alert.tags.includes(t))) return true;
  return r.minPriority !== undefined && rank(alert.priority) >= 0 && rank(alert.priority) <= rank(r.minPriority);
}

export class Responder {
  private readonly executor: ResponseExecutor;
  private readonly limiter: TokenBuckets;

  constructor(
    readonly policy: ResponsePolicy,
    opts: ResponderOptions = {},
  ) {
    this.executor = opts.executor ?? new PodmanExecutor();
    this.limiter = new TokenBuckets(policy.rateLimit, opts.now);
  }

  static fromFile(file: string, opts: ResponderOptions = {}): Responder {
    return new Responder(parseResponsePolicy(readFileSync(file, 'utf8'), file), opts);
  }

  /** The alert with `actions` filled in (a new object; the engine's alert is left untouched). */
  async respond(alert: Alert, ev: RuntimeEvent): Promise<Alert> {
    const planned = this.plan(alert);
    if (planned.length === 0) return alert;
    const actions: AlertAction[] = [];
    for (const { rule, action, mode } of planned) {
      actions.push(await this.apply(alert, ev, rule, action, mode));
    }
    return { ...alert, actions };
  }

  /** Actions for an alert, in policy order, each once (the first matching entry decides its mode). */
  plan(alert: Alert): { rule: ResponseRule; action: AlertAction['action']; mode: ResponseMode }[] {
    const out: { rule: ResponseRule; action: AlertAction['action']; mode: ResponseMode }[] = [];
    const seen = new Set<string>();
    for (const r of this.policy.responses) {
      if (!matches(r, alert)) continue;
      for (const action of r.actions) {
        if (seen.has(action)) continue;
        seen.add(action);
        out.push({ rule: r, action, mode: r.mode ?? this.policy.mode });
      }
    }
    return out;
  }

  private async apply(
    alert: Alert,
    ev: RuntimeEvent,
    rule: ResponseRule,
    action: AlertAction['action'],
    mode: ResponseMode,
  ): Promise<AlertAction> {
    const containerId = ev.container?.id;
    // The sensor may not report the group; /proc knows it while the process lives.
    const pgid = ev.proc.pgid ?? (rule.killTarget === 'group' ? readProc(ev.proc.pid)?.pgid : undefined);
    let target: string;
    if (action === 'alert') return { action, mode, target: 'alert', result: 'done' };
    if (action === 'kill')
      target = rule.killTarget === 'group' && pgid !== undefined ? `pgid:${pgid}` : `pid:${ev.proc.pid}`;
    else if (containerId) target = `container:${containerId}`;
    else return { action, mode, target: 'host', result: 'skipped', error: 'the process does not run in a container' };
    const victim = action === 'kill' ? (target.startsWith('pgid:') ? pgid! : ev.proc.pid) : 0;
    if (action === 'kill' && (victim <= 1 || victim === process.pid || victim === agentProcessGroup())) {
      return { action, mode, target, result: 'skipped', error: `refusing to kill ${target}: init or the agent itself` };
    }
    if (!this.limiter.take(`${alert.rule}\0${containerId ?? ev.host}\0${action}`)) {
      return { action, mode, target, result: 'rate-limited' };
    }
    if (mode === 'audit') return { action, mode, target, result: 'audited' };
    if (action === 'kill') {
      // The pid may have been reused since the event: never kill a process that is not the culprit.
      const now = readProc(ev.proc.pid);
      if (now && now.comm !== ev.proc.comm.slice(0, 15)) {
        return {
          action,
          mode,
          target,
          result: 'skipped',
          error: `pid ${ev.proc.pid} is now "${now.comm}", not "${ev.proc.comm}"`,
        };
      }
    }
    try {
      if (action === 'kill') {
        if (target.startsWith('pgid:')) await this.executor.killProcessGroup(victim);
        else await this.executor.killProcess(victim);
      } else if (action === 'stop') await this.executor.stopContainer(containerId!, this.policy.stopTimeoutSeconds);
      else await this.executor.pauseContainer(containerId!);
      return { action, mode, target, result: 'done' };
    } catch (err) {
      return { action, mode, target, result: 'failed', error: errorMessage(err) };
    }
  }
}
