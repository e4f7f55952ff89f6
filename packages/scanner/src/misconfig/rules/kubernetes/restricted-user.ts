// Restricted-profile controls about who the process runs as and what it may mount: volume
// types, privilege escalation, runAsNonRoot and a non-zero runAsUser.

import { asArray, containersOf, isObject } from '../../kubernetes-resource.js';
import type { K8sIssue } from '../../types.js';
import { containerLabel, containerRule, PSS_URL, podRule } from './define.js';

const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

export const volumeTypes = podRule(
  {
    id: 'PAL-K8S-012',
    severity: 'LOW',
    title: 'Volume type not allowed by the restricted profile',
    rationale:
      'Only volume types that do not reach node or network storage directly are allowed under the restricted profile.',
    remediation:
      'Use configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes.',
    references: [PSS_URL],
    frameworks: { pss: 'restricted' },
  },
  (pod) =>
    asArray(pod.spec.volumes).flatMap((v, i): K8sIssue[] => {
      if (!isObject(v)) return [];
      const types = Object.keys(v).filter((k) => k !== 'name' && !RESTRICTED_VOLUME_TYPES.has(k));
      return types.map((t) => ({
        path: [...pod.path, 'volumes', i, t],
        detail: `volume "${String(v.name ?? i)}" is of type ${t}`,
      }));
    }),
);

export const privilegeEscalation = containerRule(
  {
    id: 'PAL-K8S-013',
    severity: 'MEDIUM',
    title: 'Privilege escalation allowed',
    rationale:
      'Unless allowPrivilegeEscalation is false, setuid binaries and file capabilities can raise the process above its parent.',
    remediation: 'Set securityContext.allowPrivilegeEscalation: false.',
    references: [PSS_URL],
    frameworks: { pss: 'restricted', cis: ['5.2.5'], nsa: ['Pod security: privilege escalation'] },
  },
  (c, pod) => {
    if (pod.windows || c.securityContext.allowPrivilegeEscalation === false) return undefined;
    const set = c.securityContext.allowPrivilegeEscalation !== undefined;
    return {
      path: set ? [...c.path, 'securityContext', 'allowPrivilegeEscalation'] : c.path,
      detail: `${containerLabel(c)} ${set ? 'sets allowPrivilegeEscalation: true' : 'does not set allowPrivilegeEscalation: false'}`,
    };
  },
);

export const runAsNonRoot = containerRule(
  {
    id: 'PAL-K8S-014',
    severity: 'MEDIUM',
    title: 'Container may run as root',
    rationale: 'Without runAsNonRoot: true the kubelet starts the container even when its image runs as uid 0.',
    remediation:
      'Set securityContext.runAsNonRoot: true on the pod (or each container) and run the image as a non-root user.',
    references: [PSS_URL],
    frameworks: { pss: 'restricted', cis: ['5.2.6'], nsa: ['Pod security: non-root containers'] },
  },
  (c, pod) => {
    const own = c.securityContext.runAsNonRoot;
    const effective = own ?? pod.securityContext.runAsNonRoot;
    if (effective === true) return undefined;
    const path =
      own !== undefined
        ? [...c.path, 'securityContext', 'runAsNonRoot']
        : pod.securityContext.runAsNonRoot !== undefined
          ? [...pod.path, 'securityContext', 'runAsNonRoot']
          : c.path;
    return { path, detail: `${containerLabel(c)} is not required to run as non-root` };
  },
);

export const runAsRootUser = podRule(
  {
    id: 'PAL-K8S-015',
    severity: 'MEDIUM',
    title: 'Runs as user 0 (root)',
    rationale: 'runAsUser: 0 runs the process as root, which makes any container escape a root compromise of the node.',
    remediation: 'Set runAsUser to a non-zero uid (for example 10001).',
    references: [PSS_URL],
    frameworks: { pss: 'restricted', cis: ['5.2.6'] },
  },
  (pod) => {
    const out: K8sIssue[] = [];
    if (pod.securityContext.runAsUser === 0) {
      out.push({ path: [...pod.path, 'securityContext', 'runAsUser'], detail: 'the pod sets runAsUser: 0' });
    }
    for (const c of containersOf(pod)) {
      if (c.securityContext.runAsUser === 0) {
        out.push({
          path: [...c.path, 'securityContext', 'runAsUser'],
          detail: `${containerLabel(c)} sets runAsUser: 0`,
        });
      }
    }
    return out;
  },
);
