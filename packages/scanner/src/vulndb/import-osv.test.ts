import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError, NotFoundError } from '@palisade/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { makeZip } from '../../../../test-support/zip.js';
import { importOsv } from './import-osv.js';
import { VulnDb } from './vuln-db.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-vulndb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(id: string, modified: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    modified,
    summary: `summary of ${id}`,
    affected: [
      {
        package: { ecosystem: 'npm', name: 'left-pad' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
      },
    ],
    ...extra,
  };
}

describe('importOsv with the shared OSV dumps', () => {
  let db: VulnDb;
  let file: string;
  beforeAll(async () => {
    file = path.join(dir, 'shared', 'osv.sqlite');
    db = VulnDb.open(file);
    // The <ECOSYSTEM>/all.zip layout, as OSV publishes it.
    const stats = await importOsv(db, sharedDataPath('osv'));
    expect(stats.skipped).toBe(0);
    expect(stats.records).toBe(4291 + 1206 + 5637);
    expect(stats.added).toBe(stats.records);
  }, 120_000);
  afterAll(() => db.close());

  it('counts live records per ecosystem, leaving withdrawn ones out', () => {
    const s = db.status();
    // 30 records across the dumps are withdrawn: 17 Go, 13 crates.io.
    expect(s.ecosystems).toEqual({ AlmaLinux: 5637, Go: 4291 - 17, 'crates.io': 1206 - 13 });
    expect(s.total).toBe(4291 + 1206 + 5637 - 30);
    expect(s.source).toBe(sharedDataPath('osv'));
    expect(Date.parse(s.updatedAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
    expect(s.schemaVersion).toBe(1);
  });

  it('indexes records by ecosystem release and package name', () => {
    expect(db.advisories('crates.io', 'hyper').map((r) => r.id)).toContain('RUSTSEC-2021-0078');
    expect(db.advisories('Go', 'stdlib').map((r) => r.id)).toContain('GO-2022-0969');
    expect(db.advisories('Go', 'golang.org/x/net').map((r) => r.id)).toContain('GO-2022-0969');
    expect(db.advisories('AlmaLinux:10', 'firefox').map((r) => r.id)).toContain('ALSA-2025:10073');
    expect(db.advisories('AlmaLinux:9', 'firefox').map((r) => r.id)).not.toContain('ALSA-2025:10073');
    // Withdrawn: stored but not indexed.
    expect(db.advisories('Go', 'github.com/gravitational/teleport').map((r) => r.id)).not.toContain('GO-2024-2442');
  });

  it('is idempotent: a second import changes nothing', async () => {
    const before = db.status();
    const stats = await importOsv(db, sharedDataPath('osv', 'crates.io', 'all.zip'));
    expect(stats).toMatchObject({ records: 1206, added: 0, updated: 0, unchanged: 1206, skipped: 0 });
    expect(db.status().ecosystems).toEqual(before.ecosystems);
  });

  it('opens read-only for scans, and refuses to write through it', () => {
    const ro = VulnDb.open(file, { readonly: true });
    try {
      expect(ro.status().total).toBe(db.status().total);
      expect(() => ro.beginWrite()).toThrow(InputError);
    } finally {
      ro.close();
    }
  });
});

describe('importOsv', () => {
  it('updates a record only when its modified time is newer, and drops it from the index when withdrawn', async () => {
    const db = VulnDb.open(path.join(dir, 'update', 'osv.sqlite'));
    try {
      const src = path.join(dir, 'update-src');
      await mkdir(src, { recursive: true });
      const f = path.join(src, 'GHSA-1.json');
      await writeFile(f, JSON.stringify(record('GHSA-1', '2024-01-01T00:00:00Z')));
      expect(await importOsv(db, f)).toMatchObject({ added: 1 });
      expect(db.advisories('npm', 'left-pad')[0]?.summary).toBe('summary of GHSA-1');

      await writeFile(f, JSON.stringify(record('GHSA-1', '2023-06-01T00:00:00Z', { summary: 'older copy' })));
      expect(await importOsv(db, src)).toMatchObject({ unchanged: 1 });
      expect(db.advisories('npm', 'left-pad')[0]?.summary).toBe('summary of GHSA-1');

      await writeFile(f, JSON.stringify(record('GHSA-1', '2024-02-01T00:00:00.5Z', { summary: 'new copy' })));
      expect(await importOsv(db, src)).toMatchObject({ updated: 1 });
      expect(db.advisories('npm', 'left-pad')[0]?.summary).toBe('new copy');

      await writeFile(
        f,
        JSON.stringify(record('GHSA-1', '2024-03-01T00:00:00Z', { withdrawn: '2024-03-01T00:00:00Z' })),
      );
      expect(await importOsv(db, src)).toMatchObject({ updated: 1 });
      expect(db.advisories('npm', 'left-pad')).toEqual([]);
      expect(db.status().total).toBe(0);
    } finally {
      db.close();
    }
  });

  it('normalises PyPI names the same way on import and lookup', async () => {
    const db = VulnDb.open(path.join(dir, 'pypi', 'osv.sqlite'));
    try {
      const f = path.join(dir, 'PYSEC-1.json');
      await writeFile(
        f,
        JSON.stringify({
          id: 'PYSEC-1',
          modified: '2024-01-01T00:00:00Z',
          affected: [{ package: { ecosystem: 'PyPI', name: 'Zope.Interface' }, versions: ['1.0'] }],
        }),
      );
      await importOsv(db, f);
      expect(db.advisories('PyPI', 'zope-interface').map((r) => r.id)).toEqual(['PYSEC-1']);
    } finally {
      db.close();
    }
  });

  it('skips malformed records with a warning naming the file and field, and imports the rest', async () => {
    const db = VulnDb.open(path.join(dir, 'malformed', 'osv.sqlite'));
    try {
      const zip = path.join(dir, 'mixed.zip');
      await writeFile(
        zip,
        makeZip([
          { name: 'good.json', data: JSON.stringify(record('GOOD-1', '2024-01-01T00:00:00Z')) },
          { name: 'broken.json', data: '{"id": "BROKEN-1", ' },
          {
            name: 'bad-events.json',
            data: JSON.stringify(
              record('BAD-1', '2024-01-01T00:00:00Z', {
                affected: [{ ranges: [{ type: 'SEMVER', events: [{ introduced: 1 }] }] }],
              }),
            ),
          },
          { name: 'README.txt', data: 'not a record' },
        ]),
      );
      const warnings: string[] = [];
      const stats = await importOsv(db, zip, { onWarning: (w) => warnings.push(w) });
      expect(stats).toMatchObject({ records: 3, added: 1, skipped: 2 });
      expect(warnings).toEqual(stats.warnings);
      expect(warnings[0]).toContain('mixed.zip:broken.json');
      expect(warnings[1]).toMatch(/bad-events\.json.*affected\[0\]\.ranges\[0\]\.events\[0\]/);
    } finally {
      db.close();
    }
  });

  it('never crashes on arbitrary record-shaped JSON (fuzz)', async () => {
    const db = VulnDb.open(path.join(dir, 'fuzz', 'osv.sqlite'));
    try {
      const event = fc.dictionary(
        fc.constantFrom('introduced', 'fixed', 'last_affected', 'limit', 'x'),
        fc.oneof(fc.string(), fc.integer()),
        { maxKeys: 2 },
      );
      const affected = fc.record(
        {
          package: fc.oneof(
            fc.record({ ecosystem: fc.constantFrom('npm', 'PyPI', 'Debian:12', 'Go'), name: fc.string() }),
            fc.anything(),
          ),
          ranges: fc.array(
            fc.record({
              type: fc.constantFrom('SEMVER', 'ECOSYSTEM', 'GIT'),
              events: fc.array(event, { maxLength: 4 }),
            }),
            { maxLength: 3 },
          ),
          versions: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.anything()),
        },
        { requiredKeys: [] },
      );
      const rec = fc.record(
        {
          id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.anything()),
          modified: fc.oneof(fc.constant('2024-01-01T00:00:00Z'), fc.string()),
          withdrawn: fc.constant('2024-01-01T00:00:00Z'),
          aliases: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.anything()),
          affected: fc.oneof(fc.array(affected, { maxLength: 3 }), fc.anything()),
          references: fc.oneof(fc.array(fc.record({ url: fc.string() }), { maxLength: 2 }), fc.anything()),
        },
        { requiredKeys: ['id', 'modified'] },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              rec.map((r) => JSON.stringify(r)),
              fc.string(),
            ),
            { minLength: 1, maxLength: 5 },
          ),
          async (texts) => {
            const zip = path.join(dir, 'fuzz.zip');
            await writeFile(zip, makeZip(texts.map((data, i) => ({ name: `r${i}.json`, data }))));
            const stats = await importOsv(db, zip);
            expect(stats.records).toBe(texts.length);
            expect(stats.added + stats.updated + stats.unchanged + stats.skipped).toBe(texts.length);
            expect(stats.warnings).toHaveLength(stats.skipped);
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      db.close();
    }
  });

  it('rolls the whole import back when a zip is corrupt', async () => {
    const db = VulnDb.open(path.join(dir, 'rollback', 'osv.sqlite'));
    try {
      const src = path.join(dir, 'rollback-src');
      await mkdir(src, { recursive: true });
      await writeFile(path.join(src, 'a.json'), JSON.stringify(record('A-1', '2024-01-01T00:00:00Z')));
      const zip = makeZip([{ name: 'b.json', data: JSON.stringify(record('B-1', '2024-01-01T00:00:00Z')) }]);
      await writeFile(path.join(src, 'b.zip'), zip.subarray(0, zip.length - 10));
      await expect(importOsv(db, src)).rejects.toThrow(/b\.zip: not a readable zip archive/);
      expect(db.status().total).toBe(0);
    } finally {
      db.close();
    }
  });

  it('names a missing input path', async () => {
    const db = VulnDb.open(path.join(dir, 'missing', 'osv.sqlite'));
    try {
      await expect(importOsv(db, path.join(dir, 'nope'))).rejects.toThrow(NotFoundError);
    } finally {
      db.close();
    }
  });

  it('refuses a read-only open of a file that is not a vulnerability database', async () => {
    const f = path.join(dir, 'other.sqlite');
    await writeFile(f, '');
    expect(() => VulnDb.open(f, { readonly: true })).toThrow(/not a Palisade vulnerability database/);
    expect(() => VulnDb.open(path.join(dir, 'absent.sqlite'), { readonly: true })).toThrow(NotFoundError);
  });
});
