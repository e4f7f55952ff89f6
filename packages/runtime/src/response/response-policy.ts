// The response policy: a small YAML document (apiVersion palisade.dev/v1, kind ResponsePolicy)
// mapping rule names, tags or priorities to actions, with audit/enforce mode and rate limits.

import { InputError, RULE_PRIORITIES, type RulePriority } from '@palisade/core';
import { parse } from 'yaml';
import type { RateLimit } from './token-bucket.js';

export type ResponseActionName = 'alert' | 'kill' | 'stop' | 'pause';
export type ResponseMode = 'audit' | 'enforce';
export const RESPONSE_ACTIONS: readonly ResponseActionName[] = ['alert', 'kill', 'stop', 'pause'];

export interface ResponseRule {
  /** Matches when any listed rule name equals the alert's rule ("*" matches every rule). */
  rules: string[];
  /** Matches when the alert carries any of these tags. */
  tags: string[];
  /** Matches alerts at this priority or more severe. */
  minPriority?: RulePriority;
  actions: ResponseActionName[];
  /** kill: the process alone (default) or its whole process group. */
  killTarget: 'process' | 'group';
  /** Overrides the policy's mode for this entry. */
  mode?: ResponseMode;
}

export interface ResponsePolicy {
  mode: ResponseMode;
  rateLimit: RateLimit;
  /** Seconds `podman stop` waits after SIGTERM before SIGKILL. */
  stopTimeoutSeconds: number;
  responses: ResponseRule[];
}

export const DEFAULT_RESPONSE_POLICY: ResponsePolicy = {
  mode: 'audit',
  rateLimit: { burst: 5, perMinute: 5 },
  stopTimeoutSeconds: 10,
  responses: [],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, where: string, file: string): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new InputError(`${file}: ${where} must be a string or a list of strings`);
}

function mode(v: unknown, where: string, file: string): ResponseMode | undefined {
  if (v === undefined) return undefined;
  if (v === 'audit' || v === 'enforce') return v;
  throw new InputError(`${file}: ${where} must be "audit" or "enforce", got ${JSON.stringify(v)}`);
}

function positive(v: unknown, where: string, file: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw new InputError(`${file}: ${where} must be a number ≥ 0`);
}

function priority(v: unknown, where: string, file: string): RulePriority | undefined {
  if (v === undefined) return undefined;
  const p = RULE_PRIORITIES.find((x) => typeof v === 'string' && x.toLowerCase() === v.toLowerCase());
  if (!p) throw new InputError(`${file}: ${where} must be one of ${RULE_PRIORITIES.join(', ')}`);
  return p;
}

/** Parses and validates a ResponsePolicy document; throws InputError naming the file and the field. */
export function parseResponsePolicy(text: string, file = 'response policy'): ResponsePolicy {
  let doc: unknown;
  try {
    doc = parse(text, { logLevel: 'error' });
  } catch (err) {
    throw new InputError(`${file}: not YAML: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new InputError(`${file}: expected a mapping with apiVersion, kind and spec`);
  if (doc.apiVersion !== 'palisade.dev/v1') throw new InputError(`${file}: apiVersion must be palisade.dev/v1`);
  if (doc.kind !== 'ResponsePolicy') throw new InputError(`${file}: kind must be ResponsePolicy`);
  const spec = doc.spec ?? {};
  if (!isObj(spec)) throw new InputError(`${file}: spec must be a mapping`);
  const rl = spec.rateLimit ?? {};
  if (!isObj(rl)) throw new InputError(`${file}: spec.rateLimit must be a mapping`);
  const list = spec.responses ?? [];
  if (!Array.isArray(list)) throw new InputError(`${file}: spec.responses must be a list`);
  const responses = list.map((r, i): ResponseRule => {
    const at = `spec.responses[${i}]`;
    if (!isObj(r)) throw new InputError(`${file}: ${at} must be a mapping`);
    const actions = strings(r.actions, `${at}.actions`, file);
    for (const a of actions) {
      if (!RESPONSE_ACTIONS.includes(a as ResponseActionName)) {
        throw new InputError(`${file}: ${at}.actions: unknown action "${a}" (known: ${RESPONSE_ACTIONS.join(', ')})`);
      }
    }
    const rules = strings(r.rules, `${at}.rules`, file);
    const tags = strings(r.tags, `${at}.tags`, file);
    const minPriority = priority(r.minPriority, `${at}.minPriority`, file);
    if (rules.length === 0 && tags.length === 0 && minPriority === undefined) {
      throw new InputError(`${file}: ${at} needs rules, tags or minPriority to say what it matches`);
    }
    const killTarget = r.killTarget ?? 'process';
    if (killTarget !== 'process' && killTarget !== 'group') {
      throw new InputError(`${file}: ${at}.killTarget must be "process" or "group"`);
    }
    const out: ResponseRule = { rules, tags, actions: actions as ResponseActionName[], killTarget };
    if (minPriority) out.minPriority = minPriority;
    const m = mode(r.mode, `${at}.mode`, file);
    if (m) out.mode = m;
    return out;
  });
  return {
    mode: mode(spec.mode, 'spec.mode', file) ?? DEFAULT_RESPONSE_POLICY.mode,
    rateLimit: {
      burst: positive(rl.burst, 'spec.rateLimit.burst', file, DEFAULT_RESPONSE_POLICY.rateLimit.burst),
      perMinute: positive(rl.perMinute, 'spec.rateLimit.perMinute', file, DEFAULT_RESPONSE_POLICY.rateLimit.perMinute),
    },
    stopTimeoutSeconds: positive(spec.stopTimeoutSeconds, 'spec.stopTimeoutSeconds', file, 10),
    responses,
  };
}
