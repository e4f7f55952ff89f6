// Hardening checks beyond the Pod Security Standards that Kubescape and Trivy also make:
// read-only root file system, resources, image tags, probes, namespace and service-account tokens.

import { asObject } from '../../kubernetes-resource.js';
import { containerLabel, containerRule, k8sRule, NSA_URL, podRule } from './define.js';

export const readOnlyRootFilesystem = containerRule(
  {
    id: 'PAL-K8S-020',
    severity: 'LOW',
    title: 'Root file system is writable',
    rationale: 'A writable root file system lets an attacker drop tools and persist changes inside the container.',
    remediation: 'Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes.',
    references: [NSA_URL],
    frameworks: { nsa: ['Pod security: immutable file systems'] },
  },
  (c) => {
    if (c.list === 'ephemeralContainers' || c.securityContext.readOnlyRootFilesystem === true) return undefined;
    const set = c.securityContext.readOnlyRootFilesystem !== undefined;
    return {
      path: set ? [...c.path, 'securityContext', 'readOnlyRootFilesystem'] : c.path,
      detail: `${containerLabel(c)} does not set readOnlyRootFilesystem: true`,
    };
  },
);

function resourceRule(id: string, kind: 'limits' | 'requests') {
  return containerRule(
    {
      id,
      severity: 'LOW',
      title: `CPU or memory ${kind} not set`,
      rationale:
        kind === 'limits'
          ? 'Without limits one container can exhaust the node and starve its neighbours (denial of service).'
          : 'Without requests the scheduler cannot place the pod sensibly and it is evicted first under pressure.',
      remediation: `Set resources.${kind}.cpu and resources.${kind}.memory.`,
      references: ['https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/', NSA_URL],
      frameworks: { nsa: ['Resource policies'] },
    },
    (c) => {
      if (c.list === 'ephemeralContainers') return undefined;
      const res = asObject(c.container.resources);
      const section = asObject(res?.[kind]);
      const missing = ['cpu', 'memory'].filter((k) => section?.[k] === undefined);
      if (missing.length === 0) return undefined;
      const path = section ? [...c.path, 'resources', kind] : res ? [...c.path, 'resources'] : c.path;
      return {
        path,
        detail: `${containerLabel(c)} has no ${missing.map((m) => `${m} ${kind.replace(/s$/, '')}`).join(' or ')}`,
      };
    },
  );
}

export const resourceLimits = resourceRule('PAL-K8S-021', 'limits');
export const resourceRequests = resourceRule('PAL-K8S-022', 'requests');

/** "nginx", "nginx:latest" and "registry:5000/nginx" have no pinned tag; a digest always pins. */
export function imageTagProblem(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'has no tag';
  return lastSegment.slice(colon + 1) === 'latest' ? 'uses the :latest tag' : undefined;
}

export const imageTag = containerRule(
  {
    id: 'PAL-K8S-023',
    severity: 'MEDIUM',
    title: 'Image tag is :latest or missing',
    rationale: 'A mutable tag makes deployments irreproducible and lets a changed image roll out unreviewed.',
    remediation: 'Pin the image to a version tag, or better a digest (image@sha256:…).',
    references: ['https://kubernetes.io/docs/concepts/containers/images/#image-names'],
    frameworks: { mitre: ['T1525'] },
  },
  (c) => {
    if (typeof c.container.image !== 'string') return undefined;
    const problem = imageTagProblem(c.container.image);
    return problem
      ? { path: [...c.path, 'image'], detail: `${containerLabel(c)} image ${c.container.image} ${problem}` }
      : undefined;
  },
);

/** Batch workloads run to completion: probes make no sense there. */
const BATCH_KINDS = new Set(['Job', 'CronJob']);

function probeRule(id: string, probe: 'livenessProbe' | 'readinessProbe') {
  return containerRule(
    {
      id,
      severity: 'LOW',
      title: `No ${probe.replace('Probe', '')} probe`,
      rationale:
        probe === 'livenessProbe'
          ? 'Without a liveness probe a hung process keeps its pod running and serving nothing.'
          : 'Without a readiness probe traffic is sent to the pod before it can serve.',
      remediation: `Define ${probe} (httpGet, tcpSocket, grpc or exec).`,
      references: [
        'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
      ],
      frameworks: {},
    },
    (c, _pod, r) =>
      c.list === 'containers' && !BATCH_KINDS.has(r.kind) && c.container[probe] === undefined
        ? { path: c.path, detail: `${containerLabel(c)} has no ${probe}` }
        : undefined,
  );
}

export const livenessProbe = probeRule('PAL-K8S-024', 'livenessProbe');
export const readinessProbe = probeRule('PAL-K8S-025', 'readinessProbe');

export const defaultNamespace = k8sRule(
  {
    id: 'PAL-K8S-026',
    severity: 'LOW',
    title: 'Resource in the default namespace',
    rationale: 'The default namespace mixes unrelated workloads, so RBAC and network policies cannot separate them.',
    remediation: 'Deploy into a dedicated namespace.',
    references: [NSA_URL],
    frameworks: { cis: ['5.7.4'], nsa: ['Namespaces'] },
  },
  (r) =>
    r.namespace === 'default'
      ? [{ path: [...r.basePath, 'metadata', 'namespace'], detail: `${r.kind} "${r.name}" is in namespace default` }]
      : [],
);

export const automountServiceAccountToken = podRule(
  {
    id: 'PAL-K8S-027',
    severity: 'LOW',
    title: 'Service account token mounted',
    rationale:
      'A mounted API token lets anyone who compromises the pod call the Kubernetes API as its service account.',
    remediation: 'Set automountServiceAccountToken: false unless the pod talks to the API server.',
    references: ['https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/', NSA_URL],
    frameworks: { cis: ['5.1.6'], mitre: ['T1528'] },
  },
  (pod) => {
    const v = pod.spec.automountServiceAccountToken;
    if (v === false) return [];
    return [
      {
        path: v === undefined ? pod.path : [...pod.path, 'automountServiceAccountToken'],
        detail: 'the pod mounts its service account token',
      },
    ];
  },
);
