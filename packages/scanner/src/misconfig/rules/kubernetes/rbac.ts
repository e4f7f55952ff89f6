// RBAC checks: wildcards in roles, bindings to cluster-admin or to anonymous users, and
// permissions that amount to reading secrets or executing into pods.

import { asArray, asObject, isObject, type K8sResource } from '../../kubernetes-resource.js';
import type { K8sIssue } from '../../types.js';
import { k8sRule, RBAC_URL } from './define.js';

const ROLE_KINDS = new Set(['Role', 'ClusterRole']);
const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

function roleRules(r: K8sResource): { rule: Record<string, unknown>; index: number }[] {
  if (!ROLE_KINDS.has(r.kind)) return [];
  return asArray(r.object.rules).flatMap((rule, index) => (isObject(rule) ? [{ rule, index }] : []));
}

function strings(v: unknown): string[] {
  return asArray(v).map(String);
}

export const rbacWildcard = k8sRule(
  {
    id: 'PAL-K8S-030',
    severity: 'HIGH',
    title: 'Role uses a wildcard',
    rationale: 'A "*" in verbs, resources or apiGroups grants every present and future permission of that kind.',
    remediation: 'List the exact verbs, resources and API groups the subject needs.',
    references: [RBAC_URL],
    frameworks: { cis: ['5.1.3'], mitre: ['T1078'] },
  },
  (r) =>
    roleRules(r).flatMap(({ rule, index }): K8sIssue[] =>
      (['apiGroups', 'resources', 'verbs'] as const)
        .filter((f) => strings(rule[f]).includes('*'))
        .map((f) => ({
          path: [...r.basePath, 'rules', index, f],
          detail: `${r.kind} "${r.name}" rule ${index} has ${f}: ["*"]`,
        })),
    ),
);

export const clusterAdminBinding = k8sRule(
  {
    id: 'PAL-K8S-031',
    severity: 'HIGH',
    title: 'Binding to cluster-admin',
    rationale: 'cluster-admin can do anything in the cluster; binding it outside bootstrap is rarely needed.',
    remediation: 'Bind a role with only the permissions the subjects need.',
    references: [RBAC_URL],
    frameworks: { cis: ['5.1.1'], mitre: ['T1078'] },
  },
  (r) => {
    if (!BINDING_KINDS.has(r.kind)) return [];
    const ref = asObject(r.object.roleRef);
    return ref?.name === 'cluster-admin' && ref.kind === 'ClusterRole'
      ? [{ path: [...r.basePath, 'roleRef', 'name'], detail: `${r.kind} "${r.name}" grants cluster-admin` }]
      : [];
  },
);

const ANONYMOUS = new Set(['system:anonymous', 'system:unauthenticated']);

export const anonymousSubject = k8sRule(
  {
    id: 'PAL-K8S-032',
    severity: 'CRITICAL',
    title: 'Binding grants permissions to anonymous users',
    rationale: 'system:anonymous and system:unauthenticated are every unauthenticated request to the API server.',
    remediation: 'Remove the anonymous subject from the binding.',
    references: [RBAC_URL],
    frameworks: { cis: ['5.1.1'], mitre: ['T1078.001'] },
  },
  (r) => {
    if (!BINDING_KINDS.has(r.kind)) return [];
    return asArray(r.object.subjects).flatMap((s, i): K8sIssue[] =>
      isObject(s) && ANONYMOUS.has(String(s.name))
        ? [{ path: [...r.basePath, 'subjects', i, 'name'], detail: `${r.kind} "${r.name}" binds ${String(s.name)}` }]
        : [],
    );
  },
);

const READ_VERBS = new Set(['get', 'list', 'watch']);
const EXEC_VERBS = new Set(['create', 'get']);

function grants(
  r: K8sResource,
  resources: readonly string[],
  verbs: ReadonlySet<string>,
): { index: number; resource: string }[] {
  // Wildcards are PAL-K8S-030's finding; this rule names explicit grants only.
  return roleRules(r).flatMap(({ rule, index }) => {
    const res = strings(rule.resources).find((x) => resources.includes(x));
    const verbOk = strings(rule.verbs).some((v) => verbs.has(v));
    return res && verbOk ? [{ index, resource: res }] : [];
  });
}

export const secretsAccess = k8sRule(
  {
    id: 'PAL-K8S-033',
    severity: 'HIGH',
    title: 'Role can read secrets',
    rationale: 'get, list or watch on secrets reveals every credential stored in the namespace (or cluster).',
    remediation: 'Grant access only to named secrets (resourceNames) or mount the secret into the pod instead.',
    references: [RBAC_URL],
    frameworks: { cis: ['5.1.2'], mitre: ['T1552.007'] },
  },
  (r) =>
    grants(r, ['secrets'], READ_VERBS).map(({ index }) => ({
      path: [...r.basePath, 'rules', index, 'resources'],
      detail: `${r.kind} "${r.name}" rule ${index} can read secrets`,
    })),
);

export const podExec = k8sRule(
  {
    id: 'PAL-K8S-034',
    severity: 'HIGH',
    title: 'Role can exec or attach into pods',
    rationale: 'pods/exec and pods/attach run commands inside any pod of the scope, with its credentials.',
    remediation: 'Remove pods/exec and pods/attach from the role; use it only for break-glass accounts.',
    references: [RBAC_URL],
    frameworks: { mitre: ['T1609'] },
  },
  (r) =>
    grants(r, ['pods/exec', 'pods/attach'], EXEC_VERBS).map(({ index, resource }) => ({
      path: [...r.basePath, 'rules', index, 'resources'],
      detail: `${r.kind} "${r.name}" rule ${index} grants ${resource}`,
    })),
);
