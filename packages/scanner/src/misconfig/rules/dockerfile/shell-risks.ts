// RUN commands that are risky in themselves: piping a download into a shell, and sudo (which
// hides privilege changes and is unnecessary in a build that already runs as root).

import type { DockerIssue } from '../../types.js';
import { dockerfileRule, runCommands } from './define.js';
import { effectiveArgv } from './shell-commands.js';

const DOWNLOADERS = new Set(['curl', 'wget']);
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'python', 'python3', 'perl', 'ruby', 'node']);

function base(cmd: string | undefined): string {
  return (cmd ?? '').replace(/^.*\//, '');
}

export const pipeToShell = dockerfileRule(
  {
    id: 'PAL-DF-010',
    severity: 'MEDIUM',
    title: 'Download piped into a shell',
    rationale:
      'curl … | sh runs whatever the server returns, unverified; a compromised or spoofed host owns the build.',
    remediation: 'Download to a file, verify its checksum or signature, then run it.',
    references: ['https://github.com/hadolint/hadolint/wiki/DL4006'],
    frameworks: { mitre: ['T1105', 'T1059.004'] },
  },
  (df) =>
    runCommands(df).flatMap(({ instruction, commands }): DockerIssue[] => {
      for (let i = 0; i + 1 < commands.length; i++) {
        const c = commands[i]!;
        const next = commands[i + 1]!;
        if (
          c.next === '|' &&
          DOWNLOADERS.has(base(effectiveArgv(c.argv)[0])) &&
          INTERPRETERS.has(base(effectiveArgv(next.argv)[0]))
        ) {
          return [
            {
              instruction,
              detail: `${base(effectiveArgv(c.argv)[0])} output piped into ${base(effectiveArgv(next.argv)[0])}`,
            },
          ];
        }
      }
      return [];
    }),
);

export const sudoUsed = dockerfileRule(
  {
    id: 'PAL-DF-011',
    severity: 'MEDIUM',
    title: 'sudo used in RUN',
    rationale:
      'sudo in an image means a setuid binary and a sudoers policy an attacker can use; builds can switch USER instead.',
    remediation: 'Run the step as root with USER root, then switch back with USER; do not install sudo.',
    references: ['https://github.com/hadolint/hadolint/wiki/DL3004'],
    frameworks: { mitre: ['T1548.003'] },
  },
  (df) =>
    runCommands(df).flatMap(({ instruction, commands }) =>
      commands.some((c) => c.argv.find((a) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) === 'sudo')
        ? [{ instruction, detail: 'RUN uses sudo' }]
        : [],
    ),
);
