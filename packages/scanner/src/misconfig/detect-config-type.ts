// Which files the misconfiguration scanner reads: Dockerfiles by name, Kubernetes manifests by
// extension (cheap, path only) and then by content (an apiVersion and a kind).

import { isComposeFileName } from './compose/scan-compose-file.js';
import type { ConfigType } from './types.js';

const DOCKERFILE_NAME =
  /^(dockerfile|containerfile)$|\.(dockerfile|containerfile)$|^(dockerfile|containerfile)\.(?!dockerignore$)[^/]+$/i;
const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** The config type a path may hold, from its name alone; undefined for every other file. */
export function configTypeForPath(filePath: string): ConfigType | undefined {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  if (DOCKERFILE_NAME.test(name)) return 'dockerfile';
  if (isComposeFileName(name)) return 'docker-compose';
  if (MANIFEST_EXT.test(name)) return 'kubernetes';
  return undefined;
}

/** Cheap content test before parsing: a manifest names both an apiVersion and a kind. */
export function looksLikeKubernetes(text: string): boolean {
  return text.includes('apiVersion') && text.includes('kind');
}

/** A NUL byte in the first 8 KiB: a binary file that only carries a config file's name. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8192).includes(0);
}
