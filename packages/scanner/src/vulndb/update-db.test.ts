import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { makeZip } from '../../../../test-support/zip.js';
import { readZipJsonEntries } from './osv-zip.js';
import { changedSince, updateDb } from './update-db.js';
import { VulnDb } from './vuln-db.js';

// A stand-in for OSV's bucket on loopback: files from an overlay folder the test writes, then the shared dumps.
let dir: string;
let overlay: string;
let server: http.Server;
let mirror: string;
let requests: string[] = [];

function serveFile(res: http.ServerResponse, file: string): boolean {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    return false;
  }
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
  return true;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-update-'));
  overlay = path.join(dir, 'overlay');
  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    requests.push(rel);
    if (rel.includes('..')) {
      res.writeHead(400).end();
      return;
    }
    if (rel === 'Lying/all.zip') {
      // Declares more bytes than it sends, then hangs up.
      res.writeHead(200, { 'content-length': 100_000 });
      res.write(Buffer.alloc(1000));
      res.destroy();
      return;
    }
    if (serveFile(res, path.join(overlay, rel))) return;
    if (serveFile(res, path.join(sharedDataPath('osv'), rel))) return;
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
});

async function rustsecRecord(id: string): Promise<Record<string, unknown>> {
  for await (const e of readZipJsonEntries(sharedDataPath('osv', 'crates.io', 'all.zip'))) {
    if (e.name === `${id}.json`) return JSON.parse(e.content.toString('utf8')) as Record<string, unknown>;
  }
  throw new Error(`${id} not in the dump`);
}

describe('updateDb against a loopback mirror', () => {
  let db: VulnDb;
  beforeAll(() => {
    db = VulnDb.open(path.join(dir, 'cache', 'db', 'osv.sqlite'));
  });
  afterAll(() => db.close());

  it('downloads all.zip on the first run', async () => {
    const progress: string[] = [];
    const result = await updateDb(db, {
      mirror,
      ecosystems: ['crates.io', 'AlmaLinux'],
      onProgress: (p) => progress.push(p.phase),
    });
    expect(result.ecosystems.map((e) => [e.ecosystem, e.mode, e.stats.added])).toEqual([
      ['crates.io', 'full', 1206],
      ['AlmaLinux', 'full', 5637],
    ]);
    expect(requests).toEqual(['crates.io/all.zip', 'AlmaLinux/all.zip']);
    expect(progress).toContain('download');
    expect(db.status()).toMatchObject({ ecosystems: { 'crates.io': 1193, AlmaLinux: 5637 }, source: mirror });
    expect(db.getMeta('osv:crates.io:modified')).toMatch(/^\d{4}-/);
  });

  it('then fetches only the records modified_id.csv lists as newer', async () => {
    const changed = {
      ...(await rustsecRecord('RUSTSEC-2021-0078')),
      modified: '2030-01-01T00:00:00Z',
      summary: 'changed upstream',
    };
    await mkdir(path.join(overlay, 'crates.io'), { recursive: true });
    await writeFile(path.join(overlay, 'crates.io', 'RUSTSEC-2021-0078.json'), JSON.stringify(changed));
    await writeFile(
      path.join(overlay, 'crates.io', 'modified_id.csv'),
      '2030-01-01T00:00:00Z,RUSTSEC-2021-0078\n2001-01-01T00:00:00Z,RUSTSEC-2016-0001\n',
    );
    const result = await updateDb(db, { mirror, ecosystems: ['crates.io'] });
    expect(result.ecosystems[0]).toMatchObject({ ecosystem: 'crates.io', mode: 'delta' });
    expect(result.ecosystems[0]?.stats).toMatchObject({ updated: 1, added: 0 });
    expect(requests).toEqual(['crates.io/modified_id.csv', 'crates.io/RUSTSEC-2021-0078.json']);
    expect(db.advisories('crates.io', 'hyper').find((r) => r.id === 'RUSTSEC-2021-0078')?.summary).toBe(
      'changed upstream',
    );
    expect(db.getMeta('osv:crates.io:modified')).toBe('2030-01-01T00:00:00Z');

    // Nothing newer: only the csv is read.
    requests = [];
    const again = await updateDb(db, { mirror, ecosystems: ['crates.io'] });
    expect(again.ecosystems[0]?.mode).toBe('current');
    expect(requests).toEqual(['crates.io/modified_id.csv']);
  });

  it('fails with an InputError and leaves the database as it was when a file is missing (404)', async () => {
    const before = db.status();
    // crates.io would be current; npm has no all.zip on this mirror: nothing may change.
    await expect(updateDb(db, { mirror, ecosystems: ['crates.io', 'npm'] })).rejects.toThrow(/npm\/all\.zip: HTTP 404/);
    expect(db.status().ecosystems).toEqual(before.ecosystems);
  });

  it('fails with an InputError when the server is down', async () => {
    const before = db.status();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await updateDb(db, { mirror: `http://127.0.0.1:${port}`, ecosystems: ['Go'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/cannot download http:\/\/127\.0\.0\.1:\d+\/Go\/all\.zip/);
    expect(db.status()).toEqual(before);
  });

  it('rejects a truncated zip and a download cut short, before touching the database', async () => {
    const before = db.status();
    const good = readFileSync(sharedDataPath('osv', 'Go', 'all.zip'));
    await mkdir(path.join(overlay, 'Truncated'), { recursive: true });
    await writeFile(path.join(overlay, 'Truncated', 'all.zip'), good.subarray(0, good.length >> 1));
    await expect(updateDb(db, { mirror, ecosystems: ['Truncated'] })).rejects.toThrow(/not a readable zip archive/);
    await expect(updateDb(db, { mirror, ecosystems: ['Lying'] })).rejects.toThrow(/cannot download .*Lying\/all\.zip/);
    expect(db.status()).toEqual(before);
  });

  it('rejects a corrupt delta record list', async () => {
    await writeFile(path.join(overlay, 'crates.io', 'modified_id.csv'), 'yesterday;RUSTSEC-2021-0078\n');
    await expect(updateDb(db, { mirror, ecosystems: ['crates.io'] })).rejects.toThrow(/modified_id\.csv:1: expected/);
  });

  it('downloads all.zip for a new ecosystem through a custom fetch', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const zip = makeZip([
      {
        name: 'X-1.json',
        data: JSON.stringify({
          id: 'X-1',
          modified: '2024-01-01T00:00:00Z',
          affected: [
            {
              package: { ecosystem: 'Rocky Linux:9', name: 'openssl' },
              ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-1.el9' }] }],
            },
          ],
        }),
      },
    ]);
    await mkdir(path.join(overlay, 'Rocky Linux'), { recursive: true });
    await writeFile(path.join(overlay, 'Rocky Linux', 'all.zip'), zip);
    const result = await updateDb(db, { mirror: `${mirror}/`, ecosystems: ['Rocky Linux'], fetchImpl: counting });
    expect(calls).toBe(1);
    expect(requests).toEqual(['Rocky Linux/all.zip']);
    expect(result.ecosystems[0]?.stats.added).toBe(1);
    expect(db.advisories('Rocky Linux:9', 'openssl').map((r) => r.id)).toEqual(['X-1']);
  });
});

describe('changedSince', () => {
  it('keeps the ids modified after the mark, newest time first', () => {
    const csv = '2024-03-01T00:00:00Z,B\n2024-02-01T00:00:00.123Z,A\n2024-01-01T00:00:00Z,OLD\n\n';
    expect(changedSince(csv, '2024-01-01T00:00:00Z', 'x')).toEqual({ ids: ['B', 'A'], newest: '2024-03-01T00:00:00Z' });
    expect(changedSince(csv, '2024-03-01T00:00:00Z', 'x')).toEqual({ ids: [], newest: undefined });
  });
});
