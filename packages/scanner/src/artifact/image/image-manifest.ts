// Reads an image's manifests (docker-archive manifest.json, OCI index.json → manifest) and config
// into an ImagePlan: which blobs are the layers, in order, and the image metadata for the report.

import { createHash } from 'node:crypto';
import { type ImageMetadata, InputError, type LayerRef } from '@palisade/core';
import type { BlobSource } from './blob-source.js';

const MAX_JSON_BYTES = 64 * 1024 * 1024;
const INDEX_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

export interface ImagePlan {
  /** Blob names of the layers, bottom first. */
  layerBlobs: string[];
  metadata: ImageMetadata;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function optString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function readJson(source: BlobSource, name: string): Promise<{ value: unknown; bytes: Buffer }> {
  const bytes = await source.read(name, MAX_JSON_BYTES);
  try {
    return { value: JSON.parse(bytes.toString('utf8')), bytes };
  } catch {
    throw new InputError(`${source.location}: "${name}" is not valid JSON`);
  }
}

/** Digests name blob files; the pattern keeps a hostile digest from naming a path outside blobs/. */
export function blobPathOfDigest(digest: unknown, location: string): string {
  if (typeof digest !== 'string' || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) {
    throw new InputError(`${location}: invalid digest ${JSON.stringify(digest)}`);
  }
  const [alg, hex] = digest.split(':') as [string, string];
  return `blobs/${alg}/${hex}`;
}

/** Builds the report's image metadata from the config JSON and the layer list. */
function describeImage(
  config: unknown,
  configBytes: Buffer,
  layerDigests: (string | undefined)[],
  repoTags: string[],
  location: string,
): ImageMetadata {
  if (!isObject(config)) throw new InputError(`${location}: image config is not a JSON object`);
  const rootfs = isObject(config.rootfs) ? config.rootfs : {};
  const diffIds = stringArray(rootfs.diff_ids) ?? [];
  const history = Array.isArray(config.history) ? config.history.filter(isObject) : [];
  // Empty layers (ENV, LABEL …) have history entries but no blob: skip them to line up with layers.
  const layerHistory = history.filter((h) => h.empty_layer !== true);
  const layers: LayerRef[] = layerDigests.map((digest, index) => {
    const ref: LayerRef = { index };
    if (digest) ref.digest = digest;
    const diffId = diffIds[index];
    if (diffId) ref.diffId = diffId;
    const createdBy = optString(layerHistory[index]?.created_by);
    if (createdBy) ref.createdBy = createdBy;
    return ref;
  });
  const c = isObject(config.config) ? config.config : {};
  const labels = isObject(c.Labels)
    ? Object.fromEntries(Object.entries(c.Labels).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : undefined;
  const imageConfig: NonNullable<ImageMetadata['config']> = {};
  const user = optString(c.User);
  if (user) imageConfig.user = user;
  const env = stringArray(c.Env);
  if (env) imageConfig.env = env;
  if (isObject(c.ExposedPorts)) imageConfig.exposedPorts = Object.keys(c.ExposedPorts);
  const entrypoint = stringArray(c.Entrypoint);
  if (entrypoint) imageConfig.entrypoint = entrypoint;
  const cmd = stringArray(c.Cmd);
  if (cmd) imageConfig.cmd = cmd;
  const workingDir = optString(c.WorkingDir);
  if (workingDir) imageConfig.workingDir = workingDir;
  if (labels && Object.keys(labels).length > 0) imageConfig.labels = labels;
  const meta: ImageMetadata = {
    id: `sha256:${createHash('sha256').update(configBytes).digest('hex')}`,
    repoTags,
    layers,
    config: imageConfig,
  };
  const architecture = optString(config.architecture);
  if (architecture) meta.architecture = architecture;
  const os = optString(config.os);
  if (os) meta.os = os;
  return meta;
}

/** docker save / podman save: manifest.json = [{Config, RepoTags, Layers}]; the first image is scanned. */
export async function readDockerArchivePlan(source: BlobSource): Promise<ImagePlan> {
  const { value } = await readJson(source, 'manifest.json');
  const first = Array.isArray(value) ? value[0] : undefined;
  if (!isObject(first) || typeof first.Config !== 'string' || !stringArray(first.Layers)) {
    throw new InputError(`${source.location}: manifest.json is not a docker-archive manifest (Config, Layers)`);
  }
  const layerBlobs = stringArray(first.Layers)!;
  const config = await readJson(source, first.Config);
  // Newer docker saves layers as OCI blobs (blobs/sha256/HEX): then the path gives the blob digest.
  const digests = layerBlobs.map((name) => {
    const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]{32,})$/.exec(name);
    return m ? `${m[1]}:${m[2]}` : undefined;
  });
  const repoTags = stringArray(first.RepoTags) ?? [];
  return { layerBlobs, metadata: describeImage(config.value, config.bytes, digests, repoTags, source.location) };
}

const NODE_TO_OCI_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
};

/** From an index's descriptors, the one for this machine's platform, else the first. */
function pickManifest(manifests: Json[]): Json | undefined {
  const arch = NODE_TO_OCI_ARCH[process.arch] ?? process.arch;
  return (
    manifests.find((m) => isObject(m.platform) && m.platform.os === 'linux' && m.platform.architecture === arch) ??
    manifests[0]
  );
}

/** OCI archive or layout: index.json → (nested indexes) → image manifest → config and layers. */
export async function readOciPlan(source: BlobSource): Promise<ImagePlan> {
  const { value: index } = await readJson(source, 'index.json');
  if (!isObject(index) || !Array.isArray(index.manifests)) {
    throw new InputError(`${source.location}: index.json has no manifests list`);
  }
  let descriptor = pickManifest(index.manifests.filter(isObject));
  const annotations = descriptor && isObject(descriptor.annotations) ? descriptor.annotations : {};
  const refName =
    optString(annotations['io.containerd.image.name']) ?? optString(annotations['org.opencontainers.image.ref.name']);
  let manifest: unknown;
  for (let depth = 0; ; depth++) {
    if (!descriptor) throw new InputError(`${source.location}: index.json lists no image manifest`);
    if (depth > 4) throw new InputError(`${source.location}: image indexes nested too deeply`);
    manifest = (await readJson(source, blobPathOfDigest(descriptor.digest, source.location))).value;
    const isIndex =
      INDEX_MEDIA_TYPES.has(String(descriptor.mediaType)) || (isObject(manifest) && Array.isArray(manifest.manifests));
    if (!isIndex) break;
    descriptor =
      isObject(manifest) && Array.isArray(manifest.manifests)
        ? pickManifest(manifest.manifests.filter(isObject))
        : undefined;
  }
  if (!isObject(manifest) || !isObject(manifest.config) || !Array.isArray(manifest.layers)) {
    throw new InputError(`${source.location}: image manifest has no config or layers`);
  }
  const layers = manifest.layers.filter(isObject);
  const layerBlobs = layers.map((l) => blobPathOfDigest(l.digest, source.location));
  const config = await readJson(source, blobPathOfDigest(manifest.config.digest, source.location));
  const digests = layers.map((l) => l.digest as string);
  return {
    layerBlobs,
    metadata: describeImage(config.value, config.bytes, digests, refName ? [refName] : [], source.location),
  };
}
