// ENV and ARG whose names say they hold a secret: both end up in the image config or its
// history, readable by anyone who can pull the image.

import type { DockerInstruction } from '../../dockerfile-parser.js';
import { dockerfileRule } from './define.js';

const SECRET_NAME =
  /(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|SECRET_KEY|CREDENTIALS?|AUTH|KEY)($|_)/i;
/** Names that look secret but are not: file/path pointers and public key ids. */
const NOT_SECRET = /(_FILE|_PATH|_DIR|_ID|_URL)$|^(GPG_KEY|PUBLIC_KEY|KEY_ID)$|(^|_)PUB(LIC)?_KEY/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** Variable names an ENV (both `K=v` and legacy `K v` forms) or ARG declares. */
export function declaredNames(i: DockerInstruction): string[] {
  const text = i.args.trim();
  if (i.keyword === 'ENV' && !/^[^\s=]+=/.test(text)) return [text.split(/\s+/)[0] ?? ''];
  return [...text.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_.-]*)(?==|\s|$)/g)].map((m) => m[1]!);
}

export const secretInEnv = dockerfileRule(
  {
    id: 'PAL-DF-005',
    severity: 'HIGH',
    title: 'Secret passed through ENV or ARG',
    rationale:
      'ENV values are stored in the image config and ARG values in its build history: anyone who can pull the image reads them.',
    remediation: 'Use build secrets (RUN --mount=type=secret) and inject runtime secrets from the orchestrator.',
    references: ['https://docs.docker.com/build/building/secrets/'],
    frameworks: { cis: ['4.10'], mitre: ['T1552.001'] },
  },
  (df) =>
    df.instructions
      .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
      .flatMap((instruction) =>
        declaredNames(instruction)
          .filter(isSecretName)
          .map((name) => ({ instruction, detail: `${instruction.keyword} ${name} looks like a secret` })),
      ),
);
