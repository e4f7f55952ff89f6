// Maps a purl to the Package it names: purl type (and, for distro packages, namespace) → OSV
// ecosystem, and the package name as that ecosystem's advisories spell it.

import { type Ecosystem, type OsFamily, type Package, type PurlParts, parsePurl } from '@palisade/core';

const LANGUAGE_ECOSYSTEMS: Record<string, Ecosystem> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  cargo: 'crates.io',
  maven: 'Maven',
  gem: 'RubyGems',
  composer: 'Packagist',
  nuget: 'NuGet',
  pub: 'Pub',
  cran: 'CRAN',
  hackage: 'Hackage',
};

// Distro packages: purl namespace → ecosystem (keys lower case).
const DISTRO_ECOSYSTEMS: Record<string, Record<string, Ecosystem>> = {
  deb: { debian: 'Debian', ubuntu: 'Ubuntu' },
  apk: { alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard' },
  rpm: {
    redhat: 'Red Hat',
    rhel: 'Red Hat',
    almalinux: 'AlmaLinux',
    alma: 'AlmaLinux',
    rocky: 'Rocky Linux',
    rockylinux: 'Rocky Linux',
    'rocky-linux': 'Rocky Linux',
    amazon: 'Amazon Linux',
    amzn: 'Amazon Linux',
    opensuse: 'openSUSE',
    suse: 'SUSE',
    sles: 'SUSE',
    photon: 'Photon OS',
    // No OSV ecosystem of their own: matched as the RHEL family, as the rpm analyzer does.
    centos: 'Red Hat',
    fedora: 'Red Hat',
    oracle: 'Red Hat',
  },
};

const OS_FAMILIES: Record<string, OsFamily> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  redhat: 'redhat',
  rhel: 'redhat',
  'red hat enterprise linux': 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  rockylinux: 'rocky',
  'rocky linux': 'rocky',
  alma: 'alma',
  almalinux: 'alma',
  fedora: 'fedora',
  oracle: 'oracle',
  ol: 'oracle',
  amazon: 'amazon',
  amzn: 'amazon',
  'amazon linux': 'amazon',
  opensuse: 'opensuse',
  'opensuse-leap': 'opensuse',
  sles: 'sles',
  suse: 'sles',
  photon: 'photon',
  distroless: 'distroless',
};

export function osFamilyFromName(name: string): OsFamily {
  return OS_FAMILIES[name.trim().toLowerCase()] ?? 'unknown';
}

export function isOsPurlType(type: string): boolean {
  return type in DISTRO_ECOSYSTEMS;
}

export function ecosystemOfPurl(p: PurlParts): Ecosystem | undefined {
  const type = p.type.toLowerCase();
  const distro = DISTRO_ECOSYSTEMS[type];
  if (distro) return distro[(p.namespace ?? '').toLowerCase()];
  return LANGUAGE_ECOSYSTEMS[type];
}

/** The name advisories use: "@scope/name", "group:artifact", "module/path", "vendor/name". */
export function packageNameOfPurl(p: PurlParts): string {
  if (!p.namespace) return p.name;
  switch (p.type.toLowerCase()) {
    case 'maven':
      return `${p.namespace}:${p.name}`;
    case 'npm':
    case 'golang':
    case 'composer':
      return `${p.namespace}/${p.name}`;
    default:
      return p.name;
  }
}

/** The OS a distro purl's `distro` qualifier names: "debian-12.5", "alpine-3.19.1", or only "3.19.1". */
export function osOfPurl(p: PurlParts): { family: OsFamily; version: string } | undefined {
  const distro = p.qualifiers?.distro;
  if (!distro || !isOsPurlType(p.type)) return undefined;
  const m = /^(.*?)-(\d[\w.~+-]*)$/.exec(distro);
  if (m) return { family: osFamilyFromName(m[1]!), version: m[2]! };
  if (/^\d/.test(distro)) return { family: osFamilyFromName(p.namespace ?? ''), version: distro };
  return undefined;
}

/**
 * A Package from a purl, or undefined when the purl is malformed or names an ecosystem advisories
 * do not cover. `version` overrides the purl's own (SBOMs give both; the field is authoritative).
 */
export function packageFromPurl(purl: string, version?: string): Package | undefined {
  let p: PurlParts;
  try {
    p = parsePurl(purl);
  } catch {
    return undefined;
  }
  return packageFromPurlParts(p, purl, version);
}

/** As packageFromPurl, for a purl already parsed. */
export function packageFromPurlParts(p: PurlParts, purl: string, version?: string): Package | undefined {
  const ecosystem = ecosystemOfPurl(p);
  // Distro purls carry the epoch as a qualifier; versions as matched carry it as "epoch:".
  const epoch = p.qualifiers?.epoch;
  const purlVersion =
    p.version && epoch && epoch !== '0' && !p.version.includes(':') ? `${epoch}:${p.version}` : p.version;
  const v = version ?? purlVersion;
  if (!ecosystem || !v) return undefined;
  const pkg: Package = { name: packageNameOfPurl(p), version: v, ecosystem, purl };
  if (p.qualifiers?.arch) pkg.arch = p.qualifiers.arch;
  // Syft and others name the source package in `upstream` ("openssl" or "openssl@3.0.11-1").
  const upstream = p.qualifiers?.upstream;
  if (upstream && isOsPurlType(p.type)) {
    const [src, srcVersion] = upstream.replace(/\.src\.rpm$/, '').split('@') as [string, string | undefined];
    pkg.srcName = src;
    if (srcVersion) pkg.srcVersion = srcVersion;
  }
  return pkg;
}
