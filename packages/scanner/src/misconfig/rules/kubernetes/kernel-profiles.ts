// Kernel confinement controls of the Pod Security Standards: AppArmor, SELinux, /proc mount
// type, seccomp (baseline: never Unconfined; restricted: always set) and sysctls.

import {
  asArray,
  asObject,
  type ContainerRef,
  containersOf,
  isObject,
  type PodSpecRef,
} from '../../kubernetes-resource.js';
import type { DocPath, K8sIssue } from '../../types.js';
import { containerLabel, containerRule, PSS_URL, podRule } from './define.js';

/** Pod-level and per-container securityContexts, each with its path and a label for messages. */
function securityContexts(pod: PodSpecRef): { sc: Record<string, unknown>; path: DocPath; label: string }[] {
  return [
    { sc: pod.securityContext, path: [...pod.path, 'securityContext'], label: 'the pod' },
    ...containersOf(pod).map((c) => ({
      sc: c.securityContext,
      path: [...c.path, 'securityContext'],
      label: containerLabel(c),
    })),
  ];
}

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

export const appArmor = podRule(
  {
    id: 'PAL-K8S-007',
    severity: 'MEDIUM',
    title: 'AppArmor profile disabled',
    rationale: 'An unconfined AppArmor profile removes the mandatory access control the runtime applies by default.',
    remediation:
      'Use appArmorProfile.type RuntimeDefault or Localhost (or the annotation values runtime/default, localhost/NAME).',
    references: [PSS_URL, 'https://kubernetes.io/docs/tutorials/security/apparmor/'],
    frameworks: { pss: 'baseline' },
  },
  (pod) => {
    const out: K8sIssue[] = [];
    for (const { sc, path, label } of securityContexts(pod)) {
      const type = asObject(sc.appArmorProfile)?.type;
      if (type !== undefined && type !== 'RuntimeDefault' && type !== 'Localhost') {
        out.push({
          path: [...path, 'appArmorProfile', 'type'],
          detail: `${label} sets appArmorProfile.type: ${String(type)}`,
        });
      }
    }
    for (const [key, value] of Object.entries(pod.annotations)) {
      if (!key.startsWith(APPARMOR_ANNOTATION)) continue;
      const v = String(value);
      if (v !== 'runtime/default' && !v.startsWith('localhost/')) {
        out.push({ path: [...pod.annotationsPath, key], detail: `annotation ${key}: ${v}` });
      }
    }
    return out;
  },
);

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

export const seLinux = podRule(
  {
    id: 'PAL-K8S-008',
    severity: 'MEDIUM',
    title: 'Custom SELinux options',
    rationale:
      'Setting a custom SELinux user, role or a type outside the container types can lift the confinement SELinux gives.',
    remediation:
      'Leave seLinuxOptions.user and role unset and use type container_t, container_init_t or container_kvm_t.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline' },
  },
  (pod) => {
    const out: K8sIssue[] = [];
    for (const { sc, path, label } of securityContexts(pod)) {
      const se = asObject(sc.seLinuxOptions);
      if (!se) continue;
      if (se.type !== undefined && !SELINUX_TYPES.has(String(se.type))) {
        out.push({
          path: [...path, 'seLinuxOptions', 'type'],
          detail: `${label} sets seLinuxOptions.type: ${String(se.type)}`,
        });
      }
      for (const f of ['user', 'role'] as const) {
        if (se[f] !== undefined && se[f] !== '') {
          out.push({
            path: [...path, 'seLinuxOptions', f],
            detail: `${label} sets seLinuxOptions.${f}: ${String(se[f])}`,
          });
        }
      }
    }
    return out;
  },
);

export const procMount = containerRule(
  {
    id: 'PAL-K8S-009',
    severity: 'MEDIUM',
    title: 'Unmasked /proc mount',
    rationale: 'procMount: Unmasked exposes kernel interfaces under /proc that the runtime normally masks.',
    remediation: 'Remove securityContext.procMount or set it to Default.',
    references: [PSS_URL],
    frameworks: { pss: 'baseline' },
  },
  (c) => {
    const pm = c.securityContext.procMount;
    return pm !== undefined && pm !== 'Default'
      ? {
          path: [...c.path, 'securityContext', 'procMount'],
          detail: `${containerLabel(c)} sets procMount: ${String(pm)}`,
        }
      : undefined;
  },
);

export const seccompUnconfined = podRule(
  {
    id: 'PAL-K8S-010',
    severity: 'MEDIUM',
    title: 'Seccomp profile set to Unconfined',
    rationale:
      'Without seccomp every system call reaches the kernel, widening the attack surface for container escapes.',
    remediation: 'Set seccompProfile.type to RuntimeDefault (or Localhost with a reviewed profile).',
    references: [PSS_URL, 'https://kubernetes.io/docs/tutorials/security/seccomp/'],
    frameworks: { pss: 'baseline', nsa: ['Pod security: seccomp'], cis: ['5.7.2'] },
  },
  (pod) =>
    securityContexts(pod).flatMap(({ sc, path, label }) =>
      asObject(sc.seccompProfile)?.type === 'Unconfined'
        ? [{ path: [...path, 'seccompProfile', 'type'], detail: `${label} sets seccompProfile.type: Unconfined` }]
        : [],
    ),
);

function seccompType(c: ContainerRef, pod: PodSpecRef): unknown {
  return asObject(c.securityContext.seccompProfile)?.type ?? asObject(pod.securityContext.seccompProfile)?.type;
}

export const seccompRestricted = containerRule(
  {
    id: 'PAL-K8S-016',
    severity: 'LOW',
    title: 'Seccomp profile not set',
    rationale:
      'The restricted profile requires an explicit RuntimeDefault or Localhost seccomp profile for every container.',
    remediation: 'Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod (or on each container).',
    references: [PSS_URL],
    frameworks: { pss: 'restricted', cis: ['5.7.2'] },
  },
  (c, pod) => {
    if (pod.windows) return undefined;
    const type = seccompType(c, pod);
    if (type === 'RuntimeDefault' || type === 'Localhost' || type === 'Unconfined') return undefined; // Unconfined: PAL-K8S-010
    return {
      path: c.path,
      detail: `${containerLabel(c)} has no seccomp profile (neither it nor the pod sets seccompProfile.type)`,
    };
  },
);

/** Sysctls the baseline profile considers namespaced and safe. */
export const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

export const unsafeSysctls = podRule(
  {
    id: 'PAL-K8S-011',
    severity: 'MEDIUM',
    title: 'Unsafe sysctl',
    rationale:
      'Sysctls outside the safe set are not isolated per pod and can change kernel behaviour for the whole node.',
    remediation: 'Remove the sysctl or replace it by one of the safe, namespaced sysctls.',
    references: [PSS_URL, 'https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/'],
    frameworks: { pss: 'baseline' },
  },
  (pod) =>
    asArray(pod.securityContext.sysctls).flatMap((s, i) =>
      isObject(s) && !SAFE_SYSCTLS.has(String(s.name))
        ? [
            {
              path: [...pod.path, 'securityContext', 'sysctls', i, 'name'],
              detail: `the pod sets sysctl ${String(s.name)}`,
            },
          ]
        : [],
    ),
);
