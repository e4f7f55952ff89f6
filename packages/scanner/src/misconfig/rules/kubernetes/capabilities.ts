// Linux capabilities: the baseline profile's list of addable capabilities and the restricted
// profile's "drop ALL, add at most NET_BIND_SERVICE".

import { asArray, asObject } from '../../kubernetes-resource.js';
import type { K8sIssue } from '../../types.js';
import { containerLabel, containerRule, PSS_URL } from './define.js';

/** Capabilities the baseline profile lets a container add (Docker's default set). */
export const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

function capabilityName(v: unknown): string {
  return String(v).toUpperCase().replace(/^CAP_/, '');
}

export const baselineCapabilities = containerRule(
  {
    id: 'PAL-K8S-004',
    severity: 'HIGH',
    title: 'Container adds a capability beyond the baseline set',
    rationale: 'Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE give near-root power over the node kernel.',
    remediation: 'Remove the capability from securityContext.capabilities.add.',
    references: [PSS_URL, 'https://man7.org/linux/man-pages/man7/capabilities.7.html'],
    frameworks: { pss: 'baseline', cis: ['5.2.8', '5.2.9'], mitre: ['T1611'] },
  },
  (c) => {
    const add = asArray(asObject(c.securityContext.capabilities)?.add);
    return add.flatMap((cap, i): K8sIssue[] =>
      BASELINE_CAPABILITIES.has(capabilityName(cap))
        ? []
        : [
            {
              path: [...c.path, 'securityContext', 'capabilities', 'add', i],
              detail: `${containerLabel(c)} adds ${String(cap)}`,
            },
          ],
    );
  },
);

export const restrictedCapabilities = containerRule(
  {
    id: 'PAL-K8S-017',
    severity: 'LOW',
    title: 'Container does not drop ALL capabilities',
    rationale: 'The restricted profile requires dropping every capability and adding back at most NET_BIND_SERVICE.',
    remediation:
      'Set securityContext.capabilities.drop: ["ALL"] and add only NET_BIND_SERVICE if the process binds a low port.',
    references: [PSS_URL],
    frameworks: { pss: 'restricted', cis: ['5.2.9'] },
  },
  (c, pod) => {
    if (pod.windows || c.list === 'ephemeralContainers') return undefined;
    const caps = asObject(c.securityContext.capabilities);
    const out: K8sIssue[] = [];
    if (!asArray(caps?.drop).some((d) => capabilityName(d) === 'ALL')) {
      out.push({
        path: caps ? [...c.path, 'securityContext', 'capabilities'] : [...c.path, 'securityContext'],
        detail: `${containerLabel(c)} does not drop ALL capabilities`,
      });
    }
    asArray(caps?.add).forEach((cap, i) => {
      if (capabilityName(cap) !== 'NET_BIND_SERVICE') {
        out.push({
          path: [...c.path, 'securityContext', 'capabilities', 'add', i],
          detail: `${containerLabel(c)} adds ${String(cap)} (restricted allows only NET_BIND_SERVICE)`,
        });
      }
    });
    return out;
  },
);
