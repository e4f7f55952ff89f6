import { execFileSync } from 'node:child_process';
import os from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectInventory, parseOsRelease, parsePodmanPs } from './inventory.js';

describe('inventory parsers', () => {
  it('reads os-release with quoted and unquoted values', () => {
    expect(
      parseOsRelease('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n# c\nbad line\n'),
    ).toEqual({
      ID: 'debian',
      VERSION_ID: '12',
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('reads podman ps JSON', () => {
    const json = JSON.stringify([
      {
        Id: 'a'.repeat(64),
        Names: ['web'],
        Image: 'localhost/app:1',
        ImageID: 'b'.repeat(64),
        State: 'running',
        StartedAt: 1796000000,
        Labels: { tier: 'front', n: 1 },
      },
      { Names: ['no-id'] },
      'junk',
    ]);
    expect(parsePodmanPs(json)).toEqual([
      {
        id: 'a'.repeat(64),
        name: 'web',
        image: 'localhost/app:1',
        imageId: 'b'.repeat(64),
        state: 'running',
        startedAt: 1796000000,
        labels: { tier: 'front' },
        runtime: 'podman',
      },
    ]);
    expect(parsePodmanPs('null')).toEqual([]);
    expect(() => parsePodmanPs('Error: no podman')).toThrow(/not JSON/);
  });

  it('never crashes on arbitrary input (fuzz)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(typeof parseOsRelease(s)).toBe('object');
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(Array.isArray(parsePodmanPs(JSON.stringify(v)))).toBe(true);
      }),
    );
  });

  it('collects this host (and its podman containers) for real', async () => {
    const inv = await collectInventory('inv-host');
    expect(inv.host.hostname).toBe('inv-host');
    expect(inv.host.kernel).toBe(os.release());
    expect(inv.host.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(inv.host.os.id).toBeTruthy();
    const podman = JSON.parse(execFileSync('podman', ['ps', '--format', 'json'], { encoding: 'utf8' })) as unknown[];
    expect(inv.errors).toEqual([]);
    expect(Math.abs(inv.containers.length - podman.length)).toBeLessThanOrEqual(5); // others start/stop containers
  });
});
