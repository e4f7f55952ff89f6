// `palisade db import`: loads OSV JSON from a directory tree, a single zip, or a directory of
// <ECOSYSTEM>/all.zip into the store, in one transaction, re-importing by id + modified.

import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, InputError, NotFoundError } from '@palisade/core';
import { type OsvRecord, parseOsvRecord } from './osv-record.js';
import { DEFAULT_ZIP_LIMITS, readZipJsonEntries, type ZipLimits } from './osv-zip.js';
import type { VulnDb, WriteSession } from './vuln-db.js';

export interface ImportProgress {
  /** The file being read. */
  source: string;
  /** Records read so far in this import. */
  records: number;
  /** One line for a progress display: "crates.io/all.zip: 1200 records". */
  message: string;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Called for each skipped record or file, besides collecting it in the stats. */
  onWarning?: (message: string) => void;
  zipLimits?: ZipLimits;
}

export interface ImportStats {
  records: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Records rejected as malformed (each has a warning). */
  skipped: number;
  warnings: string[];
}

export function emptyStats(): ImportStats {
  return { records: 0, added: 0, updated: 0, unchanged: 0, skipped: 0, warnings: [] };
}

/** High-water marks (newest `modified`) per ecosystem of complete dumps read in one import or update. */
export type HighWater = Map<string, string>;

export const highWaterKey = (ecosystem: string): string => `osv:${ecosystem}:modified`;

const PROGRESS_EVERY = 500;

function importProgress(source: string, records: number): ImportProgress {
  return { source, records, message: `${path.basename(source)}: ${records} records` };
}

/** Parses and stores one record's bytes; malformed input becomes a warning, never an exception. */
export function putRecordBytes(
  session: WriteSession,
  where: string,
  content: Buffer,
  stats: ImportStats,
  opts: ImportOptions,
  fallbackEcosystem?: string,
): OsvRecord | undefined {
  stats.records++;
  let record: OsvRecord;
  try {
    record = parseOsvRecord(JSON.parse(content.toString('utf8')));
  } catch (err) {
    stats.skipped++;
    const message = `${where}: skipped malformed OSV record (${errorMessage(err)})`;
    stats.warnings.push(message);
    opts.onWarning?.(message);
    return undefined;
  }
  stats[session.put(record, fallbackEcosystem)]++;
  return record;
}

/** Reads every record of a zip into the session; returns the newest `modified` seen. */
export async function putZip(
  session: WriteSession,
  file: string,
  stats: ImportStats,
  opts: ImportOptions,
  ecosystem?: string,
): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const entry of readZipJsonEntries(file, opts.zipLimits ?? DEFAULT_ZIP_LIMITS)) {
    const record = putRecordBytes(session, `${file}:${entry.name}`, entry.content, stats, opts, ecosystem);
    if (record && (!newest || Date.parse(record.modified) > Date.parse(newest))) newest = record.modified;
    if (stats.records % PROGRESS_EVERY === 0) opts.onProgress?.(importProgress(file, stats.records));
  }
  return newest;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      throw new InputError(`${d}: cannot list directory (${errorMessage(err)})`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** A zip named all.zip inside a folder is a complete dump of the ecosystem the folder is named after. */
function dumpEcosystem(file: string): string | undefined {
  return path.basename(file) === 'all.zip' ? path.basename(path.dirname(file)) : undefined;
}

/**
 * Imports `input`: a directory (OSV JSON files and zips, recursively), a zip, or one JSON file.
 * Everything lands in one transaction: an unreadable zip rolls the whole import back.
 */
export async function importOsv(db: VulnDb, input: string, opts: ImportOptions = {}): Promise<ImportStats> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch {
    throw new NotFoundError(`${input}: no such file or directory to import`);
  }
  const files = info.isDirectory() ? await listFiles(input) : [input];
  const zipLimits = opts.zipLimits ?? DEFAULT_ZIP_LIMITS;
  const stats = emptyStats();
  const highWater: HighWater = new Map();
  const session = db.beginWrite();
  try {
    for (const file of files) {
      const lower = file.toLowerCase();
      if (lower.endsWith('.zip')) {
        const ecosystem = dumpEcosystem(file);
        const newest = await putZip(session, file, stats, { ...opts, zipLimits }, ecosystem);
        if (ecosystem && newest) highWater.set(ecosystem, newest);
      } else if (lower.endsWith('.json')) {
        const size = (await stat(file)).size;
        if (size > zipLimits.maxEntryBytes) {
          stats.skipped++;
          const message = `${file}: skipped, ${size} bytes is more than the limit of ${zipLimits.maxEntryBytes}`;
          stats.warnings.push(message);
          opts.onWarning?.(message);
          continue;
        }
        putRecordBytes(session, file, await readFile(file), stats, opts);
        if (stats.records % PROGRESS_EVERY === 0) opts.onProgress?.(importProgress(file, stats.records));
      } else if (!info.isDirectory()) {
        throw new InputError(`${file}: not an OSV zip or JSON file`);
      }
    }
    finishWrite(db, session, path.resolve(input), highWater);
    session.commit();
  } catch (err) {
    session.rollback();
    throw err;
  }
  opts.onProgress?.(importProgress(input, stats.records));
  return stats;
}

/** Records when and from where the data came, and the per-ecosystem marks the next delta update starts from. */
export function finishWrite(db: VulnDb, session: WriteSession, source: string, highWater: HighWater): void {
  for (const [ecosystem, newest] of highWater) {
    const previous = db.getMeta(highWaterKey(ecosystem));
    if (!previous || Date.parse(newest) > Date.parse(previous)) session.setMeta(highWaterKey(ecosystem), newest);
  }
  session.setMeta('updated_at', new Date().toISOString());
  session.setMeta('source', source);
}
