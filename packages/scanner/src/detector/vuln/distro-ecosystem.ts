// Which OSV ecosystem release an installed OS package is matched in, and whether the distro files
// advisories under source package names (Debian, Ubuntu, Alpine) or binary names (the RPM distros).

import type { Ecosystem, OsInfo } from '@palisade/core';

/** Distros whose OSV data names source packages; every other distro names binary packages. */
const BY_SOURCE_NAME = new Set<string>(['Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard', 'MinimOS', 'Alpaquita']);

export function matchesBySourceName(ecosystem: string): boolean {
  return BY_SOURCE_NAME.has(ecosystem);
}

function versionParts(version: string): number[] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!m) return [];
  return m.slice(1).flatMap((p) => (p === undefined ? [] : [Number(p)]));
}

/** Ubuntu LTS releases are the even years' April releases ("22.04"). */
function isUbuntuLts(major: number, minor: number): boolean {
  return major % 2 === 0 && minor === 4;
}

/**
 * The ecosystem key (see vulndb/osv-keys.ts) that OS packages of `ecosystem` on `os` are looked up
 * under: "Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19", "AlmaLinux:9", "Red Hat:9", "SUSE:15.5",
 * "Wolfi". Undefined when the release cannot be told from the OS version.
 */
export function distroEcosystemKey(ecosystem: Ecosystem | string, os: OsInfo | undefined): string | undefined {
  if (ecosystem === 'Wolfi' || ecosystem === 'Chainguard' || ecosystem === 'MinimOS') return ecosystem;
  if (!os) return undefined;
  const [major, minor] = versionParts(os.version);
  if (major === undefined) return undefined;
  switch (ecosystem) {
    case 'Debian':
      return `Debian:${major}`;
    case 'Ubuntu': {
      if (minor === undefined) return undefined;
      const release = `${major}.${String(minor).padStart(2, '0')}`;
      return isUbuntuLts(major, minor) ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
    }
    case 'Alpine':
      return minor === undefined ? undefined : `Alpine:v${major}.${minor}`;
    case 'AlmaLinux':
    case 'Rocky Linux':
    case 'Red Hat':
    case 'Amazon Linux':
      return `${ecosystem}:${major}`;
    case 'SUSE':
      return `SUSE:${major}.${minor ?? 0}`;
    case 'openSUSE':
      if (/tumbleweed/i.test(`${os.name ?? ''} ${os.version}`)) return 'openSUSE:Tumbleweed';
      return minor === undefined ? undefined : `openSUSE:Leap ${major}.${minor}`;
    case 'Photon OS':
      return `Photon OS:${major}.0`;
    default:
      return undefined;
  }
}
