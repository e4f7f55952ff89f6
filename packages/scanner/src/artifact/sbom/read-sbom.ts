// The `sbom` artifact: reads CycloneDX (JSON, XML) or SPDX (JSON, tag-value), auto-detected, into the same
// ArtifactAnalysis an image or filesystem scan yields, so detectors run on it unchanged.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { isCycloneDxJson, readCycloneDx } from './cyclonedx-input.js';
import { cycloneDxXmlToJson } from './cyclonedx-xml.js';
import { isSpdxJson, readSpdx } from './spdx-input.js';
import { spdxTagValueToJson } from './spdx-tag-value.js';

const MAX_SBOM_BYTES = 512 * 1024 * 1024;

export async function readSbom(file: string): Promise<ArtifactAnalysis> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new NotFoundError(`${file}: SBOM file not found`);
  }
  if (size > MAX_SBOM_BYTES) throw new InputError(`${file}: SBOM is larger than ${MAX_SBOM_BYTES} bytes`);
  return parseSbom(await readFile(file, 'utf8'), file);
}

/** Parses SBOM text; `file` names it in errors and stands in for the file path of its packages. */
export function parseSbom(text: string, file: string): ArtifactAnalysis {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  const name = path.basename(file);
  if (head.startsWith('<')) {
    if (!/<bom[\s>]/.test(head)) {
      throw new InputError(`${file}: XML document is not a CycloneDX BOM (SPDX XML/RDF is not supported)`);
    }
    return readCycloneDx(cycloneDxXmlToJson(head, file), file, name);
  }
  if (/^SPDXVersion:/m.test(head.slice(0, 4096))) {
    const doc = spdxTagValueToJson(head, file);
    const version = String(doc.spdxVersion);
    if (!isSpdxJson(doc)) throw new InputError(`${file}: SPDXVersion "${version}" is not an SPDX version`);
    return readSpdx(doc, file, name);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(head);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
  if (isCycloneDxJson(doc)) return readCycloneDx(doc, file, name);
  if (isSpdxJson(doc)) return readSpdx(doc, file, name);
  throw new InputError(`${file}: not a CycloneDX or SPDX document (no "bomFormat": "CycloneDX" nor "spdxVersion")`);
}
