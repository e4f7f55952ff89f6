// Groups the packages an SBOM lists into PackageSets the way a scan would have: OS packages by
// their database file, language packages by lockfile, using palisade:* properties when present.

import { type OsInfo, type Package, type PurlParts, parsePurl } from '@palisade/core';
import type { PackageSet } from '../../analyzer/types.js';
import { isOsPurlType, osOfPurl, packageFromPurlParts } from './purl-ecosystem.js';

/** One package entry as an SBOM states it, before mapping. */
export interface SbomEntry {
  purl: string;
  version?: string;
  licenses: string[];
  /** palisade:* (and compatible) name → value pairs from CycloneDX properties or SPDX annotations. */
  properties: Map<string, string>;
}

const DEFAULT_OS_TYPE: Record<string, string> = { deb: 'dpkg', apk: 'apk', rpm: 'rpm' };

export interface GroupedPackages {
  packageSets: PackageSet[];
  /** The OS named by the distro packages' purls, when the SBOM has no OS component. */
  osFromPurls?: OsInfo;
  skipped: number;
}

export function groupPackages(entries: SbomEntry[], sbomFile: string): GroupedPackages {
  const sets = new Map<string, PackageSet>();
  let osFromPurls: OsInfo | undefined;
  let skipped = 0;
  for (const entry of entries) {
    let parts: PurlParts;
    try {
      parts = parsePurl(entry.purl);
    } catch {
      skipped++;
      continue;
    }
    const pkg = packageFromPurlParts(parts, entry.purl, entry.version);
    if (!pkg) {
      skipped++;
      continue;
    }
    const purlType = parts.type.toLowerCase();
    applyProperties(pkg, entry);
    const isOs = entry.properties.get('palisade:class') === 'os-pkgs' || isOsPurlType(purlType);
    if (isOs && !osFromPurls) {
      const os = osOfPurl(parts);
      if (os) osFromPurls = os;
    }
    const cls = isOs ? 'os-pkgs' : 'lang-pkgs';
    const type = entry.properties.get('palisade:type') ?? (isOs ? (DEFAULT_OS_TYPE[purlType] ?? purlType) : purlType);
    const filePath = entry.properties.get('palisade:file') ?? sbomFile;
    const key = `${cls}\u0000${type}\u0000${filePath}`;
    let set = sets.get(key);
    if (!set) {
      set = { class: cls, type, filePath, packages: [] };
      sets.set(key, set);
    }
    set.packages.push(pkg);
  }
  const out: GroupedPackages = { packageSets: [...sets.values()], skipped };
  if (osFromPurls) out.osFromPurls = osFromPurls;
  return out;
}

function applyProperties(pkg: Package, entry: SbomEntry): void {
  const props = entry.properties;
  const get = (...names: string[]) => {
    for (const n of names) {
      const v = props.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const srcName = get('palisade:srcName', 'aquasecurity:trivy:SrcName');
  if (srcName) pkg.srcName = srcName;
  const srcVersion = get('palisade:srcVersion', 'aquasecurity:trivy:SrcVersion');
  if (srcVersion) pkg.srcVersion = srcVersion;
  const arch = get('palisade:arch');
  if (arch) pkg.arch = arch;
  if (entry.licenses.length > 0) pkg.licenses = entry.licenses;
  if (get('palisade:dev') === 'true') pkg.dev = true;
  const file = get('palisade:file', 'aquasecurity:trivy:FilePath');
  if (file) pkg.filePath = file;
  const layerIndex = Number(get('palisade:layer:index'));
  const digest = get('palisade:layer:digest', 'aquasecurity:trivy:LayerDigest');
  const diffId = get('palisade:layer:diffId', 'aquasecurity:trivy:LayerDiffID');
  if (Number.isInteger(layerIndex) || digest || diffId) {
    pkg.layer = { index: Number.isInteger(layerIndex) ? layerIndex : -1 };
    if (digest) pkg.layer.digest = digest;
    if (diffId) pkg.layer.diffId = diffId;
  }
}
