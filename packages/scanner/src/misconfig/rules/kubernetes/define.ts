// Small helpers every Kubernetes rule file uses: the rule constructor, the PSS reference, and
// a walk over a workload's pod spec and containers that yields issues with document paths.

import {
  type ContainerRef,
  containersOf,
  type K8sResource,
  type PodSpecRef,
  podSpecOf,
} from '../../kubernetes-resource.js';
import type { K8sIssue, K8sRule, RuleMeta } from '../../types.js';

export const PSS_URL = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';
export const NSA_URL =
  'https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF';
export const RBAC_URL = 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/';

export function k8sRule(meta: RuleMeta, check: (r: K8sResource) => K8sIssue[]): K8sRule {
  return { ...meta, target: 'kubernetes', check };
}

/** A rule over one workload's pod spec; resources without one yield nothing. */
export function podRule(meta: RuleMeta, check: (pod: PodSpecRef, r: K8sResource) => K8sIssue[]): K8sRule {
  return k8sRule(meta, (r) => {
    const pod = podSpecOf(r);
    return pod ? check(pod, r) : [];
  });
}

/** A rule evaluated once per container (init, regular and ephemeral). */
export function containerRule(
  meta: RuleMeta,
  check: (c: ContainerRef, pod: PodSpecRef, r: K8sResource) => K8sIssue | K8sIssue[] | undefined,
): K8sRule {
  return podRule(meta, (pod, r) => containersOf(pod).flatMap((c) => check(c, pod, r) ?? []));
}

export function containerLabel(c: ContainerRef): string {
  return `${c.list === 'containers' ? 'container' : c.list.replace(/s$/, '')} "${c.name}"`;
}
