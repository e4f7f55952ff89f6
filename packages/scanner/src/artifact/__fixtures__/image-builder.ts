// Test helpers: build layer tars, docker-archives, OCI archives and OCI layouts in memory with
// tar-stream, plus the small analyzers tests use (os-release, pkgs.txt, a catch-all).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { OsFamily } from '@palisade/core';
import tarStream from 'tar-stream';
import type { Analyzer, AnalyzerInput } from '../../analyzer/types.js';

export interface TarFile {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

export async function makeTar(files: TarFile[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const f of files) {
    const type = f.type ?? 'file';
    const content = type === 'file' ? Buffer.from(f.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = { name: f.name, type, linkname: f.linkname, mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644) };
      pack.entry(content ? { ...header, size: content.length } : header, content ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export type Compression = 'none' | 'gzip' | 'zstd';

export function compress(b: Buffer, c: Compression): Buffer {
  if (c === 'gzip') return gzipSync(b);
  if (c === 'zstd') return execFileSync('zstd', ['-q', '-c'], { input: b, maxBuffer: 1 << 30 });
  return b;
}

export interface ImageSpec {
  layers: Buffer[]; // uncompressed layer tars
  compression?: Compression;
  repoTags?: string[];
  config?: Record<string, unknown>;
  history?: { created_by?: string; empty_layer?: boolean }[];
}

function imageConfig(spec: ImageSpec): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: spec.config ?? {},
      rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => `sha256:${sha256(l)}`) },
      history: spec.history ?? spec.layers.map((_, i) => ({ created_by: `step ${i}` })),
    }),
  );
}

export async function dockerArchive(spec: ImageSpec): Promise<Buffer> {
  const blobs = spec.layers.map((l) => compress(l, spec.compression ?? 'none'));
  const config = imageConfig(spec);
  const configName = `${sha256(config)}.json`;
  const layerNames = blobs.map((b) => `${sha256(b)}/layer.tar`);
  const manifest = [{ Config: configName, RepoTags: spec.repoTags ?? ['test/image:1'], Layers: layerNames }];
  return makeTar([
    ...blobs.map((b, i) => ({ name: layerNames[i]!, content: b })),
    { name: configName, content: config },
    { name: 'manifest.json', content: JSON.stringify(manifest) },
  ]);
}

function ociFiles(spec: ImageSpec): TarFile[] {
  const blobs = spec.layers.map((l) => compress(l, spec.compression ?? 'gzip'));
  const config = imageConfig(spec);
  const mediaSuffix = { none: '', gzip: '+gzip', zstd: '+zstd' }[spec.compression ?? 'gzip'];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
      layers: blobs.map((b) => ({
        mediaType: `application/vnd.oci.image.layer.v1.tar${mediaSuffix}`,
        digest: `sha256:${sha256(b)}`,
        size: b.length,
      })),
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${sha256(manifest)}`,
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': spec.repoTags?.[0] ?? 'test/image:1' },
      },
    ],
  };
  return [
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: JSON.stringify(index) },
    ...[config, manifest, ...blobs].map((b) => ({ name: `blobs/sha256/${sha256(b)}`, content: b })),
  ];
}

export async function ociArchive(spec: ImageSpec): Promise<Buffer> {
  return makeTar(ociFiles(spec));
}

export async function writeOciLayout(dir: string, spec: ImageSpec): Promise<void> {
  for (const f of ociFiles(spec)) {
    const p = path.join(dir, f.name);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, f.content ?? '');
  }
}

/** os-release → OS identity ("ID" and "VERSION_ID"). */
export const osReleaseAnalyzer: Analyzer = {
  name: 'test-os-release',
  category: 'os',
  required: (p) => p === 'etc/os-release',
  async analyze(input: AnalyzerInput) {
    const fields = new Map<string, string>();
    for (const line of input.content.toString('utf8').split('\n')) {
      const m = /^([A-Z_]+)="?([^"]*)"?$/.exec(line.trim());
      if (m) fields.set(m[1]!, m[2]!);
    }
    return { os: { family: (fields.get('ID') ?? 'unknown') as OsFamily, version: fields.get('VERSION_ID') ?? '' } };
  },
};

/** Any "pkgs.txt": one "name version" per line → OS packages of type "txt". */
export const pkgsTxtAnalyzer: Analyzer = {
  name: 'test-pkgs-txt',
  category: 'pkg',
  required: (p) => p.endsWith('pkgs.txt'),
  async analyze(input: AnalyzerInput, ctx) {
    const packages = [];
    for (const line of input.content.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const [name, version] = line.trim().split(/\s+/);
      if (!name || !version) {
        ctx.warn(`bad line "${line}"`);
        continue;
      }
      packages.push({ name, version, ecosystem: 'Debian' as const, purl: `pkg:deb/debian/${name}@${version}` });
    }
    return { packageSets: [{ class: 'os-pkgs' as const, type: 'txt', filePath: input.path, packages }] };
  },
};

/** Any "requirements.lock": lang packages, one set per file. */
export const lockTxtAnalyzer: Analyzer = {
  name: 'test-lock-txt',
  category: 'lang',
  required: (p) => p.endsWith('requirements.lock'),
  async analyze(input: AnalyzerInput) {
    const packages = input.content
      .toString('utf8')
      .split('\n')
      .filter((l) => l.includes('=='))
      .map((l) => {
        const [name, version] = l.trim().split('==') as [string, string];
        return { name, version, ecosystem: 'PyPI' as const, purl: `pkg:pypi/${name}@${version}` };
      });
    return { packageSets: [{ class: 'lang-pkgs' as const, type: 'pip', filePath: input.path, packages }] };
  },
};

export const testAnalyzers: readonly Analyzer[] = [osReleaseAnalyzer, pkgsTxtAnalyzer, lockTxtAnalyzer];

/** Wants every file and records the paths and sizes it was given. */
export function recordingAnalyzer(): Analyzer & { seen: Map<string, number> } {
  const seen = new Map<string, number>();
  return {
    name: 'test-recorder',
    category: 'config',
    seen,
    required: () => true,
    async analyze(input) {
      seen.set(input.path, input.content.length);
      return undefined;
    },
  };
}
