// Shared pieces of the Dockerfile rules: the rule constructor, the final stage, and the
// RUN instructions of a file with their split shell commands.

import { type Dockerfile, type DockerInstruction, type DockerStage, runCommandText } from '../../dockerfile-parser.js';
import type { DockerfileRule, DockerIssue, RuleMeta } from '../../types.js';
import { type ShellCommand, splitShellCommands } from './shell-commands.js';

export const DOCKERFILE_REF = 'https://docs.docker.com/build/building/best-practices/';

export function dockerfileRule(meta: RuleMeta, check: (df: Dockerfile) => DockerIssue[]): DockerfileRule {
  return { ...meta, target: 'dockerfile', check };
}

export function finalStage(df: Dockerfile): DockerStage | undefined {
  return df.stages[df.stages.length - 1];
}

export interface RunCommands {
  instruction: DockerInstruction;
  commands: ShellCommand[];
}

export function runCommands(df: Dockerfile): RunCommands[] {
  return df.instructions
    .filter((i) => i.keyword === 'RUN')
    .map((instruction) => ({ instruction, commands: splitShellCommands(runCommandText(instruction)) }));
}
