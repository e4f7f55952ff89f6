// Loads VEX documents — OpenVEX (JSON-LD) and CycloneDX VEX — into statements of "vulnerability
// X in products P has status S", the one shape the filter applies.

import { readFile } from 'node:fs/promises';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import { flattenComponents, isCycloneDxJson } from '../artifact/sbom/cyclonedx-input.js';
import { isObject, type JsonObject, objects, str, strings } from '../artifact/sbom/json-shape.js';
import type { VexDocument, VexProduct, VexStatement, VexStatus } from './types.js';

const OPENVEX_STATUSES = new Set<VexStatus>(['not_affected', 'fixed', 'affected', 'under_investigation']);

// CycloneDX analysis states → the OpenVEX status they amount to.
const CDX_STATES: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

export async function loadVex(file: string): Promise<VexDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError(`${file}: VEX file not found`);
  }
  return parseVex(text, file);
}

export function parseVex(text: string, file: string): VexDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
  if (isObject(doc) && typeof doc['@context'] === 'string' && doc['@context'].startsWith('https://openvex.dev/ns')) {
    return { file, format: 'openvex', statements: openVexStatements(doc, file) };
  }
  if (isCycloneDxJson(doc)) return { file, format: 'cyclonedx', statements: cycloneDxStatements(doc, file) };
  throw new InputError(`${file}: not an OpenVEX document (@context https://openvex.dev/ns…) nor CycloneDX VEX`);
}

function openVexStatements(doc: JsonObject, file: string): VexStatement[] {
  if (!Array.isArray(doc.statements)) throw new InputError(`${file}: OpenVEX document has no "statements" list`);
  return doc.statements.map((s, i) => {
    const where = `${file}: statements[${i}]`;
    if (!isObject(s)) throw new InputError(`${where}: expected an object`);
    const status = s.status;
    if (typeof status !== 'string' || !OPENVEX_STATUSES.has(status as VexStatus)) {
      throw new InputError(`${where}: unknown status ${JSON.stringify(status)}`);
    }
    // v0.2: vulnerability {name, @id, aliases}; v0.0.x: vulnerability "CVE-…".
    const v = s.vulnerability;
    const ids = isObject(v) ? [str(v.name), str(v['@id']), ...strings(v.aliases)] : [str(v)];
    const vulnerabilityIds = [...new Set(ids.filter((x): x is string => x !== undefined))];
    if (vulnerabilityIds.length === 0) throw new InputError(`${where}: no vulnerability name`);
    // A product is a package, or an artifact (an image) whose subcomponents are the packages.
    const products: VexProduct[] = [];
    for (const p of Array.isArray(s.products) ? s.products : []) {
      if (typeof p === 'string') {
        if (p) products.push({ id: p });
        continue;
      }
      if (!isObject(p)) continue;
      const id = productId(p);
      if (!id) continue;
      const subcomponents = objects(p.subcomponents)
        .map((c) => productId(c))
        .filter((x): x is string => x !== undefined);
      products.push(subcomponents.length > 0 ? { id, subcomponents } : { id });
    }
    const statement: VexStatement = { vulnerabilityIds, products, status: status as VexStatus };
    const reason =
      str(s.justification) ??
      str(s.impact_statement) ??
      str(s.status_notes) ??
      (status === 'fixed' ? 'fixed' : undefined);
    if (reason) statement.reason = reason;
    return statement;
  });
}

/** OpenVEX products name a package by @id (a purl) or by identifiers.purl. */
function productId(p: JsonObject): string | undefined {
  const id = str(p['@id']);
  if (id) return id;
  return isObject(p.identifiers) ? str(p.identifiers.purl) : undefined;
}

function cycloneDxStatements(doc: JsonObject, file: string): VexStatement[] {
  if (!Array.isArray(doc.vulnerabilities)) throw new InputError(`${file}: CycloneDX VEX has no "vulnerabilities" list`);
  const purlByRef = new Map<string, string>();
  for (const c of flattenComponents(doc)) {
    const ref = str(c['bom-ref']);
    const purl = str(c.purl);
    if (ref && purl) purlByRef.set(ref, purl);
  }
  const statements: VexStatement[] = [];
  doc.vulnerabilities.forEach((v, i) => {
    if (!isObject(v)) throw new InputError(`${file}: vulnerabilities[${i}]: expected an object`);
    const id = str(v.id);
    if (!id) throw new InputError(`${file}: vulnerabilities[${i}]: no "id"`);
    const analysis = isObject(v.analysis) ? v.analysis : undefined;
    const state = str(analysis?.state);
    if (!state) return; // no analysis: nothing is stated about it
    const status = CDX_STATES[state];
    if (!status) throw new InputError(`${file}: vulnerabilities[${i}]: unknown analysis state "${state}"`);
    const aliases = objects(v.references)
      .map((r) => str(r.id))
      .filter((x): x is string => x !== undefined);
    const products: VexProduct[] = objects(v.affects)
      .map((a) => str(a.ref))
      .filter((r): r is string => r !== undefined)
      .map((ref) => {
        // A BOM-Link (urn:cdx:serial/version#ref) points into another BOM; its fragment is the ref.
        const local =
          ref.startsWith('urn:cdx:') && ref.includes('#') ? decodeURIComponent(ref.slice(ref.indexOf('#') + 1)) : ref;
        return { id: purlByRef.get(local) ?? local };
      });
    const statement: VexStatement = { vulnerabilityIds: [...new Set([id, ...aliases])], products, status };
    const reason =
      state === 'false_positive'
        ? 'false_positive'
        : (str(analysis?.justification) ?? str(analysis?.detail) ?? (status === 'fixed' ? 'resolved' : undefined));
    if (reason) statement.reason = reason;
    statements.push(statement);
  });
  return statements;
}
