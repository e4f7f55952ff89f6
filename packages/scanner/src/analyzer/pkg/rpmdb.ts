// The rpm analyzer: finds rpm's package database in any of its three formats (SQLite, Berkeley
// DB hash, NDB), tells them apart by their magic, and turns each header into a Package.

import { InputError, type Package } from '@palisade/core';
import type { Analyzer, AnalyzerContext } from '../types.js';
import { osPackagePurl } from './os-purl.js';
import { parseRpmHeader, parseSourceRpm, rpmEvr } from './rpm-header.js';
import { readBdbHashValues } from './rpmdb-bdb.js';
import { readNdbBlobs } from './rpmdb-ndb.js';
import { readSqliteBlobs } from './rpmdb-sqlite.js';

const RPMDB_PATHS = new Set([
  'var/lib/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
  'var/lib/rpm/Packages',
  'usr/lib/sysimage/rpm/Packages',
  'var/lib/rpm/Packages.db',
  'usr/lib/sysimage/rpm/Packages.db',
]);

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

/** Which rpmdb format a file is, from its first bytes; undefined when none. */
export function detectRpmDbFormat(db: Buffer): RpmDbFormat | undefined {
  if (db.length >= 16 && db.toString('latin1', 0, 16) === 'SQLite format 3\u0000') return 'sqlite';
  if (db.length >= 4 && db.toString('latin1', 0, 4) === 'RpmP') return 'ndb';
  if (db.length >= 4 && db.toString('latin1', 0, 4) === 'PmpR') return 'ndb';
  if (db.length >= 16 && (db.readUInt32LE(12) === 0x061561 || db.readUInt32BE(12) === 0x061561)) return 'bdb';
  return undefined;
}

/** The raw header blobs of an rpmdb file, whatever its format. */
export function readRpmDbBlobs(db: Buffer, filePath: string): Buffer[] {
  switch (detectRpmDbFormat(db)) {
    case 'sqlite':
      return readSqliteBlobs(db, filePath);
    case 'ndb':
      return readNdbBlobs(db, filePath);
    case 'bdb':
      return readBdbHashValues(db, filePath);
    default:
      throw new InputError(`${filePath}: not an rpm database (neither SQLite, Berkeley DB nor NDB)`);
  }
}

/**
 * Installed rpm packages, gpg-pubkey pseudo-packages excluded. `version` is
 * "[epoch:]version-release" (epoch only when > 0), the form OSV's RPM ecosystems compare.
 * A header that cannot be parsed is skipped with a warning, as rpm itself does.
 */
export function parseRpmDb(db: Buffer, filePath: string, warn: (message: string) => void = () => {}): Package[] {
  const packages: Package[] = [];
  const blobs = readRpmDbBlobs(db, filePath);
  for (let i = 0; i < blobs.length; i++) {
    try {
      const pkg = rpmPackage(blobs[i] as Buffer, `${filePath} record ${i + 1}`, filePath);
      if (pkg) packages.push(pkg);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      warn(err.message);
    }
  }
  return packages;
}

function rpmPackage(blob: Buffer, where: string, filePath: string): Package | undefined {
  const h = parseRpmHeader(blob, where);
  if (h.name === 'gpg-pubkey') return undefined;
  const version = rpmEvr(h.epoch, h.version, h.release);
  const pkg: Package = {
    name: h.name,
    version,
    ecosystem: 'Red Hat',
    purl: osPackagePurl('rpm', undefined, { name: h.name, version, arch: h.arch }, undefined),
    filePath,
  };
  if (h.arch) pkg.arch = h.arch;
  if (h.license) pkg.licenses = [h.license];
  const src = h.sourceRpm ? parseSourceRpm(h.sourceRpm) : undefined;
  // The source rpm's file name carries no epoch; the binary's is the source's (as rpmbuild sets it).
  pkg.srcName = src?.name ?? h.name;
  pkg.srcVersion = src ? rpmEvr(h.epoch, src.version, src.release) : version;
  return pkg;
}

export const rpmDbAnalyzer: Analyzer = {
  name: 'rpmdb',
  category: 'pkg',
  required: (path) => RPMDB_PATHS.has(path),
  async analyze(input, ctx: AnalyzerContext) {
    const packages = parseRpmDb(input.content, input.path, (m) => ctx.warn(m));
    return { packageSets: [{ class: 'os-pkgs', type: 'rpm', filePath: input.path, packages }] };
  },
};
