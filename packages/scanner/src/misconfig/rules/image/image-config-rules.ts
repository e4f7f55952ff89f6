// Rules over a built image's config (what `docker inspect` shows): the user the container
// starts as and the ports it exposes. The same checks as the Dockerfile's, for images without one.

import type { RuleMeta } from '../../types.js';

export const imageRunsAsRoot: RuleMeta = {
  id: 'PAL-IMG-001',
  severity: 'HIGH',
  title: 'Image config runs as root',
  rationale: 'The image sets no user (or root/0): containers start as uid 0 unless the orchestrator overrides it.',
  remediation: 'Rebuild with a non-root USER, or run it with runAsNonRoot/runAsUser (Kubernetes) or --user.',
  references: ['https://docs.docker.com/build/building/best-practices/#user'],
  frameworks: { cis: ['4.1'], mitre: ['T1611'] },
};

export const imageExposesSsh: RuleMeta = {
  id: 'PAL-IMG-002',
  severity: 'MEDIUM',
  title: 'Image config exposes port 22 (SSH)',
  rationale:
    'An image that exposes SSH usually runs sshd: a remote login surface and keys to manage inside a container.',
  remediation: 'Remove sshd and the exposed port; use exec tooling for access.',
  references: ['https://docs.docker.com/reference/dockerfile/#expose'],
  frameworks: { cis: ['5.7'], mitre: ['T1021.004'] },
};
