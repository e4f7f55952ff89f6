// Reads Kubernetes manifests (multi-document YAML or JSON) into resources, keeping the YAML AST
// so a rule's document path maps back to the line of the offending field.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { asArray, isObject, type K8sResource } from './kubernetes-resource.js';
import type { DocPath } from './types.js';

/** Aliases allowed per document: enough for real manifests, far too few for a "billion laughs" bomb. */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedK8sDocument {
  resources: K8sResource[];
  /** Line (1-based) of the field at `path`, or of its nearest existing parent. */
  lineOf(path: DocPath): number;
}

export interface K8sParseError {
  line: number;
  message: string;
}

export interface ParsedK8sFile {
  documents: ParsedK8sDocument[];
  errors: K8sParseError[];
}

type YamlDocument = ReturnType<typeof parseAllDocuments>[number];

export function parseKubernetesYaml(text: string): ParsedK8sFile {
  const lineCounter = new LineCounter();
  const line = (offset: number): number => lineCounter.linePos(offset).line;
  const documents: ParsedK8sDocument[] = [];
  const errors: K8sParseError[] = [];
  // YAML 1.1 as kubectl reads it (sigs.k8s.io/yaml on go-yaml v2): `privileged: yes` is true and
  // `<<` merge keys apply, so a rule sees what the API server will get.
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, version: '1.1' });
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      errors.push({ line: line(first.pos[0]), message: first.message.split('\n')[0]! });
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const start = doc.contents?.range?.[0] ?? 0;
      errors.push({ line: line(start), message: `refused: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const resources = resourcesIn(data);
    if (resources.length === 0) continue;
    documents.push({ resources, lineOf: (path) => locateInYaml(doc, path, line) });
  }
  return { documents, errors };
}

function resourcesIn(data: unknown): K8sResource[] {
  if (!isObject(data)) return [];
  const out: K8sResource[] = [];
  const add = (obj: unknown, basePath: DocPath): void => {
    if (!isObject(obj) || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return;
    const meta = isObject(obj.metadata) ? obj.metadata : {};
    out.push({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? meta.generateName : '',
      namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
      object: obj,
      basePath,
    });
  };
  // `kubectl get -o yaml` prints a List whose items are the objects.
  if (typeof data.kind === 'string' && data.kind.endsWith('List') && Array.isArray(data.items)) {
    const items = asArray(data.items);
    for (let i = 0; i < items.length; i++) add(items[i], ['items', i]);
  } else {
    add(data, []);
  }
  return out;
}

/**
 * Walks a YAML document's AST along `path`; each step that exists moves the answer to that key's
 * line. Shared by every YAML-based scanner (Kubernetes, CloudFormation, Serverless …).
 */
export function locateInYaml(doc: YamlDocument, path: DocPath, line: (offset: number) => number): number {
  let node: unknown = doc.contents;
  let best = line((node as Node | null)?.range?.[0] ?? 0);
  for (const key of path) {
    // Bounded: only the aliases on this one path are resolved, never the whole expansion.
    for (let hops = 0; isAlias(node) && hops < 8; hops++) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (keyNode.range) best = line(keyNode.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      if (item.range) best = line(item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return best;
}
