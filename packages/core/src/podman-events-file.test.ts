// podman's events log read as a file: appends, the `since` replay, rotation and junk lines, on
// real files (the real podman case runs in enricher-podman.test.ts).

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { followPodmanEventsFile, parsePodmanEventLine } from './podman-events-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-podman-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (id: string, status: string, time: Date, type = 'container') =>
  `${JSON.stringify({ ID: id, Name: `n-${id}`, Status: status, Time: time.toISOString(), Type: type })}\n`;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('podman events log file', () => {
  it('parses container events and nothing else, whatever the line holds (fast-check)', () => {
    expect(parsePodmanEventLine(line('abc', 'remove', new Date(0)))).toEqual({ id: 'abc', status: 'remove', time: 0 });
    expect(parsePodmanEventLine(line('img', 'pull', new Date(0), 'image'))).toBeUndefined();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const e = parsePodmanEventLine(text);
        if (e) {
          expect(typeof e.id).toBe('string');
          expect(e.id).not.toBe('');
        }
      }),
    );
  });

  it('reports appended events, replays those since the given time, and survives a rotation', async () => {
    const file = path.join(dir, 'events.log');
    const t0 = Date.now();
    writeFileSync(
      file,
      line('old', 'create', new Date(t0 - 60_000)) + line('recent', 'start', new Date(t0 - 500)) + 'not json\n',
    );
    const seen: string[] = [];
    const stop = followPodmanEventsFile(file, (e) => seen.push(`${e.id}:${e.status}`), new Date(t0 - 1000));
    try {
      expect(seen).toEqual(['recent:start']);
      appendFileSync(file, line('a', 'died', new Date()) + line('img', 'pull', new Date(), 'image'));
      // Written in two pieces: the reader must wait for the end of the line.
      const half = line('b', 'remove', new Date());
      appendFileSync(file, half.slice(0, 20));
      await until(() => seen.includes('a:died'));
      appendFileSync(file, half.slice(20));
      await until(() => seen.includes('b:remove'));
      expect(seen).toEqual(['recent:start', 'a:died', 'b:remove']);

      // Rotation: podman rewrites the file smaller, keeping recent lines; a new event follows.
      writeFileSync(file, line('b', 'remove', new Date()) + line('c', 'create', new Date()));
      await until(() => seen.includes('c:create'));
      expect(seen).toContain('c:create');
      expect(seen.filter((s) => s === 'old:create')).toHaveLength(0);
    } finally {
      stop();
    }
  });

  it('without a start time, treats what the file holds as history', async () => {
    const file = path.join(dir, 'history.log');
    writeFileSync(file, line('before', 'create', new Date()));
    const seen: string[] = [];
    const stop = followPodmanEventsFile(file, (e) => seen.push(e.id));
    try {
      appendFileSync(file, line('after', 'create', new Date()));
      await until(() => seen.length > 0);
      expect(seen).toEqual(['after']);
    } finally {
      stop();
    }
  });
});
