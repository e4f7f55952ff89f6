import { describe, expect, it } from 'vitest';
import { KUBERNETES_RULES } from './rules/index.js';
import { scanConfigFile } from './scan-config-file.js';

// A Deployment that satisfies every Kubernetes rule; each case below breaks exactly one thing.
const COMPLIANT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    metadata:
      annotations:
        team: web
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/web:1.4.2
          ports:
            - containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests: {cpu: 100m, memory: 128Mi}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
      volumes:
        - name: cache
          emptyDir: {}
`;

function variant(...edits: [string, string][]): string {
  let text = COMPLIANT;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`fixture edit: ${from} not found`);
    text = text.replace(from, to);
  }
  return text;
}

function scan(text: string, file = 'deploy.yaml') {
  const result = scanConfigFile(file, Buffer.from(text));
  if (!result) throw new Error('not scanned');
  return result;
}

function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in fixture`);
  return i + 1;
}

const SC = `          securityContext:
            allowPrivilegeEscalation: false`;
const POD_SC = `      securityContext:
        runAsNonRoot: true`;

/** rule id, the broken manifest, the text on the line the finding must point at. */
const CASES: [string, string, string][] = [
  [
    'PAL-K8S-001',
    variant([SC, `${SC}\n            windowsOptions: {hostProcess: true}`]),
    'windowsOptions: {hostProcess: true}',
  ],
  [
    'PAL-K8S-002',
    variant([
      '      automountServiceAccountToken: false',
      '      automountServiceAccountToken: false\n      hostPID: true',
    ]),
    'hostPID: true',
  ],
  ['PAL-K8S-003', variant([SC, `${SC}\n            privileged: true`]), 'privileged: true'],
  [
    'PAL-K8S-004',
    variant(['drop: ["ALL"]', 'drop: ["ALL"]\n              add:\n                - SYS_ADMIN']),
    '- SYS_ADMIN',
  ],
  [
    'PAL-K8S-005',
    variant([
      '          emptyDir: {}',
      '          emptyDir: {}\n        - name: host\n          hostPath: {path: /var/run}',
    ]),
    'hostPath: {path: /var/run}',
  ],
  [
    'PAL-K8S-006',
    variant(['- containerPort: 8080', '- containerPort: 8080\n              hostPort: 80']),
    'hostPort: 80',
  ],
  [
    'PAL-K8S-007',
    variant([SC, `${SC}\n            appArmorProfile: {type: Unconfined}`]),
    'appArmorProfile: {type: Unconfined}',
  ],
  [
    'PAL-K8S-007',
    variant(['        team: web', '        container.apparmor.security.beta.kubernetes.io/app: unconfined']),
    'container.apparmor',
  ],
  ['PAL-K8S-008', variant([POD_SC, `${POD_SC}\n        seLinuxOptions:\n          user: system_u`]), 'user: system_u'],
  ['PAL-K8S-009', variant([SC, `${SC}\n            procMount: Unmasked`]), 'procMount: Unmasked'],
  ['PAL-K8S-010', variant(['type: RuntimeDefault', 'type: Unconfined']), 'type: Unconfined'],
  [
    'PAL-K8S-011',
    variant([POD_SC, `${POD_SC}\n        sysctls:\n          - name: kernel.msgmax\n            value: "65536"`]),
    'kernel.msgmax',
  ],
  [
    'PAL-K8S-012',
    variant([
      '          emptyDir: {}',
      '          emptyDir: {}\n        - name: nfs\n          nfs: {server: x, path: /}',
    ]),
    'nfs: {server: x, path: /}',
  ],
  [
    'PAL-K8S-013',
    variant(['allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true']),
    'allowPrivilegeEscalation: true',
  ],
  ['PAL-K8S-014', variant(['runAsNonRoot: true', 'runAsNonRoot: false']), 'runAsNonRoot: false'],
  ['PAL-K8S-015', variant(['runAsUser: 10001', 'runAsUser: 0']), 'runAsUser: 0'],
  ['PAL-K8S-016', variant(['        seccompProfile:\n          type: RuntimeDefault\n', '']), '- name: app'],
  ['PAL-K8S-017', variant(['drop: ["ALL"]', 'drop: ["NET_RAW"]']), 'capabilities:'],
  [
    'PAL-K8S-020',
    variant(['readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false']),
    'readOnlyRootFilesystem: false',
  ],
  ['PAL-K8S-021', variant(['limits: {cpu: 500m, memory: 256Mi}', 'limits: {cpu: 500m}']), 'limits: {cpu: 500m}'],
  ['PAL-K8S-022', variant(['            requests: {cpu: 100m, memory: 128Mi}\n', '']), 'resources:'],
  ['PAL-K8S-023', variant(['web:1.4.2', 'web:latest']), 'image: registry.example.com/web:latest'],
  [
    'PAL-K8S-023',
    variant(['registry.example.com/web:1.4.2', 'registry.example.com:5000/web']),
    'image: registry.example.com:5000/web',
  ],
  ['PAL-K8S-024', variant(['          livenessProbe: {httpGet: {path: /healthz, port: 8080}}\n', '']), '- name: app'],
  ['PAL-K8S-025', variant(['          readinessProbe: {httpGet: {path: /ready, port: 8080}}\n', '']), '- name: app'],
  ['PAL-K8S-026', variant(['namespace: prod', 'namespace: default']), 'namespace: default'],
  [
    'PAL-K8S-027',
    variant(['automountServiceAccountToken: false', 'automountServiceAccountToken: true']),
    'automountServiceAccountToken: true',
  ],
];

describe('Kubernetes rules', () => {
  it('the compliant Deployment has no findings at all', () => {
    expect(scan(COMPLIANT).findings).toEqual([]);
  });

  it.each(CASES)('%s fires on the broken manifest at the offending line', (ruleId, text, marker) => {
    const findings = scan(text).findings;
    const hit = findings.find((f) => f.ruleId === ruleId);
    expect(hit, `${ruleId} in ${findings.map((f) => f.ruleId).join(',')}`).toBeDefined();
    expect(hit!.target).toEqual({ path: 'deploy.yaml', line: lineOf(text, marker) });
    expect(hit!.type).toBe('misconfiguration');
    expect(hit!.status).toBe('open');
    expect(hit!.description).toContain('Remediation:');
  });

  it('every rule in the registry is exercised by a failing case, and ids are unique', () => {
    const covered = new Set([
      ...CASES.map((c) => c[0]),
      'PAL-K8S-028',
      'PAL-K8S-029',
      'PAL-K8S-035',
      'PAL-K8S-030',
      'PAL-K8S-031',
      'PAL-K8S-032',
      'PAL-K8S-033',
      'PAL-K8S-034',
    ]);
    const ids = KUBERNETES_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(covered.has(id), id).toBe(true);
  });

  it('PSS frameworks and references are carried to the finding', () => {
    const f = scan(variant([SC, `${SC}\n            privileged: true`])).findings.find(
      (x) => x.ruleId === 'PAL-K8S-003',
    )!;
    expect(f.frameworks?.pss).toEqual(['baseline']);
    expect(f.frameworks?.cis).toContain('5.2.1');
    expect(f.references[0]).toContain('pod-security-standards');
    expect(f.severity).toBe('HIGH');
  });

  it('baseline capabilities (e.g. CHOWN) pass PAL-K8S-004 but fail the restricted PAL-K8S-017', () => {
    const text = variant(['drop: ["ALL"]', 'drop: ["ALL"]\n              add: ["CHOWN"]']);
    const ids = scan(text).findings.map((f) => f.ruleId);
    expect(ids).not.toContain('PAL-K8S-004');
    expect(ids).toContain('PAL-K8S-017');
    const nbs = variant(['drop: ["ALL"]', 'drop: ["ALL"]\n              add: ["NET_BIND_SERVICE"]']);
    expect(scan(nbs).findings).toEqual([]);
  });

  it('seccomp on each container instead of the pod satisfies PAL-K8S-016; Localhost AppArmor passes', () => {
    const text = variant(
      ['        seccompProfile:\n          type: RuntimeDefault\n', ''],
      [
        SC,
        `${SC}\n            seccompProfile: {type: Localhost, localhostProfile: p.json}\n            appArmorProfile: {type: Localhost, localhostProfile: k8s-app}`,
      ],
    );
    expect(scan(text).findings).toEqual([]);
  });

  it('container-level runAsNonRoot: false overrides the pod-level true', () => {
    const text = variant([SC, `${SC}\n            runAsNonRoot: false`]);
    const f = scan(text).findings.filter((x) => x.ruleId === 'PAL-K8S-014');
    expect(f.map((x) => x.target.line)).toEqual([lineOf(text, 'runAsNonRoot: false')]);
  });
});

describe('workload kinds: the pod spec is found at each kind path', () => {
  const container = (indent: string) =>
    `${indent}containers:\n${indent}  - name: c\n${indent}    image: busybox:1.36\n${indent}    securityContext:\n${indent}      privileged: true\n`;
  const KINDS: [string, string][] = [
    ['Pod', `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${container('  ')}`],
    ...['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job'].map(
      (k): [string, string] => [
        k,
        `apiVersion: apps/v1\nkind: ${k}\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n${container('      ')}`,
      ],
    ),
    [
      'CronJob',
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${container('          ')}`,
    ],
  ];

  it.each(KINDS)('%s', (_kind, text) => {
    const f = scan(text).findings.find((x) => x.ruleId === 'PAL-K8S-003');
    expect(f?.target.line).toBe(lineOf(text, 'privileged: true'));
  });

  it('Jobs and CronJobs are not asked for probes; Deployments are', () => {
    const job = KINDS.find((k) => k[0] === 'Job')![1];
    expect(scan(job).findings.map((f) => f.ruleId)).not.toContain('PAL-K8S-024');
    const deploy = KINDS.find((k) => k[0] === 'Deployment')![1];
    expect(scan(deploy).findings.map((f) => f.ruleId)).toContain('PAL-K8S-024');
  });

  it('a List (kubectl get -o yaml) is read item by item', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      hostNetwork: true\n      containers: []\n`;
    const f = scan(text).findings.find((x) => x.ruleId === 'PAL-K8S-002');
    expect(f?.target.line).toBe(8);
  });

  it('multi-document files: each document is checked and lines are absolute', () => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: prod}\nspec:\n  hostIPC: true\n  containers: []\n`;
    const f = scan(text).findings.find((x) => x.ruleId === 'PAL-K8S-002');
    expect(f?.target.line).toBe(9);
  });

  it('JSON manifests are scanned with lines', () => {
    const text = JSON.stringify(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { hostPID: true, containers: [] } },
      null,
      2,
    );
    const f = scanConfigFile('pod.json', Buffer.from(text))!.findings.find((x) => x.ruleId === 'PAL-K8S-002');
    expect(f?.target.line).toBe(lineOf(text, '"hostPID"'));
  });
});

describe('RBAC and Service rules', () => {
  const role = (rules: string) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n${rules}`;
  const binding = (roleName: string, subject: string) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ${roleName}\nsubjects:\n  - kind: Group\n    name: ${subject}\n`;

  const FAILING: [string, string, string][] = [
    ['PAL-K8S-030', role(`  - apiGroups: [""]\n    resources: ["pods"]\n    verbs: ["*"]\n`), 'verbs: ["*"]'],
    ['PAL-K8S-031', binding('cluster-admin', 'ops'), 'name: cluster-admin'],
    ['PAL-K8S-032', binding('view', 'system:unauthenticated'), 'name: system:unauthenticated'],
    [
      'PAL-K8S-033',
      role(`  - apiGroups: [""]\n    resources: ["configmaps", "secrets"]\n    verbs: ["list"]\n`),
      'resources:',
    ],
    ['PAL-K8S-034', role(`  - apiGroups: [""]\n    resources: ["pods/exec"]\n    verbs: ["create"]\n`), 'resources:'],
    [
      'PAL-K8S-028',
      `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: prod}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n`,
      'type: NodePort',
    ],
  ];

  it.each(FAILING)('%s fires at its line', (ruleId, text, marker) => {
    const f = scan(text).findings.filter((x) => x.ruleId === ruleId);
    expect(f.map((x) => x.target.line)).toEqual([lineOf(text, marker)]);
  });

  const PASSING: [string, string][] = [
    ['PAL-K8S-030', role(`  - apiGroups: [""]\n    resources: ["pods"]\n    verbs: ["get", "list"]\n`)],
    ['PAL-K8S-031', binding('view', 'ops')],
    ['PAL-K8S-032', binding('view', 'system:authenticated')],
    ['PAL-K8S-033', role(`  - apiGroups: [""]\n    resources: ["configmaps"]\n    verbs: ["list"]\n`)],
    ['PAL-K8S-034', role(`  - apiGroups: [""]\n    resources: ["pods/log"]\n    verbs: ["get"]\n`)],
    [
      'PAL-K8S-028',
      `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: prod}\nspec:\n  type: ClusterIP\n  ports: [{port: 80}]\n`,
    ],
  ];

  it.each(PASSING)('%s does not fire on the safe variant', (ruleId, text) => {
    expect(scan(text).findings.map((f) => f.ruleId)).not.toContain(ruleId);
  });
});

describe('Ingress and Namespace rules', () => {
  const ingress = (spec: string) =>
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: prod}\nspec:\n${spec}`;
  const namespace = (labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n${labels}`;

  it('PAL-K8S-029: an Ingress without tls fires at spec, one with tls passes', () => {
    const bad = ingress('  rules: [{host: a.example.com}]\n');
    expect(scan(bad).findings.map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-K8S-029', 4]]);
    expect(scan(ingress('  tls: [{hosts: [a.example.com], secretName: a-tls}]\n')).findings).toEqual([]);
  });

  it('PAL-K8S-035: a Namespace must enforce baseline or restricted', () => {
    const none = namespace('');
    expect(scan(none).findings.map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-K8S-035', 3]]);
    const privileged = namespace('  labels:\n    pod-security.kubernetes.io/enforce: privileged\n');
    expect(scan(privileged).findings.map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-K8S-035', 5]]);
    expect(scan(namespace('  labels:\n    pod-security.kubernetes.io/enforce: restricted\n')).findings).toEqual([]);
  });
});

describe('YAML as kubectl reads it', () => {
  it('YAML 1.1 booleans and merge keys count', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod}
spec:
  hostNetwork: yes
  containers:
    - &base
      name: a
      image: busybox:1.36
      securityContext: {privileged: on}
    - <<: *base
      name: b
`;
    const findings = scan(text).findings;
    expect(findings.filter((f) => f.ruleId === 'PAL-K8S-002').map((f) => f.target.line)).toEqual([5]);
    expect(findings.filter((f) => f.ruleId === 'PAL-K8S-003').map((f) => f.description!.split('.')[0])).toEqual([
      'container "a" sets privileged: true',
      'container "b" sets privileged: true',
    ]);
  });
});
