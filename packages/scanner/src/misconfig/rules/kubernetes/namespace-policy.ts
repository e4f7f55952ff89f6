// Namespace-level guard rails: Pod Security admission labels make the cluster enforce the
// baseline/restricted profiles that the pod rules here only report.

import { asObject, getIn } from '../../kubernetes-resource.js';
import { k8sRule, PSS_URL } from './define.js';

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

export const namespacePodSecurity = k8sRule(
  {
    id: 'PAL-K8S-035',
    severity: 'LOW',
    title: 'Namespace does not enforce a Pod Security Standard',
    rationale:
      'Without the pod-security.kubernetes.io/enforce label any pod, privileged ones included, is admitted into the namespace.',
    remediation: 'Label the namespace pod-security.kubernetes.io/enforce: baseline (or restricted).',
    references: [PSS_URL, 'https://kubernetes.io/docs/concepts/security/pod-security-admission/'],
    frameworks: { cis: ['5.2.1'] },
  },
  (r) => {
    if (r.kind !== 'Namespace') return [];
    const labels = asObject(getIn(r.object, ['metadata', 'labels']));
    const level = labels?.[ENFORCE_LABEL];
    if (level === 'baseline' || level === 'restricted') return [];
    return [
      {
        path: labels ? [...r.basePath, 'metadata', 'labels'] : [...r.basePath, 'metadata'],
        detail:
          level === undefined
            ? `Namespace "${r.name}" has no ${ENFORCE_LABEL} label`
            : `Namespace "${r.name}" enforces ${String(level)}`,
      },
    ];
  },
);
