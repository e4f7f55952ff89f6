// docker-compose rules: what a service may do to its host (privileges, host namespaces, the
// container socket), what it exposes, and what it ships (mutable tags, secrets, root, writable fs).

import { scanSecrets } from '../../../secret/detect-secrets.js';
import { environmentOf, publishedPortsOf, volumeSourcesOf } from '../../compose/compose-service.js';
import type { ComposeIssue, ComposeRule } from '../../types.js';

const COMPOSE_SPEC = 'https://docs.docker.com/reference/compose-file/services/';

export const composePrivileged: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-001',
  severity: 'CRITICAL',
  title: 'Service runs privileged',
  rationale: 'A privileged container has every capability and the host devices: escaping to the host is trivial.',
  remediation: 'Remove `privileged: true`; add only the capabilities or devices the service needs.',
  references: [`${COMPOSE_SPEC}#privileged`],
  frameworks: { cis: ['Docker 5.4'], mitre: ['T1611'] },
  check(s) {
    return s.object.privileged === true
      ? [{ path: ['privileged'], detail: `service "${s.name}" sets privileged: true` }]
      : [];
  },
};

export const composeHostNetwork: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-002',
  severity: 'HIGH',
  title: "Service shares the host's network namespace",
  rationale:
    'With network_mode: host the service binds directly on the host interfaces and can reach services listening on loopback.',
  remediation: 'Remove `network_mode: host` and publish only the ports the service needs.',
  references: [`${COMPOSE_SPEC}#network_mode`],
  frameworks: { cis: ['Docker 5.9'] },
  tags: ['exposure'],
  check(s) {
    return s.object.network_mode === 'host'
      ? [{ path: ['network_mode'], detail: `service "${s.name}" sets network_mode: host` }]
      : [];
  },
};

export const composeHostPidIpc: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-003',
  severity: 'HIGH',
  title: "Service shares the host's PID or IPC namespace",
  rationale:
    'A service in the host PID namespace sees and can signal every host process; host IPC exposes shared memory.',
  remediation: 'Remove `pid: host` and `ipc: host`.',
  references: [`${COMPOSE_SPEC}#pid`, `${COMPOSE_SPEC}#ipc`],
  frameworks: { cis: ['Docker 5.16', 'Docker 5.17'], mitre: ['T1611'] },
  check(s) {
    const out: ComposeIssue[] = [];
    for (const key of ['pid', 'ipc'] as const) {
      if (s.object[key] === 'host') out.push({ path: [key], detail: `service "${s.name}" sets ${key}: host` });
    }
    return out;
  },
};

/** Capabilities that give a container a path to the host or its network. */
const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'NET_ADMIN',
  'NET_RAW',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
]);

export const composeDangerousCapabilities: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-004',
  severity: 'HIGH',
  title: 'Service adds dangerous capabilities',
  rationale:
    'Capabilities such as SYS_ADMIN, SYS_MODULE or NET_ADMIN let a container reconfigure or escape to the host.',
  remediation: 'Remove the capability from `cap_add`; drop ALL and add back only what the service needs.',
  references: [`${COMPOSE_SPEC}#cap_add`],
  frameworks: { cis: ['Docker 5.3'], mitre: ['T1611'] },
  check(s) {
    const caps = Array.isArray(s.object.cap_add) ? s.object.cap_add : [];
    const out: ComposeIssue[] = [];
    caps.forEach((c, i) => {
      if (typeof c !== 'string') return;
      const name = c.toUpperCase().replace(/^CAP_/, '');
      if (DANGEROUS_CAPABILITIES.has(name))
        out.push({ path: ['cap_add', i], detail: `service "${s.name}" adds ${name}` });
    });
    return out;
  },
};

// A loopback or specific address is a choice someone made; only the wildcard is reported.
const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

export const composePortsOnAllInterfaces: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-005',
  severity: 'MEDIUM',
  title: 'Port published on all interfaces',
  rationale:
    'A port published without a host address listens on every interface (0.0.0.0 and ::), and Docker opens the host firewall for it.',
  remediation: 'Bind to loopback (`127.0.0.1:8080:80`) unless the port must be reachable from other hosts.',
  references: [`${COMPOSE_SPEC}#ports`],
  frameworks: { cis: ['Docker 5.14'] },
  tags: ['exposure'],
  check(s) {
    return publishedPortsOf(s)
      .filter((p) => p.hostIp === undefined || ALL_INTERFACES.has(p.hostIp))
      .map((p) => ({
        path: ['ports', p.index],
        detail: `service "${s.name}" publishes "${p.text}" on all interfaces`,
      }));
  },
};

export const composeImageTag: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-006',
  severity: 'MEDIUM',
  title: 'Image uses the latest tag or no tag',
  rationale: 'A mutable tag changes under the service between deployments; what runs cannot be reproduced or audited.',
  remediation: 'Pin the image to a version tag, or better a digest (`image@sha256:…`).',
  references: [`${COMPOSE_SPEC}#image`],
  frameworks: {},
  check(s) {
    const image = s.object.image;
    // Interpolated images (`${TAG}`) are decided at deploy time: nothing to say here.
    if (typeof image !== 'string' || image.includes('${') || image.includes('@sha256:')) return [];
    const name = image.slice(image.lastIndexOf('/') + 1);
    const tag = name.includes(':') ? name.slice(name.indexOf(':') + 1) : undefined;
    if (tag === undefined) return [{ path: ['image'], detail: `service "${s.name}" image "${image}" has no tag` }];
    return tag === 'latest' ? [{ path: ['image'], detail: `service "${s.name}" image "${image}" uses :latest` }] : [];
  },
};

// Environment values are not files: the test-fixture path allowlist must not hide them.
const ENV_SECRET_OPTIONS = { allowedPaths: [] };

export const composeSecretInEnvironment: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-007',
  severity: 'HIGH',
  title: 'Secret in a service environment variable',
  rationale: 'Values in the compose file are committed with it and visible to anyone who can inspect the container.',
  remediation: 'Use compose `secrets:` (mounted files) or an env_file kept out of version control.',
  references: [`${COMPOSE_SPEC}#environment`, 'https://docs.docker.com/compose/how-tos/use-secrets/'],
  frameworks: { mitre: ['T1552.001'] },
  check(s) {
    const out: ComposeIssue[] = [];
    for (const v of environmentOf(s)) {
      if (v.value.includes('${')) continue;
      const found = scanSecrets('compose environment', Buffer.from(`${v.name}=${v.value}`), ENV_SECRET_OPTIONS);
      // The detail names the variable and the kind of secret, never the value.
      const first = found[0];
      if (first)
        out.push({
          path: ['environment', v.key],
          detail: `service "${s.name}" variable ${v.name} holds a secret (${first.title})`,
        });
    }
    return out;
  },
};

const CONTAINER_SOCKETS = /(^|\/)(docker|podman|containerd|crio)\.sock$/;

export const composeSocketMounted: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-008',
  severity: 'CRITICAL',
  title: 'Container engine socket mounted',
  rationale: 'Whoever can talk to the Docker socket can start a privileged container: it is root on the host.',
  remediation: 'Do not mount the socket; if a tool needs the API, put a filtering proxy in front of it.',
  references: [`${COMPOSE_SPEC}#volumes`],
  frameworks: { cis: ['Docker 5.31'], mitre: ['T1611'] },
  check(s) {
    return volumeSourcesOf(s)
      .filter((v) => CONTAINER_SOCKETS.test(v.source))
      .map((v) => ({ path: ['volumes', v.index], detail: `service "${s.name}" mounts ${v.source}` }));
  },
};

export const composeRootUser: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-009',
  severity: 'MEDIUM',
  title: 'Service runs as root',
  rationale:
    'Root in a container is root on the host once anything breaks the isolation, and can write anything in the image.',
  remediation: 'Set `user:` to a non-root UID (`user: "10001:10001"`), or make sure the image sets USER.',
  references: [`${COMPOSE_SPEC}#user`],
  frameworks: { cis: ['Docker 4.1'] },
  check(s) {
    const user = s.object.user;
    if (user === undefined || user === null) {
      return [
        {
          path: [],
          detail: `service "${s.name}" sets no user: it runs as the image's user, root unless the image says otherwise`,
        },
      ];
    }
    const name = String(user).split(':')[0];
    return name === 'root' || name === '0'
      ? [{ path: ['user'], detail: `service "${s.name}" sets user: ${String(user)}` }]
      : [];
  },
};

export const composeWritableRootFilesystem: ComposeRule = {
  target: 'docker-compose',
  id: 'PAL-DC-010',
  severity: 'LOW',
  title: 'Root filesystem is writable',
  rationale: 'A read-only root filesystem stops an intruder from dropping tools or changing the application.',
  remediation: 'Set `read_only: true` and mount `tmpfs:` or volumes where the service writes.',
  references: [`${COMPOSE_SPEC}#read_only`],
  frameworks: { cis: ['Docker 5.13'] },
  check(s) {
    if (s.object.read_only === true) return [];
    const path = s.object.read_only === undefined ? [] : ['read_only'];
    return [{ path, detail: `service "${s.name}" does not set read_only: true` }];
  },
};
