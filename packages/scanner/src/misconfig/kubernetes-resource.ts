// A Kubernetes object read from a manifest, and where each workload kind keeps its pod spec:
// the rules ask these helpers for containers and pod fields instead of knowing every kind.

import type { DocPath } from './types.js';

export type JsonObject = Record<string, unknown>;

export interface K8sResource {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The whole object as plain data (aliases expanded within limits). */
  object: JsonObject;
  /** Path of the object inside its YAML document ([] or ['items', 3] for a List). */
  basePath: DocPath;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObject(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Where each workload kind nests its pod spec (relative to the object root). */
export const POD_SPEC_PATHS: ReadonlyMap<string, DocPath> = new Map<string, DocPath>([
  ['Pod', ['spec']],
  ['PodTemplate', ['template', 'spec']],
  ['Deployment', ['spec', 'template', 'spec']],
  ['StatefulSet', ['spec', 'template', 'spec']],
  ['DaemonSet', ['spec', 'template', 'spec']],
  ['ReplicaSet', ['spec', 'template', 'spec']],
  ['ReplicationController', ['spec', 'template', 'spec']],
  ['Job', ['spec', 'template', 'spec']],
  ['CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

export function getIn(root: unknown, path: DocPath): unknown {
  let node = root;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[key];
    } else {
      if (!isObject(node)) return undefined;
      node = node[key];
    }
  }
  return node;
}

export interface PodSpecRef {
  spec: JsonObject;
  /** Absolute path of the pod spec in the document. */
  path: DocPath;
  /** Annotations of the pod (template) metadata: AppArmor's legacy annotations live there. */
  annotations: JsonObject;
  annotationsPath: DocPath;
  /** The pod-level securityContext ({} when absent). */
  securityContext: JsonObject;
  /** True for `spec.os.name: windows`, which the restricted profile exempts from Linux-only controls. */
  windows: boolean;
}

// Thirty rules ask for the same pod spec and containers: compute them once per resource.
const podSpecCache = new WeakMap<K8sResource, PodSpecRef | null>();
const containerCache = new WeakMap<PodSpecRef, ContainerRef[]>();

export function podSpecOf(r: K8sResource): PodSpecRef | undefined {
  let cached = podSpecCache.get(r);
  if (cached === undefined) {
    cached = findPodSpec(r) ?? null;
    podSpecCache.set(r, cached);
  }
  return cached ?? undefined;
}

function findPodSpec(r: K8sResource): PodSpecRef | undefined {
  const rel = POD_SPEC_PATHS.get(r.kind);
  if (!rel) return undefined;
  const spec = asObject(getIn(r.object, rel));
  if (!spec) return undefined;
  const metaPath = [...rel.slice(0, -1), 'metadata', 'annotations'];
  return {
    spec,
    path: [...r.basePath, ...rel],
    annotations: asObject(getIn(r.object, metaPath)) ?? {},
    annotationsPath: [...r.basePath, ...metaPath],
    securityContext: asObject(spec.securityContext) ?? {},
    windows: getIn(spec, ['os', 'name']) === 'windows',
  };
}

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export interface ContainerRef {
  name: string;
  container: JsonObject;
  /** The container's securityContext ({} when absent). */
  securityContext: JsonObject;
  path: DocPath;
  list: (typeof CONTAINER_LISTS)[number];
}

export function containersOf(pod: PodSpecRef): ContainerRef[] {
  const cached = containerCache.get(pod);
  if (cached) return cached;
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    asArray(pod.spec[list]).forEach((c, i) => {
      if (!isObject(c)) return;
      out.push({
        name: typeof c.name === 'string' ? c.name : `#${i}`,
        container: c,
        securityContext: asObject(c.securityContext) ?? {},
        path: [...pod.path, list, i],
        list,
      });
    });
  }
  containerCache.set(pod, out);
  return out;
}

/** Short "Deployment/prod/web" form used in details and fingerprints. */
export function resourceLabel(r: K8sResource): string {
  return `${r.kind}/${r.namespace ?? ''}/${r.name}`;
}
