// Parses one YAML or JSON document keeping its AST, so a document path maps back to a line;
// CloudFormation's short-form intrinsic tags (!Ref, !GetAtt, !Sub …) read as their long forms.

import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type Tags } from 'yaml';
import { locateInYaml } from '../kubernetes-parser.js';
import type { DocPath } from '../types.js';

/** Aliases allowed per document, as for Kubernetes manifests: real files need few, a bomb needs many. */
export const IAC_MAX_ALIAS_COUNT = 100;

const FN_TAGS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'GetAtt',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'ToJsonString',
  'Length',
];

/** `!Ref x` is `{Ref: x}`, `!GetAtt a.b` is `{"Fn::GetAtt": ["a", "b"]}`, `!If [...]` is `{"Fn::If": [...]}`. */
function cloudFormationTags(): Tags {
  const tags: Tags = [];
  const forms = ['scalar', 'seq', 'map'] as const;
  const wrap = (name: string, value: unknown): Record<string, unknown> => {
    if (name === 'Ref' || name === 'Condition') return { [name]: value };
    if (name === 'GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [`Fn::${name}`]: value };
  };
  for (const name of ['Ref', 'Condition', ...FN_TAGS]) {
    for (const form of forms) {
      if (form === 'scalar') {
        tags.push({ tag: `!${name}`, resolve: (s: string) => wrap(name, s) });
      } else {
        tags.push({
          tag: `!${name}`,
          collection: form,
          // The collection stays as parsed; wrapTaggedCollections adds the Fn:: key after toJS.
          resolve: (node) => node,
        });
      }
    }
  }
  return tags;
}

export interface PositionedDocument {
  data: unknown;
  lineOf(path: DocPath): number;
}

export interface YamlParseFailure {
  line: number;
  message: string;
}

export function parseYamlWithPositions(
  text: string,
  opts: { cloudFormation?: boolean } = {},
): PositionedDocument | YamlParseFailure {
  const lineCounter = new LineCounter();
  const line = (offset: number): number => lineCounter.linePos(offset).line;
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: false,
    customTags: opts.cloudFormation ? cloudFormationTags() : [],
    // Unknown tags (a CFN tag in a non-CFN file, `!!python/object`) are a warning, not a failure.
    strict: false,
  });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    return { line: line(first.pos[0]), message: first.message.split('\n')[0]! };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: IAC_MAX_ALIAS_COUNT });
  } catch (err) {
    return {
      line: line(doc.contents?.range?.[0] ?? 0),
      message: `refused: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (opts.cloudFormation) data = wrapTaggedCollections(doc.contents, data);
  return { data, lineOf: (path) => locateInYaml(doc, path, line) };
}

export function isParseFailure(r: PositionedDocument | YamlParseFailure): r is YamlParseFailure {
  return 'message' in r;
}

/** Collections tagged `!If [...]` come out of toJS as plain arrays; wrap them as `{"Fn::If": [...]}`. */
function wrapTaggedCollections(node: unknown, data: unknown, depth = 0): unknown {
  if (depth > 200 || node === null || typeof node !== 'object') return data;
  const n = node as Node;
  let out = data;
  if (isMap(n) && data && typeof data === 'object' && !Array.isArray(data)) {
    const obj = data as Record<string, unknown>;
    for (const p of n.items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const k = String(p.key.value);
      if (k in obj) obj[k] = wrapTaggedCollections(p.value, obj[k], depth + 1);
    }
  } else if (isSeq(n) && Array.isArray(data)) {
    n.items.forEach((item, i) => {
      data[i] = wrapTaggedCollections(item, data[i], depth + 1);
    });
  }
  if ((isMap(n) || isSeq(n)) && typeof n.tag === 'string' && n.tag.startsWith('!') && !n.tag.startsWith('!!')) {
    const name = n.tag.slice(1);
    out = name === 'Ref' || name === 'Condition' ? { [name]: out } : { [`Fn::${name}`]: out };
  }
  return out;
}
