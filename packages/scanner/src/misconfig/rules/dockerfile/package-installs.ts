// Package-manager checks on RUN: unpinned versions (apt-get, apk, pip, npm -g), apt-get without
// --no-install-recommends, and apt lists left in the layer.

import type { DockerIssue } from '../../types.js';
import { DOCKERFILE_REF, dockerfileRule, runCommands } from './define.js';
import { effectiveArgv } from './shell-commands.js';

/** Operands of `tool … sub …` that are not options (and not the values of options that take one). */
function operands(argv: readonly string[], from: number, optionsWithValue: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = from; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-')) {
      if (optionsWithValue.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const NONE = new Set<string>();
const APK_WITH_VALUE = new Set(['-t', '--virtual', '-X', '--repository', '-p', '--root']);
const PIP_WITH_VALUE = new Set([
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '-e',
  '--editable',
  '-i',
  '--index-url',
  '--extra-index-url',
  '-t',
  '--target',
  '--prefix',
  '-f',
  '--find-links',
]);

/** `pkg` and `@scope/pkg` (or `pkg@latest`) are unpinned; local paths and URLs are not registry installs. */
function isUnpinnedNpmSpec(spec: string): boolean {
  if (/^(\.|\/|file:|git|https?:)/.test(spec)) return false;
  const at = spec.lastIndexOf('@');
  return at <= 0 || spec.slice(at + 1) === 'latest';
}

/** The unpinned packages one command installs, or undefined when it is no package install. */
export function unpinnedPackages(rawArgv: readonly string[]): { tool: string; packages: string[] } | undefined {
  const argv = effectiveArgv(rawArgv);
  const tool = argv[0]?.replace(/^.*\//, '');
  if (!tool) return undefined;
  if ((tool === 'apt-get' || tool === 'apt') && argv.includes('install')) {
    const pkgs = operands(argv, argv.indexOf('install') + 1, new Set(['-o', '-t', '--target-release']));
    return { tool, packages: pkgs.filter((p) => !p.includes('=') && !p.includes('/') && !p.endsWith('.deb')) };
  }
  if (tool === 'apk' && argv.includes('add')) {
    const pkgs = operands(argv, argv.indexOf('add') + 1, APK_WITH_VALUE);
    return { tool, packages: pkgs.filter((p) => !/[=~<>]/.test(p) && !p.endsWith('.apk')) };
  }
  if (
    (/^pip[0-9.]*$/.test(tool) && argv.includes('install')) ||
    (/^python[0-9.]*$/.test(tool) && argv[1] === '-m' && /^pip/.test(argv[2] ?? ''))
  ) {
    const pkgs = operands(argv, argv.indexOf('install') + 1, PIP_WITH_VALUE);
    return { tool: 'pip', packages: pkgs.filter((p) => !/==|===|@|\/|^\.|\.whl$|\.tar\.gz$|\.zip$/.test(p)) };
  }
  if (
    tool === 'npm' &&
    (argv[1] === 'install' || argv[1] === 'i' || argv[1] === 'add') &&
    (argv.includes('-g') || argv.includes('--global'))
  ) {
    const pkgs = operands(argv, 2, NONE);
    return { tool, packages: pkgs.filter(isUnpinnedNpmSpec) };
  }
  return undefined;
}

export const unpinnedVersions = dockerfileRule(
  {
    id: 'PAL-DF-007',
    severity: 'LOW',
    title: 'Package installed without a pinned version',
    rationale:
      'Unpinned installs make every build pull whatever is newest, so images differ between builds and may pick up a broken or malicious release.',
    remediation:
      'Pin versions: apt-get install pkg=1.2.3-1, apk add pkg=1.2.3-r0, pip install pkg==1.2.3, npm install -g pkg@1.2.3.',
    references: [`${DOCKERFILE_REF}#apt-get`, 'https://github.com/hadolint/hadolint/wiki/DL3008'],
    frameworks: {},
  },
  (df) =>
    runCommands(df).flatMap(({ instruction, commands }): DockerIssue[] =>
      commands.flatMap((c) => {
        const found = unpinnedPackages(c.argv);
        return found && found.packages.length > 0
          ? [{ instruction, detail: `${found.tool} installs ${found.packages.join(', ')} without a version` }]
          : [];
      }),
    ),
);

function isAptInstall(argv: readonly string[]): boolean {
  const a = effectiveArgv(argv);
  return (a[0] === 'apt-get' || a[0] === 'apt') && a.includes('install');
}

export const aptInstallRecommends = dockerfileRule(
  {
    id: 'PAL-DF-008',
    severity: 'LOW',
    title: 'apt-get install without --no-install-recommends',
    rationale: 'Recommended packages add size and attack surface the application does not need.',
    remediation: 'Use apt-get install --no-install-recommends.',
    references: [`${DOCKERFILE_REF}#apt-get`, 'https://github.com/hadolint/hadolint/wiki/DL3015'],
    frameworks: {},
  },
  (df) =>
    runCommands(df).flatMap(({ instruction, commands }) =>
      commands.some(
        (c) =>
          isAptInstall(c.argv) &&
          !c.argv.includes('--no-install-recommends') &&
          !c.argv.some((a) => /APT::Install-Recommends=(false|0)/i.test(a)),
      )
        ? [{ instruction, detail: 'apt-get install without --no-install-recommends' }]
        : [],
    ),
);

export const aptListsKept = dockerfileRule(
  {
    id: 'PAL-DF-009',
    severity: 'LOW',
    title: 'apt lists not removed after install',
    rationale: 'Package lists left in the layer add tens of megabytes and stale metadata to the image.',
    remediation: 'End the same RUN with "&& rm -rf /var/lib/apt/lists/*" (or use a cache mount for /var/lib/apt).',
    references: [`${DOCKERFILE_REF}#apt-get`, 'https://github.com/hadolint/hadolint/wiki/DL3009'],
    frameworks: {},
  },
  (df) =>
    runCommands(df).flatMap(({ instruction, commands }) => {
      if (!commands.some((c) => isAptInstall(c.argv))) return [];
      if ((instruction.flags.mount ?? '').includes('/var/lib/apt')) return [];
      const cleaned = commands.some((c) => {
        const a = effectiveArgv(c.argv);
        return a[0] === 'rm' && a.some((x) => x.startsWith('/var/lib/apt/lists'));
      });
      return cleaned
        ? []
        : [{ instruction, detail: 'apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN' }];
    }),
);
