// Dockerfile checks on what the final image is: its user, base image tag, health check,
// start command, working directory and exposed ports.

import { type Dockerfile, type DockerStage, expandArgs } from '../../dockerfile-parser.js';
import type { DockerIssue } from '../../types.js';
import { DOCKERFILE_REF, dockerfileRule, finalStage } from './define.js';

/** The user a stage ends with: its last USER, else the one of the earlier stage it builds FROM. */
function stageUser(
  df: Dockerfile,
  stage: DockerStage,
  depth = 0,
): { user?: string; stage: DockerStage; line?: number } {
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  const last = users[users.length - 1];
  if (last) return { user: last.args.trim(), stage, line: last.line };
  const parent = df.stages.find((s) => s.index < stage.index && s.name === stage.image.toLowerCase());
  return parent && depth < 32 ? stageUser(df, parent, depth + 1) : { stage };
}

export function isRootUser(user: string | undefined): boolean {
  const name = (user ?? '').split(':')[0]!.trim();
  return name === '' || name === 'root' || name === '0';
}

export const rootUser = dockerfileRule(
  {
    id: 'PAL-DF-001',
    severity: 'HIGH',
    title: 'Image runs as root',
    rationale:
      'Without a non-root USER in the final stage the container process runs as uid 0, so any escape is a root escape.',
    remediation: 'Create an unprivileged user and add "USER name" (or a numeric uid) at the end of the final stage.',
    references: [`${DOCKERFILE_REF}#user`],
    frameworks: { cis: ['4.1'], mitre: ['T1611'] },
  },
  (df) => {
    const stage = finalStage(df);
    if (!stage) return [];
    const found = stageUser(df, stage);
    if (!isRootUser(found.user)) return [];
    const lastUser = stage.instructions.filter((i) => i.keyword === 'USER').pop();
    return [
      {
        instruction: lastUser ?? stage.from,
        detail:
          found.user === undefined ? 'the final stage sets no USER' : `the final stage runs as USER ${found.user}`,
      },
    ];
  },
);

export const baseImageTag = dockerfileRule(
  {
    id: 'PAL-DF-002',
    severity: 'MEDIUM',
    title: 'Base image uses :latest or no tag',
    rationale: 'A mutable base tag makes builds irreproducible and silently pulls in new, unreviewed content.',
    remediation: 'Pin the base image to a version tag or a digest (FROM image:1.2.3@sha256:…).',
    references: [`${DOCKERFILE_REF}#from`],
    frameworks: { cis: ['4.2'] },
  },
  (df) => {
    const globalArgs = new Map<string, string>();
    for (const i of df.instructions) {
      if (i.stage !== -1 || i.keyword !== 'ARG') continue;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(i.args.trim());
      if (m?.[2] !== undefined) globalArgs.set(m[1]!, m[2].replace(/^["']|["']$/g, ''));
    }
    const issues: DockerIssue[] = [];
    for (const stage of df.stages) {
      let image = stage.image;
      if (image.includes('$')) {
        const names = [...image.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
        if (!names.every((n) => globalArgs.has(n))) continue; // decided at build time: cannot judge
        image = expandArgs(image, globalArgs);
      }
      const lower = image.toLowerCase();
      if (lower === 'scratch' || df.stages.some((s) => s.index < stage.index && s.name === lower)) continue;
      if (image.includes('@')) continue;
      const last = image.slice(image.lastIndexOf('/') + 1);
      const colon = last.lastIndexOf(':');
      if (colon < 0) issues.push({ instruction: stage.from, detail: `FROM ${image} has no tag` });
      else if (last.slice(colon + 1) === 'latest')
        issues.push({ instruction: stage.from, detail: `FROM ${image} uses :latest` });
    }
    return issues;
  },
);

export const noHealthcheck = dockerfileRule(
  {
    id: 'PAL-DF-006',
    severity: 'LOW',
    title: 'No HEALTHCHECK',
    rationale: 'Without a health check the engine cannot tell a hung container from a working one.',
    remediation:
      'Add a HEALTHCHECK CMD … instruction to the final stage (not needed when the orchestrator probes the container).',
    references: ['https://docs.docker.com/reference/dockerfile/#healthcheck'],
    frameworks: { cis: ['4.6'] },
  },
  (df) => {
    const stage = finalStage(df);
    if (!stage) return [];
    const hc = stage.instructions.filter((i) => i.keyword === 'HEALTHCHECK').pop();
    if (hc && hc.args.trim().toUpperCase() !== 'NONE') return [];
    return [
      {
        instruction: hc ?? stage.from,
        detail: hc ? 'HEALTHCHECK NONE disables health checking' : 'the final stage has no HEALTHCHECK',
      },
    ];
  },
);

export const sshPort = dockerfileRule(
  {
    id: 'PAL-DF-012',
    severity: 'MEDIUM',
    title: 'Port 22 (SSH) exposed',
    rationale: 'Running sshd in a container adds a remote login surface and keys to manage; use exec tooling instead.',
    remediation: 'Remove port 22 from EXPOSE and the SSH daemon from the image.',
    references: ['https://docs.docker.com/reference/dockerfile/#expose'],
    frameworks: { cis: ['5.7'], mitre: ['T1021.004'] },
  },
  (df) =>
    df.instructions
      .filter((i) => i.keyword === 'EXPOSE' && i.args.split(/\s+/).some((p) => /^22(\/(tcp|udp))?$/i.test(p)))
      .map((instruction) => ({ instruction, detail: 'EXPOSE 22' })),
);

export const repeatedStartCommand = dockerfileRule(
  {
    id: 'PAL-DF-013',
    severity: 'MEDIUM',
    title: 'Multiple CMD or ENTRYPOINT in one stage',
    rationale: 'Only the last CMD and ENTRYPOINT take effect; earlier ones are dead code that misleads readers.',
    remediation: 'Keep one CMD and at most one ENTRYPOINT per stage.',
    references: ['https://docs.docker.com/reference/dockerfile/#cmd'],
    frameworks: {},
  },
  (df) =>
    df.stages.flatMap((stage) =>
      (['CMD', 'ENTRYPOINT'] as const).flatMap((kw) =>
        stage.instructions
          .filter((i) => i.keyword === kw)
          .slice(1)
          .map((instruction) => ({
            instruction,
            detail: `stage ${stage.name ?? stage.index} has more than one ${kw}`,
          })),
      ),
    ),
);

export const relativeWorkdir = dockerfileRule(
  {
    id: 'PAL-DF-014',
    severity: 'LOW',
    title: 'WORKDIR is a relative path',
    rationale: 'A relative WORKDIR depends on the previous one and breaks silently when instructions move.',
    remediation: 'Use an absolute path in WORKDIR.',
    references: ['https://docs.docker.com/reference/dockerfile/#workdir'],
    frameworks: {},
  },
  (df) =>
    df.instructions
      .filter((i) => {
        if (i.keyword !== 'WORKDIR') return false;
        const dir = i.args.trim().replace(/^["']|["']$/g, '');
        return dir !== '' && !dir.startsWith('/') && !dir.startsWith('$') && !/^[A-Za-z]:[\\/]/.test(dir);
      })
      .map((instruction) => ({ instruction, detail: `WORKDIR ${instruction.args.trim()} is relative` })),
);
