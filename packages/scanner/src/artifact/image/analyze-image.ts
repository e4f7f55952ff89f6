// The image artifact: recognises the archive format, reads the image plan, then streams each layer
// through the analyzers and applies it on the ones below (whiteouts, opaque dirs, attribution).

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import type { ArtifactAnalysis } from '../../analyzer/types.js';
import { createDecoder, detectCompression } from '../../walker/decompress.js';
import { walkTarLayer } from '../../walker/walk-tar-layer.js';
import { createAnalyzingVisitor } from '../analyzing-visitor.js';
import { LayerApplier } from '../layer-applier.js';
import type { ResolvedOptions } from '../resolved-options.js';
import { type BlobSource, directoryBlobSource, tarBlobSource } from './blob-source.js';
import { type ImagePlan, readDockerArchivePlan, readOciPlan } from './image-manifest.js';
import { TarIndex } from './tar-index.js';

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * `docker save | gzip` output cannot be read at offsets, so it is decompressed (bomb-guarded) into
 * the temp dir first; its layers are still streamed from there like any archive's.
 */
async function decompressArchive(target: string, tempDir: string, maxBytes: number): Promise<string | undefined> {
  const compression = detectCompression(await readHead(target), target);
  if (compression === 'none') return undefined;
  await mkdir(tempDir, { recursive: true });
  const out = path.join(tempDir, `archive-${process.pid}-${Date.now()}.tar`);
  const size = (await stat(target)).size;
  try {
    const stages = createDecoder(compression, target, size, maxBytes);
    await (pipeline as (...streams: unknown[]) => Promise<void>)(
      createReadStream(target),
      ...stages,
      createWriteStream(out),
    );
  } catch (err) {
    await rm(out, { force: true });
    if (err instanceof InputError) throw err;
    throw new InputError(`${target}: corrupt ${compression} archive: ${errorMessage(err)}`);
  }
  return out;
}

/** Opens `target` as a docker-archive, OCI archive or OCI layout directory and reads its plan. */
export async function openImage(target: string): Promise<{ source: BlobSource; plan: ImagePlan }> {
  const st = await stat(target).catch(() => undefined);
  if (!st) throw new NotFoundError(`image archive not found: ${target}`);
  const unknown = () => new InputError(`not a docker-archive, OCI archive or OCI layout: ${target}`);
  if (st.isDirectory()) {
    const source = directoryBlobSource(target);
    if ((await source.size('oci-layout')) === undefined || (await source.size('index.json')) === undefined) {
      throw unknown();
    }
    return { source, plan: await readOciPlan(source) };
  }
  let index: TarIndex;
  try {
    index = await TarIndex.build(target);
  } catch (err) {
    if (err instanceof InputError)
      throw new InputError(`not a docker-archive, OCI archive or OCI layout: ${err.message}`);
    throw err;
  }
  const source = tarBlobSource(index);
  if (index.resolve('manifest.json')) return { source, plan: await readDockerArchivePlan(source) };
  if (index.resolve('index.json') && index.resolve('oci-layout')) return { source, plan: await readOciPlan(source) };
  throw unknown();
}

export async function analyzeImage(target: string, name: string, opts: ResolvedOptions): Promise<ArtifactAnalysis> {
  const st = await stat(target).catch(() => undefined);
  const decompressed = st?.isFile() ? await decompressArchive(target, opts.tempDir, opts.maxArchiveBytes) : undefined;
  try {
    return await analyzeImageArchive(decompressed ?? target, name, opts);
  } finally {
    if (decompressed) await rm(decompressed, { force: true });
  }
}

async function analyzeImageArchive(target: string, name: string, opts: ResolvedOptions): Promise<ArtifactAnalysis> {
  const { source, plan } = await openImage(target);
  const warnings: string[] = [];
  const applier = new LayerApplier();
  let layerIndex = 0;
  const layerCount = plan.layerBlobs.length;
  const visitor = createAnalyzingVisitor({
    analyzers: opts.analyzers,
    applier,
    skip: opts.skip,
    maxFileSize: opts.maxFileSize,
    warnings,
    onProgress: opts.onProgress,
    where: () => `layer ${layerIndex}: `,
    layer: () => ({ layerIndex, layerCount }),
  });
  for (const [i, blob] of plan.layerBlobs.entries()) {
    layerIndex = i;
    const ref = plan.metadata.layers[i];
    const label = `layer ${i} (${ref?.digest ?? ref?.diffId ?? blob}) of ${target}`;
    opts.onProgress?.({ phase: 'layer', layerIndex: i, layerCount, ...visitor.stats });
    const size = (await source.size(blob)) ?? 0;
    const compression = detectCompression(await source.head(blob, 8), label);
    applier.beginLayer(i);
    await walkTarLayer(
      source.stream(blob),
      createDecoder(compression, label, size, opts.maxArchiveBytes),
      visitor,
      label,
    );
    applier.endLayer();
  }
  opts.onProgress?.({ phase: 'analyze', layerCount, ...visitor.stats });
  const os = applier.os();
  const secrets = applier.secrets(plan.metadata.layers);
  const misconfigurations = applier.misconfigurations(plan.metadata.layers);
  return {
    artifact: { name, type: 'image', ...(os ? { os } : {}), image: plan.metadata },
    packageSets: applier.packageSets(plan.metadata.layers),
    warnings,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(misconfigurations.length > 0 ? { misconfigurations } : {}),
  };
}
