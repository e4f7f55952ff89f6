// Gives OS packages their final ecosystem and purl once the OS is known: the same dpkg database
// means Debian or Ubuntu, the same rpmdb means Red Hat, AlmaLinux, SUSE … depending on os-release.

import type { Ecosystem, OsFamily, OsInfo, Package } from '@palisade/core';
import type { PackageSet } from '../types.js';
import { type OsPurlType, osPackagePurl } from './os-purl.js';

interface OsPackageIdentity {
  ecosystem: Ecosystem;
  /** purl namespace: the distro, as Trivy and the purl spec examples write it. */
  namespace: string;
  /** The purl `distro` qualifier, or undefined when the OS version is unknown. */
  distro: (version: string) => string;
}

const DEB: Partial<Record<OsFamily, OsPackageIdentity>> = {
  ubuntu: { ecosystem: 'Ubuntu', namespace: 'ubuntu', distro: (v) => `ubuntu-${v}` },
};
const DEB_DEFAULT: OsPackageIdentity = { ecosystem: 'Debian', namespace: 'debian', distro: (v) => `debian-${v}` };

// apk's distro qualifier is the bare release ("3.19.1"), as Trivy writes it.
const APK: Partial<Record<OsFamily, OsPackageIdentity>> = {
  wolfi: { ecosystem: 'Wolfi', namespace: 'wolfi', distro: (v) => v },
  chainguard: { ecosystem: 'Chainguard', namespace: 'chainguard', distro: (v) => v },
};
const APK_DEFAULT: OsPackageIdentity = { ecosystem: 'Alpine', namespace: 'alpine', distro: (v) => v };

// CentOS, Fedora and Oracle Linux have no OSV ecosystem of their own; their packages are matched
// as the RHEL family they belong to, while the purl keeps the real distro.
const rpm = (ecosystem: Ecosystem, namespace: string): OsPackageIdentity => ({
  ecosystem,
  namespace,
  distro: (v) => `${namespace}-${v}`,
});
const RPM: Partial<Record<OsFamily, OsPackageIdentity>> = {
  redhat: rpm('Red Hat', 'redhat'),
  centos: rpm('Red Hat', 'centos'),
  fedora: rpm('Red Hat', 'fedora'),
  oracle: rpm('Red Hat', 'oracle'),
  rocky: rpm('Rocky Linux', 'rocky'),
  alma: rpm('AlmaLinux', 'almalinux'),
  amazon: rpm('Amazon Linux', 'amazon'),
  opensuse: rpm('openSUSE', 'opensuse'),
  sles: rpm('SUSE', 'suse'),
  photon: rpm('Photon OS', 'photon'),
};
const RPM_DEFAULT = rpm('Red Hat', 'redhat');

const BY_TYPE: Record<string, { purlType: OsPurlType; table: typeof RPM; fallback: OsPackageIdentity }> = {
  dpkg: { purlType: 'deb', table: DEB, fallback: DEB_DEFAULT },
  apk: { purlType: 'apk', table: APK, fallback: APK_DEFAULT },
  rpm: { purlType: 'rpm', table: RPM, fallback: RPM_DEFAULT },
};

/**
 * Sets each OS package's ecosystem and purl from the OS identity. Sets that are not OS packages
 * (or of an unknown type) come back unchanged; without an OS the analyzers' defaults stay
 * (Debian, Alpine, Red Hat) but the purl loses no information it had.
 */
export function finalizeOsPackages(set: PackageSet, os: OsInfo | undefined): PackageSet {
  const kind = set.class === 'os-pkgs' ? BY_TYPE[set.type] : undefined;
  if (!kind) return set;
  const id = (os && kind.table[os.family]) ?? kind.fallback;
  const distro = os?.version ? id.distro(os.version) : undefined;
  const packages = set.packages.map(
    (p): Package => ({
      ...p,
      ecosystem: id.ecosystem,
      purl: osPackagePurl(kind.purlType, id.namespace, p, distro),
    }),
  );
  return { ...set, packages };
}
