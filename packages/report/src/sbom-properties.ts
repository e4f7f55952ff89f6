// Facts shared by the SBOM writers (CycloneDX, SPDX): the property names Palisade adds to each
// package, the root artifact's identity, and which license strings are SPDX ids.
// The SBOM reader in @palisade/scanner reads the same property names back; change both together.

import { type ArtifactInfo, formatPurl, type Package, type ScanResult } from '@palisade/core';
import spdxLicenseIds from 'spdx-license-ids/index.json' with { type: 'json' };

const SPDX_IDS = new Set<string>(spdxLicenseIds as string[]);

export function isSpdxLicenseId(id: string): boolean {
  return SPDX_IDS.has(id);
}

/** `palisade:*` name/value pairs describing where a package came from. */
export function packageProperties(pkg: Package, result: ScanResult): { name: string; value: string }[] {
  const props: [string, string | undefined][] = [
    ['palisade:class', result.class],
    ['palisade:type', result.type],
    ['palisade:file', pkg.filePath ?? result.target],
    ['palisade:srcName', pkg.srcName],
    ['palisade:srcVersion', pkg.srcVersion],
    ['palisade:arch', pkg.arch],
    ['palisade:dev', pkg.dev ? 'true' : undefined],
    ['palisade:layer:index', pkg.layer ? String(pkg.layer.index) : undefined],
    ['palisade:layer:digest', pkg.layer?.digest],
    ['palisade:layer:diffId', pkg.layer?.diffId],
  ];
  return props.filter((p): p is [string, string] => p[1] !== undefined).map(([name, value]) => ({ name, value }));
}

/** The image's purl (pkg:oci) when it has a digest; undefined for other artifacts. */
export function artifactPurl(artifact: ArtifactInfo): string | undefined {
  const image = artifact.image;
  const repoDigest = image?.repoDigests?.[0];
  const digest = repoDigest?.split('@')[1] ?? image?.id;
  if (!digest) return undefined;
  const repository = (repoDigest?.split('@')[0] ?? artifact.name.split(/[:@]/)[0] ?? artifact.name).toLowerCase();
  const name = repository.split('/').pop() || 'image';
  const qualifiers: Record<string, string> = { repository_url: repository };
  if (image?.architecture) qualifiers.arch = image.architecture;
  return formatPurl({ type: 'oci', name, version: digest, qualifiers });
}
