// A software package found in an artifact, identified by its purl. Ecosystem names are OSV's
// (https://ossf.github.io/osv-schema/#affectedpackage-field) so matching needs no translation.

import { PackageURL } from 'packageurl-js';

/** OSV ecosystem names, without the ":release" suffix that distro ecosystems take. */
export type Ecosystem =
  | 'Debian'
  | 'Ubuntu'
  | 'Alpine'
  | 'Wolfi'
  | 'Chainguard'
  | 'AlmaLinux'
  | 'Rocky Linux'
  | 'Red Hat'
  | 'openSUSE'
  | 'SUSE'
  | 'Amazon Linux'
  | 'Photon OS'
  | 'npm'
  | 'PyPI'
  | 'Go'
  | 'crates.io'
  | 'Maven'
  | 'RubyGems'
  | 'Packagist'
  | 'NuGet'
  | 'Pub'
  | 'CRAN'
  | 'Hackage';

/** Where a package (or any finding) came from inside a layered artifact. */
export interface LayerRef {
  /** 0-based position in the image's layer list. */
  index: number;
  /** Digest of the layer blob as stored (compressed), when known. */
  digest?: string;
  /** Digest of the uncompressed layer tar (the image config's diff_id). */
  diffId?: string;
  /** The Dockerfile instruction that made the layer, from the image history. */
  createdBy?: string;
}

export interface Package {
  name: string;
  version: string;
  ecosystem: Ecosystem;
  purl: string;
  /** Distro packages: the source package that advisories are filed against. */
  srcName?: string;
  srcVersion?: string;
  arch?: string;
  licenses?: string[];
  /** Dependency only needed for development (npm devDependencies, poetry dev group …). */
  dev?: boolean;
  /** Path of the file the package was read from (lockfile, status db, binary), relative to the artifact root. */
  filePath?: string;
  layer?: LayerRef;
}

export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string>;
  subpath?: string;
}

export function formatPurl(p: PurlParts): string {
  return new PackageURL(p.type, p.namespace, p.name, p.version, p.qualifiers, p.subpath).toString();
}

export function parsePurl(purl: string): PurlParts {
  const u = PackageURL.fromString(purl);
  const out: PurlParts = { type: u.type, name: u.name };
  if (u.namespace) out.namespace = u.namespace;
  if (u.version) out.version = u.version;
  if (u.qualifiers) out.qualifiers = { ...u.qualifiers } as Record<string, string>;
  if (u.subpath) out.subpath = u.subpath;
  return out;
}
