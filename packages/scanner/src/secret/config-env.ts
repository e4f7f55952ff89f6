// Secrets outside files: an image config's environment and build history, and a serverless
// function's configured environment. Each variable is scanned as a one-line `NAME=value` file.

import type { Finding, ImageMetadata } from '@palisade/core';
import type { FunctionConfig } from '../analyzer/types.js';
import { type SecretScanOptions, scanSecrets } from './detect-secrets.js';

/** Target paths of findings in an image's config (no file exists to name). */
export const IMAGE_CONFIG_ENV_PATH = 'image config: env';
export const IMAGE_CONFIG_HISTORY_PATH = 'image config: history';

export function scanImageConfigSecrets(meta: ImageMetadata, opts: SecretScanOptions = {}): Finding[] {
  const out: Finding[] = [];
  const envOpts = variableOptions(opts);
  for (const entry of meta.config?.env ?? []) {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq) : entry;
    out.push(...scanVariable(IMAGE_CONFIG_ENV_PATH, name, entry, envOpts));
  }
  // `ARG TOKEN=…` and `RUN curl -H "Authorization: …"` leave their values in the layer history.
  for (const layer of meta.layers) {
    if (!layer.createdBy) continue;
    for (const f of scanSecrets(IMAGE_CONFIG_HISTORY_PATH, Buffer.from(layer.createdBy), opts)) {
      // The layer's `createdBy` is where the secret is: the finding names the layer without it.
      const ref = { index: layer.index, digest: layer.digest, diffId: layer.diffId };
      out.push({ ...f, target: { path: IMAGE_CONFIG_HISTORY_PATH, layer: ref } });
    }
  }
  return out;
}

export function scanFunctionConfigSecrets(cfg: FunctionConfig, opts: SecretScanOptions = {}): Finding[] {
  const out: Finding[] = [];
  const envOpts = variableOptions(opts);
  for (const [name, value] of Object.entries(cfg.environment)) {
    out.push(...scanVariable(cfg.source, name, `${name}=${value}`, envOpts));
  }
  return out;
}

/** The path is not a file here, so test-fixture globs must not apply to it. */
function variableOptions(opts: SecretScanOptions): SecretScanOptions {
  return { ...opts, allowedPaths: [] };
}

function scanVariable(path: string, name: string, line: string, opts: SecretScanOptions): Finding[] {
  const findings = scanSecrets(path, Buffer.from(line), opts);
  return findings.map((f) => ({
    ...f,
    description: `Environment variable ${name}: ${f.description ?? ''}`,
    target: { path },
  }));
}
