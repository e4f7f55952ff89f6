// Java archives (jar, war, ear, and Spring Boot fat jars): META-INF/maven/**/pom.properties name
// the packages; MANIFEST.MF is the fallback; nested archives are opened a few levels deep, in memory.

import type { Package } from '@palisade/core';
import yauzl from 'yauzl';
import type { Analyzer, AnalyzerContext } from '../../types.js';
import { dedupePackages, keep, langResult, mavenPackage } from '../lang-package.js';

/** Limits that keep a zip bomb or a hostile archive from exhausting memory or time. */
export const JAR_LIMITS = {
  maxDepth: 3,
  maxEntries: 100_000,
  maxNestedArchiveBytes: 128 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
  /** Total bytes inflated while reading one top-level archive (nested archives included). */
  maxTotalBytes: 512 * 1024 * 1024,
  maxRatio: 200,
};

const ARCHIVE_EXT = /\.(?:jar|war|ear|par|sar|jpi|hpi)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

interface Budget {
  remaining: number;
}

function openZip(buf: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    );
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, budget: Budget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        budget.remaining -= c.length;
        if (budget.remaining < 0) stream.destroy(new Error('archive inflates past the size budget'));
        else chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Java .properties: key=value or key: value lines, '#' and '!' comments. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const sep = line.search(/[=:]/);
    if (sep > 0) props.set(line.slice(0, sep).trim(), line.slice(sep + 1).trim());
  }
  return props;
}

/** MANIFEST.MF main section: "Key: value" with 72-column continuation lines starting with a space. */
export function parseManifest(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  let lastKey: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) break; // end of the main section
    if (line.startsWith(' ') && lastKey) {
      attrs.set(lastKey, attrs.get(lastKey)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon);
    attrs.set(lastKey, line.slice(colon + 2));
  }
  return attrs;
}

function manifestPackage(m: Map<string, string>, filePath: string): Package | undefined {
  const vendorId = m.get('Implementation-Vendor-Id');
  const title = m.get('Implementation-Title');
  const version = m.get('Implementation-Version') ?? m.get('Bundle-Version');
  if (!version) return undefined;
  if (vendorId && title) return mavenPackage(vendorId, title, version, filePath);
  // OSGi bundles: "org.example.widget;singleton:=true" → group org.example, artifact widget.
  const symbolic = m.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
  const dot = symbolic ? symbolic.lastIndexOf('.') : -1;
  if (symbolic && dot > 0) return mavenPackage(symbolic.slice(0, dot), symbolic.slice(dot + 1), version, filePath);
  return undefined;
}

async function readArchive(
  buf: Buffer,
  filePath: string,
  depth: number,
  budget: Budget,
  ctx: AnalyzerContext,
  out: Package[],
): Promise<void> {
  const zip = await openZip(buf);
  try {
    if (zip.entryCount > JAR_LIMITS.maxEntries) {
      ctx.warn(`${filePath}: archive has ${zip.entryCount} entries (limit ${JAR_LIMITS.maxEntries}); not read`);
      return;
    }
    const own: Package[] = [];
    // Packages of nested archives, read as each entry is met so at most one nested archive per
    // level is held in memory; listed after the archive's own packages.
    const inner: Package[] = [];
    let manifest: Map<string, string> | undefined;
    const readNested = async (name: string, data: Buffer) => {
      try {
        await readArchive(data, `${filePath}/${name}`, depth + 1, budget, ctx, inner);
      } catch (err) {
        ctx.warn(
          `${filePath}/${name}: cannot read nested archive (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    };
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        const wantMeta = POM_PROPERTIES.test(name) || name === 'META-INF/MANIFEST.MF';
        const wantNested = depth < JAR_LIMITS.maxDepth && ARCHIVE_EXT.test(name);
        const limit = wantMeta ? JAR_LIMITS.maxMetadataBytes : JAR_LIMITS.maxNestedArchiveBytes;
        const ratioOk =
          entry.uncompressedSize < 1024 * 1024 || entry.uncompressedSize <= entry.compressedSize * JAR_LIMITS.maxRatio;
        if (!(wantMeta || wantNested) || entry.uncompressedSize > limit || !ratioOk) {
          if ((wantMeta || wantNested) && !ratioOk)
            ctx.warn(`${filePath}: skipped ${name} (suspicious compression ratio)`);
          else if (wantMeta || wantNested)
            ctx.warn(`${filePath}: skipped ${name} (${entry.uncompressedSize} bytes, over the limit)`);
          zip.readEntry();
          return;
        }
        readEntry(zip, entry, budget)
          .then(async (data) => {
            if (name === 'META-INF/MANIFEST.MF') manifest = parseManifest(data.toString('utf8'));
            else if (wantMeta) {
              const p = parseProperties(data.toString('utf8'));
              const g = p.get('groupId');
              const a = p.get('artifactId');
              const v = p.get('version');
              if (g && a && v) keep(own, mavenPackage(g, a, v, filePath));
            } else await readNested(name, data);
            zip.readEntry();
          })
          .catch(reject);
      });
      zip.readEntry();
    });
    if (own.length === 0 && manifest) keep(own, manifestPackage(manifest, filePath));
    out.push(...own, ...inner);
  } finally {
    zip.close();
  }
}

/** Every package a Java archive carries, its nested archives included. */
export async function parseJavaArchive(buf: Buffer, filePath: string, ctx: AnalyzerContext): Promise<Package[]> {
  const out: Package[] = [];
  await readArchive(buf, filePath, 0, { remaining: JAR_LIMITS.maxTotalBytes }, ctx, out);
  return dedupePackages(out);
}

export const jarAnalyzer: Analyzer = {
  name: 'jar',
  category: 'lang',
  required: (path, info) => info.size >= 22 && info.size <= 1024 * 1024 * 1024 && ARCHIVE_EXT.test(path),
  async analyze(input, ctx) {
    try {
      return langResult('jar', input.path, await parseJavaArchive(input.content, input.path, ctx));
    } catch (err) {
      ctx.warn(`${input.path}: not a readable Java archive (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  },
};
