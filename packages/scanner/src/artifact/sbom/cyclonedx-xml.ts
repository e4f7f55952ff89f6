// CycloneDX XML (1.2–1.6): converted to the JSON document shape so that one reader
// (cyclonedx-input.ts) interprets both encodings the same way.

import { errorMessage, InputError } from '@palisade/core';
import { XMLParser } from 'fast-xml-parser';
import { isObject, type JsonObject } from './json-shape.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false, // versions like 1.10 must stay strings
  parseAttributeValue: false,
  // DOCTYPE entities are never expanded (no entity-expansion bombs); the standard five and
  // character references are decoded by `decode` below.
  processEntities: false,
  isArray: (name) => ['component', 'license', 'property', 'expression', 'hash'].includes(name),
});

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (whole, e: string) => {
    if (e.startsWith('#')) {
      const code = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[e] ?? whole;
  });
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return decode(v.trim()) || undefined;
  if (isObject(v) && typeof v['#text'] === 'string') return decode(v['#text'].trim()) || undefined;
  return undefined;
}

function attr(v: JsonObject, name: string): string | undefined {
  const a = v[`@_${name}`];
  return typeof a === 'string' ? decode(a) : undefined;
}

function list(v: unknown, child: string): JsonObject[] {
  if (!isObject(v)) return [];
  const items = v[child];
  return Array.isArray(items) ? items.filter(isObject) : [];
}

function component(c: JsonObject): JsonObject {
  const out: JsonObject = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  put('type', attr(c, 'type'));
  put('bom-ref', attr(c, 'bom-ref'));
  for (const key of ['group', 'name', 'version', 'description', 'purl']) put(key, text(c[key]));
  const licenses: JsonObject[] = [];
  for (const l of list(c.licenses, 'license')) {
    const id = text(l.id);
    const name = text(l.name);
    if (id) licenses.push({ license: { id } });
    else if (name) licenses.push({ license: { name } });
  }
  if (isObject(c.licenses) && Array.isArray(c.licenses.expression)) {
    for (const e of c.licenses.expression) {
      const expression = text(e);
      if (expression) licenses.push({ expression });
    }
  }
  if (licenses.length > 0) out.licenses = licenses;
  const properties = list(c.properties, 'property').map((p) => ({ name: attr(p, 'name'), value: text(p) ?? '' }));
  if (properties.length > 0) out.properties = properties;
  const children = list(c.components, 'component').map(component);
  if (children.length > 0) out.components = children;
  return out;
}

/** The JSON form of a CycloneDX XML BOM, as far as the SBOM reader needs it. */
export function cycloneDxXmlToJson(xml: string, file: string): JsonObject {
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (err) {
    throw new InputError(`${file}: not valid XML (${errorMessage(err).split('\n')[0]})`);
  }
  const bom = isObject(doc) ? doc.bom : undefined;
  if (!isObject(bom)) throw new InputError(`${file}: XML document is not a CycloneDX <bom>`);
  const ns = attr(bom, 'xmlns') ?? '';
  const version = /^http:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)$/.exec(ns)?.[1];
  if (!version) throw new InputError(`${file}: <bom> has no CycloneDX namespace (xmlns="${ns}")`);
  const out: JsonObject = {
    bomFormat: 'CycloneDX',
    specVersion: version,
    components: list(bom.components, 'component').map(component),
  };
  const meta = isObject(bom.metadata) ? bom.metadata : undefined;
  const root = meta ? list(meta, 'component')[0] : undefined;
  if (root) out.metadata = { component: component(root) };
  return out;
}
