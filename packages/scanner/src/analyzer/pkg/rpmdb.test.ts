import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../../test-support/paths.js';
import { finalizeOsPackages } from './finalize-os-packages.js';
import { parseRpmHeader, parseSourceRpm, rpmEvr } from './rpm-header.js';
import { detectRpmDbFormat, parseRpmDb, rpmDbAnalyzer } from './rpmdb.js';
import { readSqliteBlobs } from './rpmdb-sqlite.js';

// Real rpm databases: rpmbuild builds two noarch packages from committed spec files, rpm installs
// them into a fresh SQLite rpmdb, Berkeley DB's own db_load writes the same headers as a hash file
// (both byte orders), and rpm itself is the oracle. NDB has no writer here, so the test lays out
// the documented NDB format around the same real header blobs.

const fixtures = path.join(repoRoot, 'packages/scanner/test/fixtures/os-pkgs');
let work: string;
let sqliteDb: Buffer;
let blobs: Buffer[];
let oracle: string[];

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'palisade-rpmdb-'));
  const top = path.join(work, 'rpmbuild');
  for (const spec of ['hello-palisade.spec', 'tiny-lib.spec']) {
    run('rpmbuild', ['--define', `_topdir ${top}`, '-bb', path.join(fixtures, spec)]);
  }
  const dbDir = path.join(work, 'db');
  mkdirSync(dbDir);
  run('rpm', ['--initdb', '--dbpath', dbDir, '--define', '_db_backend sqlite']);
  const rpms = ['hello-palisade-1.2.3-4.el9.noarch.rpm', 'tiny-lib-0.9-1.noarch.rpm'].map((f) =>
    path.join(top, 'RPMS/noarch', f),
  );
  run('rpm', ['-i', '--nodeps', '--justdb', '--dbpath', dbDir, '--define', '_db_backend sqlite', ...rpms]);
  oracle = rpmOracle(dbDir, 'sqlite');
  sqliteDb = readFileSync(path.join(dbDir, 'rpmdb.sqlite'));
  blobs = readSqliteBlobs(sqliteDb, 'rpmdb.sqlite');
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function rpmOracle(dbDir: string, backend: string): string[] {
  const out = run('rpm', [
    '-qa',
    '--dbpath',
    dbDir,
    '--define',
    `_db_backend ${backend}`,
    '--qf',
    '%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{SOURCERPM}\\n',
  ]);
  return out.trim().split('\n').sort();
}

/** Our packages in the oracle's shape: name epoch version release sourcerpm. */
function asOracle(db: Buffer, file: string): string[] {
  return parseRpmDb(db, file)
    .map((p) => {
      const colon = p.version.indexOf(':');
      const epoch = colon > 0 ? p.version.slice(0, colon) : '0';
      const evr = colon > 0 ? p.version.slice(colon + 1) : p.version;
      const dash = evr.lastIndexOf('-');
      const srcEvr = (p.srcVersion ?? '').replace(/^\d+:/, '');
      return `${p.name} ${epoch} ${evr.slice(0, dash)} ${evr.slice(dash + 1)} ${p.srcName}-${srcEvr}.src.rpm`;
    })
    .sort();
}

/** Writes the header blobs as a Berkeley DB hash file with db_load, keyed like rpm (record 0 = counter). */
function bdbWithDbLoad(values: Buffer[], options: string[]): Buffer {
  const dump = ['VERSION=3', 'format=bytevalue', 'type=hash', 'HEADER=END', ' 00000000', ' 03000000'];
  values.forEach((blob, i) => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(i + 1);
    dump.push(` ${key.toString('hex')}`, ` ${blob.toString('hex')}`);
  });
  dump.push('DATA=END', '');
  const dumpFile = path.join(work, `dump-${options.join('-')}.txt`);
  const dbFile = path.join(work, `Packages-${options.join('-')}`);
  writeFileSync(dumpFile, dump.join('\n'));
  rmSync(dbFile, { force: true });
  run('db5.3_load', [...options.flatMap((o) => ['-c', o]), '-f', dumpFile, dbFile]);
  return readFileSync(dbFile);
}

/** Lays out rpm's NDB format: 32-byte header, one slot page (a free slot first), blobs in 16-byte blocks. */
function writeNdb(values: Buffer[]): Buffer {
  const page = 4096;
  const parts: Buffer[] = [];
  const slots = Buffer.alloc(page);
  slots.write('RpmP', 0, 'latin1');
  slots.writeUInt32LE(0, 4);
  slots.writeUInt32LE(1, 8);
  slots.writeUInt32LE(1, 12);
  for (let at = 32; at < page; at += 16) slots.write('Slot', at, 'latin1');
  let block = page / 16;
  values.forEach((blob, i) => {
    const slot = 32 + (i + 1) * 16; // slot 0 stays free
    const size = Math.ceil((16 + blob.length + 12) / 16) * 16;
    const rec = Buffer.alloc(size);
    rec.write('BlbS', 0, 'latin1');
    rec.writeUInt32LE(i + 1, 4);
    rec.writeUInt32LE(1_700_000_000, 8);
    rec.writeUInt32LE(blob.length, 12);
    blob.copy(rec, 16);
    rec.writeUInt32LE(blob.length, 16 + blob.length + 4);
    rec.write('BlbE', 16 + blob.length + 8, 'latin1');
    slots.writeUInt32LE(i + 1, slot + 4);
    slots.writeUInt32LE(block, slot + 8);
    slots.writeUInt32LE(size / 16, slot + 12);
    block += size / 16;
    parts.push(rec);
  });
  return Buffer.concat([slots, ...parts]);
}

/** A minimal header blob with the given string tags (and an optional epoch), as rpm lays it out. */
function headerBlob(strings: Record<number, string>, epoch?: number): Buffer {
  const entries: Buffer[] = [];
  const data: Buffer[] = [];
  let offset = 0;
  if (epoch !== undefined) {
    const e = Buffer.alloc(16);
    e.writeUInt32BE(1003, 0);
    e.writeUInt32BE(4, 4);
    e.writeUInt32BE(offset, 8);
    e.writeUInt32BE(1, 12);
    entries.push(e);
    const v = Buffer.alloc(4);
    v.writeUInt32BE(epoch);
    data.push(v);
    offset += 4;
  }
  for (const [tag, value] of Object.entries(strings)) {
    const e = Buffer.alloc(16);
    e.writeUInt32BE(Number(tag), 0);
    e.writeUInt32BE(6, 4);
    e.writeUInt32BE(offset, 8);
    e.writeUInt32BE(1, 12);
    entries.push(e);
    const v = Buffer.from(`${value}\0`);
    data.push(v);
    offset += v.length;
  }
  const intro = Buffer.alloc(8);
  intro.writeUInt32BE(entries.length, 0);
  intro.writeUInt32BE(offset, 4);
  return Buffer.concat([intro, ...entries, ...data]);
}

const expected = [
  'hello-palisade 2 1.2.3 4.el9 hello-palisade-1.2.3-4.el9.src.rpm',
  'tiny-lib 0 0.9 1 tiny-lib-0.9-1.src.rpm',
];

describe('rpmdb SQLite', () => {
  it('reads every package rpm -qa lists, with epochs and source rpms', () => {
    expect(oracle).toEqual(expected);
    expect(asOracle(sqliteDb, 'var/lib/rpm/rpmdb.sqlite')).toEqual(oracle);
  });

  it('fills version as epoch:version-release, source package, arch and license', () => {
    const pkgs = parseRpmDb(sqliteDb, 'var/lib/rpm/rpmdb.sqlite');
    const hello = pkgs.find((p) => p.name === 'hello-palisade');
    expect(hello).toMatchObject({
      version: '2:1.2.3-4.el9',
      srcName: 'hello-palisade',
      srcVersion: '2:1.2.3-4.el9',
      arch: 'noarch',
      licenses: ['MIT and BSD'],
      filePath: 'var/lib/rpm/rpmdb.sqlite',
    });
    const tiny = pkgs.find((p) => p.name === 'tiny-lib');
    expect(tiny).toMatchObject({ version: '0.9-1', srcName: 'tiny-lib', srcVersion: '0.9-1', licenses: ['GPLv2+'] });
  });

  it('rejects a truncated database with InputError', () => {
    expect(() => parseRpmDb(sqliteDb.subarray(0, 2048), 'rpmdb.sqlite')).toThrow(InputError);
  });
});

describe('rpmdb Berkeley DB hash', () => {
  it('reads a little-endian hash file written by db_load, as rpm bdb_ro does', () => {
    const db = bdbWithDbLoad(blobs, ['db_pagesize=4096']);
    expect(detectRpmDbFormat(db)).toBe('bdb');
    const dir = path.join(work, 'bdb-le');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'Packages'), db);
    expect(rpmOracle(dir, 'bdb_ro')).toEqual(expected);
    expect(asOracle(db, 'var/lib/rpm/Packages')).toEqual(expected);
  });

  it('reads a big-endian hash file with small pages (long overflow chains)', () => {
    const db = bdbWithDbLoad(blobs, ['db_lorder=4321', 'db_pagesize=512']);
    expect(db.readUInt32BE(12)).toBe(0x061561);
    expect(asOracle(db, 'var/lib/rpm/Packages')).toEqual(expected);
  });

  it('reports an overflow chain that loops instead of following it forever', () => {
    const db = Buffer.from(bdbWithDbLoad(blobs, ['db_pagesize=512']));
    // Point every overflow page's next-page link at itself.
    for (let page = 1; page * 512 < db.length; page++) {
      if (db[page * 512 + 25] === 7) db.writeUInt32LE(page, page * 512 + 16);
    }
    expect(() => parseRpmDb(db, 'Packages')).toThrow(/overflow/);
  });

  it('never reads out of range on corrupted bytes (fuzz)', () => {
    const db = bdbWithDbLoad(blobs, ['db_pagesize=512']);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(db.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (edits) => {
          const copy = Buffer.from(db);
          for (const [at, byte] of edits) copy[at] = byte;
          expectInputErrorOrPackages(() => parseRpmDb(copy, 'Packages'));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('rpmdb NDB', () => {
  it('reads the header blobs from NDB slots, skipping free slots', () => {
    const db = writeNdb(blobs);
    expect(detectRpmDbFormat(db)).toBe('ndb');
    expect(asOracle(db, 'usr/lib/sysimage/rpm/Packages.db')).toEqual(expected);
  });

  it('rejects a slot that points past the end of the file', () => {
    const db = writeNdb(blobs);
    db.writeUInt32LE(0xffffff, 32 + 16 + 8);
    expect(() => parseRpmDb(db, 'Packages.db')).toThrow(/outside the blob area/);
  });

  it('never reads out of range on corrupted bytes (fuzz)', () => {
    const db = writeNdb(blobs);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(db.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (edits) => {
          const copy = Buffer.from(db);
          // Each edit lands twice: anywhere, and in the file header or the used slots, where offsets live.
          for (const [at, byte] of edits) {
            copy[at] = byte;
            copy[at % 96] = byte;
          }
          expectInputErrorOrPackages(() => parseRpmDb(copy, 'Packages.db'));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('rpm header', () => {
  it('skips gpg-pubkey pseudo-packages', () => {
    const key = headerBlob({ 1000: 'gpg-pubkey', 1001: 'fd431d51', 1002: '4ae0493b' });
    const db = writeNdb([key, blobNamed('hello-palisade')]);
    expect(parseRpmDb(db, 'Packages.db').map((p) => p.name)).toEqual(['hello-palisade']);
  });

  it('warns about and skips a header that lacks its name', () => {
    const warnings: string[] = [];
    const db = writeNdb([headerBlob({ 1001: '1.0', 1002: '1' }), blobNamed('tiny-lib')]);
    expect(parseRpmDb(db, 'Packages.db', (m) => warnings.push(m)).map((p) => p.name)).toEqual(['tiny-lib']);
    expect(warnings).toEqual([expect.stringMatching(/Packages.db record 1: .*lacks NAME/)]);
  });

  it('reads epoch, vendor and modularity label', () => {
    const h = parseRpmHeader(
      headerBlob(
        { 1000: 'nginx', 1001: '1.20.1', 1002: '14.module_el9.2.0+1', 1011: 'AlmaLinux', 5096: 'nginx:1.20:9020:abc' },
        1,
      ),
      'blob',
    );
    expect(h).toEqual({
      name: 'nginx',
      version: '1.20.1',
      release: '14.module_el9.2.0+1',
      epoch: 1,
      vendor: 'AlmaLinux',
      modularityLabel: 'nginx:1.20:9020:abc',
    });
  });

  it('throws InputError, never RangeError, on arbitrary bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseRpmHeader(Buffer.from(bytes), 'blob');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
    );
    const real = blobs[0] as Buffer;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (edits) => {
          const copy = Buffer.from(real);
          for (const [at, byte] of edits) copy[at % 200] = byte;
          try {
            parseRpmHeader(copy, 'blob');
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits source rpm file names and writes EVRs as OSV does', () => {
    expect(parseSourceRpm('bash-5.1.8-6.el9.src.rpm')).toEqual({ name: 'bash', version: '5.1.8', release: '6.el9' });
    expect(parseSourceRpm('python3-pip-wheel-21.2.3-7.el9.nosrc.rpm')?.name).toBe('python3-pip-wheel');
    expect(parseSourceRpm('bash.rpm')).toBeUndefined();
    expect(parseSourceRpm('bash-1.src.rpm')).toBeUndefined();
    expect(rpmEvr(0, '5.1.8', '6.el9')).toBe('5.1.8-6.el9');
    expect(rpmEvr(1, '0.1.15', '2.git2d0b8a3.module_el8.5.0+119+9a9ec082')).toBe(
      '1:0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082',
    );
  });
});

describe('rpmdb analyzer', () => {
  it('wants the rpmdb files of every format and nothing else', () => {
    const info = { size: 1, mode: 0o100644 };
    for (const p of [
      'var/lib/rpm/rpmdb.sqlite',
      'usr/lib/sysimage/rpm/rpmdb.sqlite',
      'var/lib/rpm/Packages',
      'var/lib/rpm/Packages.db',
      'usr/lib/sysimage/rpm/Packages.db',
    ]) {
      expect(rpmDbAnalyzer.required(p, info)).toBe(true);
    }
    expect(rpmDbAnalyzer.required('var/lib/rpm/Name', info)).toBe(false);
    expect(rpmDbAnalyzer.required('home/u/var/lib/rpm/Packages', info)).toBe(false);
  });

  it('yields an os-pkgs set that finalization turns into AlmaLinux packages with purls', async () => {
    const result = await rpmDbAnalyzer.analyze(
      { path: 'var/lib/rpm/rpmdb.sqlite', size: sqliteDb.length, mode: 0o100644, content: sqliteDb },
      { warn: () => {} },
    );
    const set = result?.packageSets?.[0];
    expect(set).toMatchObject({ class: 'os-pkgs', type: 'rpm', filePath: 'var/lib/rpm/rpmdb.sqlite' });
    if (!set) throw new Error('no package set');
    const final = finalizeOsPackages(set, { family: 'alma', version: '9.3' });
    const hello = final.packages.find((p) => p.name === 'hello-palisade');
    expect(hello?.ecosystem).toBe('AlmaLinux');
    expect(hello?.purl).toBe('pkg:rpm/almalinux/hello-palisade@1.2.3-4.el9?arch=noarch&distro=almalinux-9.3&epoch=2');
    expect(hello?.version).toBe('2:1.2.3-4.el9');
  });
});

function blobNamed(name: string): Buffer {
  const blob = blobs.find((b) => parseRpmHeader(b, 'blob').name === name);
  if (!blob) throw new Error(`no header for ${name}`);
  return blob;
}

function expectInputErrorOrPackages(fn: () => unknown): void {
  try {
    expect(Array.isArray(fn())).toBe(true);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  }
}
