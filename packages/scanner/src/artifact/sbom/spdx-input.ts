// Reads an SPDX 2.2/2.3 JSON document into an ArtifactAnalysis: every package with a purl external
// reference becomes a package; the OS comes from the OPERATING-SYSTEM package or distro purls.

import { InputError, type OsInfo } from '@palisade/core';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { isObject, type JsonObject, objects, str } from './json-shape.js';
import { groupPackages, type SbomEntry } from './package-sets.js';
import { osFamilyFromName } from './purl-ecosystem.js';

const SUPPORTED = new Set(['SPDX-2.2', 'SPDX-2.3']);

export function isSpdxJson(doc: unknown): doc is JsonObject {
  return isObject(doc) && typeof doc.spdxVersion === 'string' && doc.spdxVersion.startsWith('SPDX-');
}

export function readSpdx(doc: JsonObject, file: string, sbomName: string): ArtifactAnalysis {
  const version = String(doc.spdxVersion);
  if (!SUPPORTED.has(version))
    throw new InputError(`${file}: unsupported SPDX version "${version}" (expected SPDX-2.2 or SPDX-2.3)`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) {
    throw new InputError(`${file}: SPDX "packages" must be an array`);
  }
  const extracted = new Map<string, string>();
  for (const e of objects(doc.hasExtractedLicensingInfos)) {
    const id = str(e.licenseId);
    const name = str(e.name) ?? str(e.extractedText);
    if (id && name) extracted.set(id, name);
  }
  const entries: SbomEntry[] = [];
  let os: OsInfo | undefined;
  const packages = objects(doc.packages);
  // The described package is the artifact itself (an image's pkg:oci purl), not one of its packages.
  const describedId = objects(doc.relationships).find(
    (r) => r.relationshipType === 'DESCRIBES' && r.spdxElementId === 'SPDXRef-DOCUMENT',
  )?.relatedSpdxElement;
  for (const p of packages) {
    if (describedId !== undefined && p.SPDXID === describedId) continue;
    if (p.primaryPackagePurpose === 'OPERATING-SYSTEM' && !os) {
      const name = str(p.name);
      if (name) os = { family: osFamilyFromName(name), version: str(p.versionInfo) ?? '' };
      continue;
    }
    const purl = objects(p.externalRefs).find(
      (r) => r.referenceType === 'purl' && /^PACKAGE[-_]MANAGER$/.test(String(r.referenceCategory)),
    );
    const locator = str(purl?.referenceLocator);
    if (!locator) continue;
    const entry: SbomEntry = { purl: locator, licenses: licensesOf(p, extracted), properties: new Map() };
    const v = str(p.versionInfo);
    if (v) entry.version = v;
    for (const a of objects(p.annotations)) {
      const comment = str(a.comment);
      const m = comment ? /^([\w:.-]+): (.*)$/s.exec(comment) : null;
      if (m && !entry.properties.has(m[1]!)) entry.properties.set(m[1]!, m[2]!);
    }
    entries.push(entry);
  }
  const warnings: string[] = [];
  const grouped = groupPackages(entries, sbomName);
  if (grouped.skipped > 0)
    warnings.push(`${file}: ${grouped.skipped} package(s) with a purl of no supported ecosystem were skipped`);
  const root = packages.find((p) => p.SPDXID === describedId);
  const artifactOs = os ?? grouped.osFromPurls;
  return {
    artifact: {
      name: str(root?.name) ?? str(doc.name) ?? sbomName,
      type: 'sbom',
      ...(artifactOs ? { os: artifactOs } : {}),
    },
    packageSets: grouped.packageSets,
    warnings,
  };
}

/** Declared licenses (concluded when none declared), split on AND, LicenseRefs resolved to their names. */
function licensesOf(p: JsonObject, extracted: Map<string, string>): string[] {
  const expr = [str(p.licenseDeclared), str(p.licenseConcluded)].find((l) => l && l !== 'NOASSERTION' && l !== 'NONE');
  if (!expr) return [];
  if (/ OR | WITH |\(/.test(expr)) return [expr];
  return expr.split(' AND ').map((l) => extracted.get(l.trim()) ?? l.trim());
}
