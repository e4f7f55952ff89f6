// SPDX tag-value (2.2/2.3): converted to the SPDX JSON document shape so that one reader
// (spdx-input.ts) interprets both encodings the same way.

import { InputError } from '@palisade/core';
import type { JsonObject } from './json-shape.js';

interface Tag {
  tag: string;
  value: string;
  line: number;
}

/** Splits into tag: value pairs; `<text>…</text>` values may span lines. */
function tags(text: string, file: string): Tag[] {
  const out: Tag[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const m = /^\s*([A-Za-z][\w-]*):\s?(.*)$/.exec(line);
    if (!m) throw new InputError(`${file}:${i + 1}: expected "Tag: value"`);
    let value = m[2]!.trim();
    const start = i;
    if (value.startsWith('<text>')) {
      value = value.slice('<text>'.length);
      const parts: string[] = [];
      while (!value.includes('</text>')) {
        parts.push(value);
        i++;
        if (i >= lines.length) throw new InputError(`${file}:${start + 1}: <text> is never closed`);
        value = lines[i]!;
      }
      parts.push(value.slice(0, value.indexOf('</text>')));
      value = parts.join('\n');
    }
    out.push({ tag: m[1]!, value, line: start + 1 });
  }
  return out;
}

/** The JSON form of an SPDX tag-value document, as far as the SBOM reader needs it. */
export function spdxTagValueToJson(text: string, file: string): JsonObject {
  const doc: JsonObject = {};
  const packages: JsonObject[] = [];
  const relationships: JsonObject[] = [];
  const extracted: JsonObject[] = [];
  const annotations: { ref?: string; comment?: string }[] = [];
  let pkg: JsonObject | undefined;
  let license: JsonObject | undefined;
  for (const { tag, value, line } of tags(text, file)) {
    switch (tag) {
      case 'SPDXVersion':
        doc.spdxVersion = value;
        break;
      case 'DocumentName':
        doc.name = value;
        break;
      case 'PackageName':
        pkg = { name: value, externalRefs: [], annotations: [] };
        packages.push(pkg);
        license = undefined;
        break;
      case 'FileName':
      case 'SnippetSPDXID':
        // Files and snippets follow their package; what they say is not about packages.
        pkg = undefined;
        break;
      case 'SPDXID':
        if (pkg && pkg.SPDXID === undefined) pkg.SPDXID = value;
        break;
      case 'PackageVersion':
        if (pkg) pkg.versionInfo = value;
        break;
      case 'PrimaryPackagePurpose':
        if (pkg) pkg.primaryPackagePurpose = value;
        break;
      case 'PackageLicenseDeclared':
        if (pkg) pkg.licenseDeclared = value;
        break;
      case 'PackageLicenseConcluded':
        if (pkg) pkg.licenseConcluded = value;
        break;
      case 'ExternalRef': {
        const [category, type, locator] = value.split(/\s+/);
        if (!category || !type || !locator)
          throw new InputError(`${file}:${line}: ExternalRef needs category, type and locator`);
        if (pkg)
          (pkg.externalRefs as JsonObject[]).push({
            referenceCategory: category,
            referenceType: type,
            referenceLocator: locator,
          });
        break;
      }
      case 'Relationship': {
        const [from, type, to] = value.split(/\s+/);
        if (!from || !type || !to)
          throw new InputError(`${file}:${line}: Relationship needs element, type and element`);
        relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
        break;
      }
      case 'LicenseID':
        license = { licenseId: value };
        extracted.push(license);
        pkg = undefined;
        break;
      case 'LicenseName':
        if (license) license.name = value;
        break;
      case 'ExtractedText':
        if (license) license.extractedText = value;
        break;
      case 'Annotator':
        annotations.push({});
        break;
      case 'SPDXREF': {
        const a = annotations.at(-1);
        if (a) a.ref = value;
        break;
      }
      case 'AnnotationComment': {
        const a = annotations.at(-1);
        if (a) a.comment = value;
        break;
      }
      default:
        break;
    }
  }
  if (typeof doc.spdxVersion !== 'string') throw new InputError(`${file}: no SPDXVersion tag`);
  const byId = new Map(packages.map((p) => [p.SPDXID, p]));
  for (const a of annotations) {
    const target = a.ref ? byId.get(a.ref) : undefined;
    if (target && a.comment !== undefined) (target.annotations as JsonObject[]).push({ comment: a.comment });
  }
  return { ...doc, packages, relationships, hasExtractedLicensingInfos: extracted };
}
