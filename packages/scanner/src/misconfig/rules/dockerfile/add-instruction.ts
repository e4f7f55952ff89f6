// ADD checks: fetching remote URLs at build time, and ADD used where COPY says the same with
// less magic (no URL download, no archive extraction).

import type { Dockerfile, DockerInstruction } from '../../dockerfile-parser.js';
import { DOCKERFILE_REF, dockerfileRule } from './define.js';

const URL_SOURCE = /^(https?:\/\/|git@|git:\/\/)/i;
const ARCHIVE_SOURCE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|gz|bz2|xz|zst)$/i;

function addSources(i: DockerInstruction): string[] {
  const parts = i.json ?? i.args.split(/\s+/).filter((p) => p !== '');
  return parts.slice(0, -1);
}

function addInstructions(df: Dockerfile): DockerInstruction[] {
  return df.instructions.filter((i) => i.keyword === 'ADD');
}

export const addFromUrl = dockerfileRule(
  {
    id: 'PAL-DF-003',
    severity: 'MEDIUM',
    title: 'ADD downloads from a URL',
    rationale: 'ADD fetches remote content without verifying it (unless --checksum is given) and keeps it in a layer.',
    remediation: 'Download with curl/wget in a RUN and verify a checksum, or use ADD --checksum=sha256:….',
    references: [`${DOCKERFILE_REF}#add-or-copy`],
    frameworks: { cis: ['4.9'], mitre: ['T1105'] },
  },
  (df) =>
    addInstructions(df).flatMap((instruction) => {
      if (instruction.flags.checksum) return [];
      const url = addSources(instruction).find((s) => URL_SOURCE.test(s));
      return url ? [{ instruction, detail: `ADD ${url} without --checksum` }] : [];
    }),
);

export const addInsteadOfCopy = dockerfileRule(
  {
    id: 'PAL-DF-004',
    severity: 'LOW',
    title: 'ADD used where COPY suffices',
    rationale:
      'ADD also downloads URLs and unpacks archives; for plain files COPY states the intent and avoids surprises.',
    remediation: 'Replace ADD by COPY for local files.',
    references: [`${DOCKERFILE_REF}#add-or-copy`],
    frameworks: { cis: ['4.9'] },
  },
  (df) =>
    addInstructions(df).flatMap((instruction) => {
      const sources = addSources(instruction);
      if (sources.length === 0 && instruction.heredocs.length === 0) return [];
      if (sources.some((s) => URL_SOURCE.test(s) || ARCHIVE_SOURCE.test(s))) return [];
      return [{ instruction, detail: `ADD ${sources.join(' ')} copies local files` }];
    }),
);
