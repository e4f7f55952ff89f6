// How OSV ecosystems and package names become lookup keys. Import and matching both go through
// these two functions, so a name written either way on either side meets in the index.

/** Ecosystems whose ":suffix" names a distro release (kept in the key); for the rest it is dropped. */
const RELEASE_ECOSYSTEMS = new Set([
  'AlmaLinux',
  'Alpine',
  'Alpaquita',
  'Amazon Linux',
  'Azure Linux',
  'BellSoft Hardened Containers',
  'Chainguard',
  'Debian',
  'Mageia',
  'MinimOS',
  'openEuler',
  'openSUSE',
  'Photon OS',
  'Red Hat',
  'Rocky Linux',
  'SUSE',
  'Ubuntu',
  'Wolfi',
]);

/**
 * The index key of an OSV ecosystem string. Distro releases are kept ("Debian:12", "Alpine:v3.19",
 * "Ubuntu:22.04:LTS"); Red Hat's product streams ("Red Hat:enterprise_linux:9::appstream") fold into
 * one key per major release ("Red Hat:9") because an installed RPM does not say which stream it came from;
 * SUSE's products fold into one key per service pack ("SUSE:15.5") for the same reason.
 */
export function ecosystemKey(osvEcosystem: string): string {
  const eco = osvEcosystem.trim();
  const colon = eco.indexOf(':');
  const base = colon < 0 ? eco : eco.slice(0, colon);
  if (!RELEASE_ECOSYSTEMS.has(base)) return base;
  if (base === 'Red Hat') {
    const m = /^Red Hat:enterprise_linux:(\d+)(?:[.:]|$)/.exec(eco);
    if (m) return `Red Hat:${m[1]}`;
  }
  if (base === 'SUSE') {
    // "SUSE:Linux Enterprise Server 15 SP5", "…Module for Basesystem 15 SP5": one key per service pack.
    const m = /^SUSE:Linux Enterprise .* (\d+)(?: SP(\d+))?$/.exec(eco);
    if (m) return `SUSE:${m[1]}.${m[2] ?? 0}`;
  }
  return eco;
}

/** The ecosystem without its release suffix: "Debian:12" → "Debian". */
export function ecosystemBase(osvEcosystem: string): string {
  const colon = osvEcosystem.indexOf(':');
  return (colon < 0 ? osvEcosystem : osvEcosystem.slice(0, colon)).trim();
}

/** Ecosystems whose registries treat names case-insensitively. */
const CASE_INSENSITIVE = new Set(['NuGet', 'Packagist', 'Pub', 'Hex']);

/**
 * The index key of a package name in an ecosystem: PyPI names PEP 503-normalised, Maven as
 * "group:artifact" (a purl-style "group/artifact" is converted), case folded where the registry ignores case.
 */
export function packageKey(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  const n = name.trim();
  switch (base) {
    case 'PyPI':
      return n.toLowerCase().replace(/[-_.]+/g, '-');
    case 'Maven':
      return n.includes(':') ? n : n.replace('/', ':');
    default:
      return CASE_INSENSITIVE.has(base) ? n.toLowerCase() : n;
  }
}
