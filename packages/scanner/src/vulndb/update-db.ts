// `palisade db update`: downloads OSV's per-ecosystem all.zip on the first run, then only the records
// that modified_id.csv lists as changed since the last run. Everything downloads first, then lands in one transaction.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorMessage, InputError } from '@palisade/core';
import {
  emptyStats,
  finishWrite,
  type HighWater,
  highWaterKey,
  type ImportOptions,
  type ImportStats,
  putRecordBytes,
  putZip,
} from './import-osv.js';
import { readZipJsonEntries } from './osv-zip.js';
import type { VulnDb } from './vuln-db.js';

/** OSV's public bulk-download bucket: <mirror>/<ECOSYSTEM>/all.zip, modified_id.csv, <ID>.json. */
export const DEFAULT_OSV_MIRROR = 'https://osv-vulnerabilities.storage.googleapis.com';

/** What `db update` fetches by default: every ecosystem Palisade's analyzers produce packages for. */
export const DEFAULT_ECOSYSTEMS: readonly string[] = [
  'Go',
  'npm',
  'PyPI',
  'Maven',
  'crates.io',
  'RubyGems',
  'Packagist',
  'NuGet',
  'Pub',
  'Debian',
  'Ubuntu',
  'Alpine',
  'Wolfi',
  'Chainguard',
  'AlmaLinux',
  'Rocky Linux',
  'Red Hat',
  'SUSE',
  'openSUSE',
];

/** Past this many changed records one all.zip is cheaper than one request each. */
const DELTA_LIMIT = 2000;
const DELTA_CONCURRENCY = 8;

export interface UpdateProgress {
  ecosystem: string;
  phase: 'download' | 'delta' | 'apply';
  /** Bytes downloaded (download) or records fetched/applied (delta, apply). */
  done: number;
  total?: number;
  /** One line for a progress display: "Go: downloading all.zip 3.1/12.4 MB". */
  message: string;
}

function updateProgress(
  ecosystem: string,
  phase: UpdateProgress['phase'],
  done: number,
  total?: number,
): UpdateProgress {
  const mb = (n: number) => (n / 1048576).toFixed(1);
  const message =
    phase === 'download'
      ? `${ecosystem}: downloading all.zip ${mb(done)}${total ? `/${mb(total)}` : ''} MB`
      : phase === 'delta'
        ? `${ecosystem}: fetched ${done}/${total ?? '?'} changed records`
        : `${ecosystem}: stored ${done} records`;
  return total === undefined ? { ecosystem, phase, done, message } : { ecosystem, phase, done, total, message };
}

export interface EcosystemUpdate {
  ecosystem: string;
  /** full: all.zip downloaded; delta: changed records fetched; current: nothing changed. */
  mode: 'full' | 'delta' | 'current';
  stats: ImportStats;
}

export interface UpdateStats {
  ecosystems: EcosystemUpdate[];
  warnings: string[];
}

export interface UpdateOptions {
  mirror?: string;
  ecosystems: string[];
  fetchImpl?: typeof fetch;
  onProgress?: (p: UpdateProgress) => void;
  onWarning?: ImportOptions['onWarning'];
  zipLimits?: ImportOptions['zipLimits'];
}

type Plan =
  | { ecosystem: string; mode: 'full'; zipFile: string }
  | { ecosystem: string; mode: 'delta'; records: { id: string; content: Buffer }[]; newest: string }
  | { ecosystem: string; mode: 'current' };

function ecosystemUrl(mirror: string, ecosystem: string, file: string): string {
  return `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(ecosystem)}/${encodeURIComponent(file)}`;
}

async function request(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err instanceof Error && err.cause ? ` (${errorMessage(err.cause)})` : '';
    throw new InputError(`cannot download ${url}: ${errorMessage(err)}${cause}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new InputError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  return res;
}

async function downloadToFile(
  fetchImpl: typeof fetch,
  url: string,
  file: string,
  onBytes: (n: number, total?: number) => void,
): Promise<void> {
  const res = await request(fetchImpl, url, 30 * 60_000);
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  const total = Number.isFinite(declared) ? declared : undefined;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      onBytes(received, total);
      done(null, chunk);
    },
  });
  try {
    if (!res.body) throw new Error('empty response body');
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, createWriteStream(file));
  } catch (err) {
    throw new InputError(`cannot download ${url}: ${errorMessage(err)}`);
  }
  if (total !== undefined && received !== total) {
    throw new InputError(`cannot download ${url}: truncated, received ${received} of ${total} bytes`);
  }
}

/** Parses modified_id.csv ("<RFC 3339 modified>,<id>" per line) into the ids modified after `since`. */
export function changedSince(csv: string, since: string, where: string): { ids: string[]; newest?: string } {
  const sinceMs = Date.parse(since);
  const ids: string[] = [];
  let newest: string | undefined;
  let lineNo = 0;
  for (const raw of csv.split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (!line) continue;
    const comma = line.indexOf(',');
    const modified = line.slice(0, comma);
    const id = line.slice(comma + 1).trim();
    const ms = Date.parse(modified);
    if (comma <= 0 || !id || Number.isNaN(ms)) throw new InputError(`${where}:${lineNo}: expected "<modified>,<id>"`);
    // The file is a snapshot consistent with all.zip, so the newest time already stored is complete.
    if (ms <= sinceMs) continue;
    ids.push(id);
    if (!newest || ms > Date.parse(newest)) newest = modified;
  }
  return { ids, newest };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function planEcosystem(db: VulnDb, ecosystem: string, opts: UpdateOptions, tempDir: string): Promise<Plan> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const mirror = opts.mirror ?? DEFAULT_OSV_MIRROR;
  const since = db.getMeta(highWaterKey(ecosystem));
  if (since) {
    const csvUrl = ecosystemUrl(mirror, ecosystem, 'modified_id.csv');
    const csv = await (await request(fetchImpl, csvUrl, 5 * 60_000)).text();
    const { ids, newest } = changedSince(csv, since, csvUrl);
    if (ids.length === 0 || !newest) return { ecosystem, mode: 'current' };
    if (ids.length <= DELTA_LIMIT) {
      let fetched = 0;
      const records = await mapLimit(ids, DELTA_CONCURRENCY, async (id) => {
        const url = ecosystemUrl(mirror, ecosystem, `${id}.json`);
        const content = Buffer.from(await (await request(fetchImpl, url, 60_000)).arrayBuffer());
        opts.onProgress?.(updateProgress(ecosystem, 'delta', ++fetched, ids.length));
        return { id, content };
      });
      return { ecosystem, mode: 'delta', records, newest };
    }
  }
  const zipFile = path.join(tempDir, `.osv-${randomBytes(6).toString('hex')}.zip`);
  try {
    await downloadToFile(fetchImpl, ecosystemUrl(mirror, ecosystem, 'all.zip'), zipFile, (done, total) =>
      opts.onProgress?.(updateProgress(ecosystem, 'download', done, total)),
    );
    // Walk the archive once before touching the database, so a truncated or hostile zip fails here.
    for await (const _ of readZipJsonEntries(zipFile, opts.zipLimits)) {
      // reading validates sizes and CRCs
    }
  } catch (err) {
    await rm(zipFile, { force: true });
    throw err;
  }
  return { ecosystem, mode: 'full', zipFile };
}

/**
 * Brings the listed ecosystems up to date from an OSV mirror. Any download failure (server down,
 * 404, truncated zip) throws InputError before the database is touched; the apply step is one transaction.
 */
export async function updateDb(db: VulnDb, opts: UpdateOptions): Promise<UpdateStats> {
  if (opts.ecosystems.length === 0) throw new InputError('no ecosystems to update');
  const tempDir = path.dirname(db.file);
  const plans: Plan[] = [];
  try {
    for (const ecosystem of opts.ecosystems) plans.push(await planEcosystem(db, ecosystem, opts, tempDir));
    const result: UpdateStats = { ecosystems: [], warnings: [] };
    const highWater: HighWater = new Map();
    const session = db.beginWrite();
    try {
      for (const plan of plans) {
        const stats = emptyStats();
        const importOpts: ImportOptions = {
          onWarning: opts.onWarning,
          zipLimits: opts.zipLimits,
          onProgress: (p) => opts.onProgress?.(updateProgress(plan.ecosystem, 'apply', p.records)),
        };
        if (plan.mode === 'full') {
          const newest = await putZip(session, plan.zipFile, stats, importOpts, plan.ecosystem);
          if (newest) highWater.set(plan.ecosystem, newest);
        } else if (plan.mode === 'delta') {
          for (const r of plan.records) {
            const where = ecosystemUrl(opts.mirror ?? DEFAULT_OSV_MIRROR, plan.ecosystem, `${r.id}.json`);
            putRecordBytes(session, where, r.content, stats, importOpts, plan.ecosystem);
          }
          highWater.set(plan.ecosystem, plan.newest);
        }
        result.ecosystems.push({ ecosystem: plan.ecosystem, mode: plan.mode, stats });
        result.warnings.push(...stats.warnings);
      }
      finishWrite(db, session, opts.mirror ?? DEFAULT_OSV_MIRROR, highWater);
      session.commit();
    } catch (err) {
      session.rollback();
      throw err;
    }
    return result;
  } finally {
    for (const plan of plans) if (plan.mode === 'full') await rm(plan.zipFile, { force: true });
  }
}
