// The operating system identity of a scanned artifact, read from os-release and friends.

export type OsFamily =
  | 'debian'
  | 'ubuntu'
  | 'alpine'
  | 'wolfi'
  | 'chainguard'
  | 'redhat'
  | 'centos'
  | 'rocky'
  | 'alma'
  | 'fedora'
  | 'oracle'
  | 'amazon'
  | 'opensuse'
  | 'sles'
  | 'photon'
  | 'distroless'
  | 'unknown';

export interface OsInfo {
  family: OsFamily;
  /** Full version as the distro prints it, e.g. "12.5", "3.19.1", "9.3". */
  version: string;
  /** Human name, e.g. "Debian GNU/Linux 12 (bookworm)". */
  name?: string;
  codename?: string;
  /** True when the base is a Google distroless image (dpkg status.d, no shell). */
  distroless?: boolean;
  /** The OS has reached end of life according to the distro's published dates. */
  eol?: boolean;
}
