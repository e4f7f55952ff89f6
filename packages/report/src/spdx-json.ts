// The `spdx-json` format: an SPDX 2.3 JSON document — the artifact as root package, the OS and
// each lockfile as packages it CONTAINS, every package with its purl and palisade:* annotations.

import { createHash, randomUUID } from 'node:crypto';
import type { Package, ScanReport, ScanResult } from '@palisade/core';
import { artifactPurl, isSpdxLicenseId, packageProperties } from './sbom-properties.js';
import { DEFAULT_TOOL_VERSION, TOOL_NAME, type WriterOptions } from './writer.js';

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  primaryPackagePurpose?: string;
  sourceInfo?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  annotations?: { annotationDate: string; annotationType: 'OTHER'; annotator: string; comment: string }[];
}

interface Relationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS';
  relatedSpdxElement: string;
}

export function writeSpdxJson(report: ScanReport, opts: WriterOptions): string {
  const toolVersion = opts.toolVersion ?? DEFAULT_TOOL_VERSION;
  const created = spdxTimestamp(report.createdAt);
  const annotator = `Tool: ${TOOL_NAME}-${toolVersion}`;
  const artifact = report.artifact;
  const packages: SpdxPackage[] = [];
  const relationships: Relationship[] = [];
  const extracted = new Map<string, string>();
  const usedIds = new Set<string>();

  // SPDX ids allow only letters, digits, '.' and '-'; a short hash keeps them unique and stable.
  const spdxId = (kind: string, key: string): string => {
    const base = `SPDXRef-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  };
  const bare = (id: string, name: string): SpdxPackage => ({
    SPDXID: id,
    name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
  });

  const rootId = spdxId(artifact.type === 'image' ? 'ContainerImage' : 'Application', artifact.name);
  const root = bare(rootId, artifact.name);
  root.primaryPackagePurpose =
    artifact.type === 'image' ? 'CONTAINER' : artifact.type === 'rootfs' ? 'FILE' : 'APPLICATION';
  const rootPurl = artifactPurl(artifact);
  if (rootPurl) {
    root.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: rootPurl }];
    root.versionInfo = rootPurl.split('@')[1]?.split('?')[0]?.replace('%3A', ':');
  }
  root.annotations = [annotation(created, annotator, 'palisade:artifact:type', artifact.type)];
  packages.push(root);
  relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId });

  let osId: string | undefined;
  if (artifact.os) {
    osId = spdxId('OperatingSystem', `${artifact.os.family}@${artifact.os.version}`);
    const os = bare(osId, artifact.os.family);
    os.versionInfo = artifact.os.version;
    os.primaryPackagePurpose = 'OPERATING-SYSTEM';
    packages.push(os);
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }

  const seen = new Map<string, string>();
  const addPackage = (pkg: Package, result: ScanResult): string => {
    const key = `${pkg.purl}\u0000${pkg.filePath ?? result.target}`;
    const known = seen.get(key);
    if (known) return known;
    const id = spdxId('Package', key);
    seen.set(key, id);
    const p = bare(id, pkg.name);
    p.versionInfo = pkg.version;
    p.primaryPackagePurpose = 'LIBRARY';
    const declared = licenseExpression(pkg.licenses ?? [], extracted);
    if (declared) p.licenseDeclared = declared;
    if (pkg.srcName) p.sourceInfo = `built package from: ${pkg.srcName} ${pkg.srcVersion ?? ''}`.trim();
    p.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }];
    p.annotations = packageProperties(pkg, result).map((prop) => annotation(created, annotator, prop.name, prop.value));
    packages.push(p);
    return id;
  };

  const appIds = new Map<string, string>();
  for (const result of report.results) {
    if (result.packages.length === 0 && !result.findings.some((f) => f.package)) continue;
    let parent: string;
    if (result.class === 'os-pkgs') {
      parent = osId ?? rootId;
    } else {
      const key = `${result.type}:${result.target}`;
      let appId = appIds.get(key);
      if (!appId) {
        appId = spdxId('Application', key);
        appIds.set(key, appId);
        const app = bare(appId, result.target);
        app.primaryPackagePurpose = 'APPLICATION';
        app.annotations = [
          annotation(created, annotator, 'palisade:class', result.class),
          annotation(created, annotator, 'palisade:type', result.type),
        ];
        packages.push(app);
        relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: appId });
      }
      parent = appId;
    }
    const children = new Set<string>();
    for (const pkg of result.packages) children.add(addPackage(pkg, result));
    for (const f of result.findings) if (f.package) children.add(addPackage(f.package, result));
    for (const child of children)
      relationships.push({ spdxElementId: parent, relationshipType: 'CONTAINS', relatedSpdxElement: child });
  }

  const slug = artifact.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'artifact';
  const doc: Record<string, unknown> = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: artifact.name,
    documentNamespace: `https://palisade.dev/spdx/${slug}-${randomUUID()}`,
    creationInfo: {
      created,
      creators: [`Organization: Palisade`, annotator],
    },
    packages,
    relationships,
  };
  if (extracted.size > 0) {
    doc.hasExtractedLicensingInfos = [...extracted].map(([licenseId, name]) => ({
      licenseId,
      name,
      extractedText: name,
    }));
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function annotation(date: string, annotator: string, name: string, value: string) {
  return { annotationDate: date, annotationType: 'OTHER' as const, annotator, comment: `${name}: ${value}` };
}

/** SPDX ids join with AND; anything else becomes a LicenseRef with its text listed once. */
function licenseExpression(licenses: string[], extracted: Map<string, string>): string | undefined {
  const parts: string[] = [];
  for (const raw of new Set(licenses.map((l) => l.trim()).filter(Boolean))) {
    if (isSpdxLicenseId(raw)) {
      parts.push(raw);
      continue;
    }
    const ref = `LicenseRef-${createHash('sha256').update(raw).digest('hex').slice(0, 12)}`;
    extracted.set(ref, raw);
    parts.push(ref);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** SPDX wants whole seconds in UTC: YYYY-MM-DDThh:mm:ssZ. */
function spdxTimestamp(value: string): string {
  const t = Date.parse(value);
  return new Date(Number.isNaN(t) ? Date.now() : t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
