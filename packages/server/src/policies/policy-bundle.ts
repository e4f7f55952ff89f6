// What an agent receives: the newest live policies of its tenant whose workload selector matches
// its workload's labels, and a revision (hash of their version ids) that serves as the ETag.

import { createHash } from 'node:crypto';
import { compileSelector, type Labels } from '@palisade/network';
import type { Policy } from '@palisade/store';

export interface PolicyBundle {
  revision: string;
  policies: Policy[];
}

/** An empty selector selects every workload; the rest go through Calico's grammar. */
export function policyMatchesLabels(policy: Policy, labels: Labels): boolean {
  const selector = policy.workloadSelector.trim();
  return selector === '' || compileSelector(selector)(labels);
}

/** The revision changes exactly when the set of matching policy versions changes. */
export function bundleRevision(policies: readonly Policy[]): string {
  const keys = policies.map((p) => `${p.id}:${p.version}`).sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32);
}

export function buildPolicyBundle(latest: readonly Policy[], labels: Labels): PolicyBundle {
  const policies = latest.filter((p) => policyMatchesLabels(p, labels));
  return { revision: bundleRevision(policies), policies };
}

/** True when an If-None-Match header names the revision (or is "*"); weak tags compare equal. */
export function ifNoneMatchHas(header: string | undefined, revision: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === `"${revision}"` || t === revision;
  });
}
