// Pod Security Standards baseline controls about reaching the host: HostProcess, host
// namespaces, privileged containers, hostPath volumes and host ports.

import { asArray, asObject, containersOf, isObject } from '../../kubernetes-resource.js';
import type { K8sIssue } from '../../types.js';
import { containerLabel, containerRule, PSS_URL, podRule } from './define.js';

export const hostProcess = podRule(
  {
    id: 'PAL-K8S-001',
    severity: 'HIGH',
    title: 'Windows HostProcess container',
    rationale: 'HostProcess containers run directly on the Windows node with full host privileges.',
    remediation: 'Remove windowsOptions.hostProcess or set it to false.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline', mitre: ['T1611'] },
  },
  (pod) => {
    const out: K8sIssue[] = [];
    if (asObject(pod.securityContext.windowsOptions)?.hostProcess === true) {
      out.push({
        path: [...pod.path, 'securityContext', 'windowsOptions', 'hostProcess'],
        detail: 'the pod sets windowsOptions.hostProcess: true',
      });
    }
    for (const c of containersOf(pod)) {
      if (asObject(c.securityContext.windowsOptions)?.hostProcess === true) {
        out.push({
          path: [...c.path, 'securityContext', 'windowsOptions', 'hostProcess'],
          detail: `${containerLabel(c)} sets windowsOptions.hostProcess: true`,
        });
      }
    }
    return out;
  },
);

export const hostNamespaces = podRule(
  {
    id: 'PAL-K8S-002',
    severity: 'HIGH',
    title: 'Pod shares a host namespace',
    rationale:
      'hostNetwork, hostPID and hostIPC let the pod see and reach host processes, IPC and network interfaces, defeating container isolation.',
    remediation: 'Remove hostNetwork, hostPID and hostIPC from the pod spec or set them to false.',
    references: [PSS_URL, 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
    frameworks: {
      pss: 'baseline',
      nsa: ['Pod security: host namespaces'],
      cis: ['5.2.2', '5.2.3', '5.2.4'],
      mitre: ['T1611'],
    },
  },
  (pod) =>
    (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((f) => pod.spec[f] === true)
      .map((f) => ({ path: [...pod.path, f], detail: `the pod sets ${f}: true` })),
);

export const privileged = containerRule(
  {
    id: 'PAL-K8S-003',
    severity: 'HIGH',
    title: 'Privileged container',
    rationale: 'A privileged container has every capability and all host devices: root in it is root on the node.',
    remediation: 'Set securityContext.privileged to false (or remove it) and grant only the capabilities needed.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline', nsa: ['Pod security: non-privileged containers'], cis: ['5.2.1'], mitre: ['T1611'] },
  },
  (c) =>
    c.securityContext.privileged === true
      ? { path: [...c.path, 'securityContext', 'privileged'], detail: `${containerLabel(c)} sets privileged: true` }
      : undefined,
);

export const hostPathVolumes = podRule(
  {
    id: 'PAL-K8S-005',
    severity: 'MEDIUM',
    title: 'hostPath volume',
    rationale: 'hostPath mounts expose the node file system to the pod; a writable one allows escaping to the host.',
    remediation: 'Use configMap, secret, emptyDir or persistentVolumeClaim volumes instead of hostPath.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline', nsa: ['Pod security: hostPath'], mitre: ['T1611'] },
  },
  (pod) =>
    asArray(pod.spec.volumes).flatMap((v, i) =>
      isObject(v) && v.hostPath !== undefined
        ? [
            {
              path: [...pod.path, 'volumes', i, 'hostPath'],
              detail: `volume "${String(v.name ?? i)}" mounts host path ${String(asObject(v.hostPath)?.path ?? '')}`,
            },
          ]
        : [],
    ),
);

export const hostPorts = containerRule(
  {
    id: 'PAL-K8S-006',
    severity: 'MEDIUM',
    title: 'Container binds a host port',
    rationale: 'hostPort opens a port on the node itself, bypassing network policy and limiting scheduling.',
    remediation: 'Remove hostPort and expose the port through a Service.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline', nsa: ['Network separation'] },
  },
  (c) =>
    asArray(c.container.ports).flatMap((p, i) =>
      isObject(p) && p.hostPort !== undefined && p.hostPort !== 0
        ? [
            {
              path: [...c.path, 'ports', i, 'hostPort'],
              detail: `${containerLabel(c)} binds host port ${String(p.hostPort)}`,
            },
          ]
        : [],
    ),
);
