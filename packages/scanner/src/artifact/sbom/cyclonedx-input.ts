// Reads a CycloneDX JSON BOM (1.2–1.6) into an ArtifactAnalysis: every component with a purl
// becomes a package; the OS comes from the operating-system component.

import { InputError, type OsInfo } from '@palisade/core';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { isObject, type JsonObject, objects, str } from './json-shape.js';
import { groupPackages, type SbomEntry } from './package-sets.js';
import { osFamilyFromName } from './purl-ecosystem.js';

const SUPPORTED = /^1\.[2-6]$/;

export function isCycloneDxJson(doc: unknown): doc is JsonObject {
  return isObject(doc) && doc.bomFormat === 'CycloneDX';
}

/** Every component, nested ones included (CycloneDX allows components inside components). */
export function flattenComponents(doc: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const stack = [...objects(doc.components)];
  const meta = isObject(doc.metadata) && isObject(doc.metadata.component) ? doc.metadata.component : undefined;
  if (meta) stack.push(...objects(meta.components));
  // Iterative so that a deeply nested document cannot overflow the stack.
  while (stack.length > 0) {
    const c = stack.pop()!;
    out.push(c);
    stack.push(...objects(c.components));
  }
  return out.reverse();
}

export function readCycloneDx(doc: JsonObject, file: string, sbomName: string): ArtifactAnalysis {
  const spec = str(doc.specVersion);
  if (!spec || !SUPPORTED.test(spec)) {
    throw new InputError(
      `${file}: unsupported CycloneDX specVersion ${JSON.stringify(doc.specVersion)} (expected 1.2 to 1.6)`,
    );
  }
  if (doc.components !== undefined && !Array.isArray(doc.components)) {
    throw new InputError(`${file}: CycloneDX "components" must be an array`);
  }
  const warnings: string[] = [];
  const entries: SbomEntry[] = [];
  let os: OsInfo | undefined;
  for (const c of flattenComponents(doc)) {
    if (c.type === 'operating-system' && !os) {
      const name = str(c.name);
      if (name) os = { family: osFamilyFromName(name), version: str(c.version) ?? '' };
      const description = str(c.description);
      if (os && description) os.name = description;
      continue;
    }
    const purl = str(c.purl);
    if (!purl) continue;
    const entry: SbomEntry = { purl, licenses: licensesOf(c.licenses), properties: new Map() };
    const version = str(c.version);
    if (version) entry.version = version;
    for (const p of objects(c.properties)) {
      const name = str(p.name);
      const value = typeof p.value === 'string' ? p.value : undefined;
      if (name && value !== undefined && !entry.properties.has(name)) entry.properties.set(name, value);
    }
    entries.push(entry);
  }
  const grouped = groupPackages(entries, sbomName);
  if (grouped.skipped > 0)
    warnings.push(`${file}: ${grouped.skipped} component(s) with a purl of no supported ecosystem were skipped`);
  const meta = isObject(doc.metadata) && isObject(doc.metadata.component) ? doc.metadata.component : undefined;
  const artifactOs = os ?? grouped.osFromPurls;
  return {
    artifact: { name: str(meta?.name) ?? sbomName, type: 'sbom', ...(artifactOs ? { os: artifactOs } : {}) },
    packageSets: grouped.packageSets,
    warnings,
  };
}

function licensesOf(v: unknown): string[] {
  const out: string[] = [];
  for (const l of objects(v)) {
    const expression = str(l.expression);
    if (expression) out.push(expression);
    if (isObject(l.license)) {
      const id = str(l.license.id) ?? str(l.license.name);
      if (id) out.push(id);
    }
  }
  return out;
}
