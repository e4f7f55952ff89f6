import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ContainerInventory,
  collectInventory,
  dedupeImages,
  parseCtrTaskStates,
  parseDockerContainerList,
  parseOsRelease,
  parsePodmanPs,
} from './inventory.js';

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

  it('reads the Docker API container list, pods from kubelet labels', () => {
    const json = JSON.stringify([
      {
        Id: 'c'.repeat(64),
        Names: ['/shop_api_1'],
        Image: 'registry.example/api:2',
        ImageID: `sha256:${'d'.repeat(64)}`,
        State: 'running',
        Labels: { 'io.kubernetes.pod.name': 'api-7f9', 'io.kubernetes.pod.namespace': 'shop', x: 1 },
      },
      { Id: 'e'.repeat(64), Names: [], Image: 'busybox' },
    ]);
    expect(parseDockerContainerList(json)).toMatchObject([
      {
        id: 'c'.repeat(64),
        name: 'shop_api_1',
        image: 'registry.example/api:2',
        state: 'running',
        runtime: 'docker',
        labels: { 'io.kubernetes.pod.name': 'api-7f9', 'io.kubernetes.pod.namespace': 'shop' },
        k8s: { namespace: 'shop', pod: 'api-7f9' },
      },
      { id: 'e'.repeat(64), name: 'e'.repeat(12), image: 'busybox', labels: {}, runtime: 'docker' },
    ]);
    expect(parseDockerContainerList('{"message":"page not found"}')).toEqual([]);
  });

  it("reads ctr's task table", () => {
    const table = 'TASK      PID     STATUS\nweb       4242    RUNNING\njob       0       STOPPED\n\nbroken\n';
    expect([...parseCtrTaskStates(table)]).toEqual([
      ['web', 'running'],
      ['job', 'stopped'],
    ]);
  });

  it('lists each image once, by id, then digest, then name', () => {
    const c = (over: Partial<ContainerInventory>): ContainerInventory => ({
      id: Math.random().toString(16),
      name: 'n',
      image: '',
      labels: {},
      runtime: 'podman',
      ...over,
    });
    const images = dedupeImages([
      c({ image: 'localhost/app:1', imageId: 'f1' }),
      c({ image: 'localhost/app:latest', imageId: 'f1' }),
      c({ image: 'docker.io/library/app:1', imageDigest: 'sha256:aa', runtime: 'containerd' }),
      c({ image: 'docker.io/library/app:1', imageDigest: 'sha256:aa', runtime: 'containerd' }),
      c({ image: 'busybox', runtime: 'docker' }),
      c({ image: 'busybox', runtime: 'podman' }),
      c({}),
    ]);
    expect(images).toEqual([
      {
        name: 'localhost/app:1',
        names: ['localhost/app:1', 'localhost/app:latest'],
        id: 'f1',
        runtimes: ['podman'],
        containers: 2,
      },
      {
        name: 'docker.io/library/app:1',
        names: ['docker.io/library/app:1'],
        digest: 'sha256:aa',
        runtimes: ['containerd'],
        containers: 2,
      },
      { name: 'busybox', names: ['busybox'], runtimes: ['docker', 'podman'], containers: 2 },
    ]);
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
        expect(Array.isArray(parseDockerContainerList(JSON.stringify(v)))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const [id, state] of parseCtrTaskStates(s)) expect(id.length > 0 && state.length > 0).toBe(true);
      }),
    );
    // Whatever the engines print, every container counts towards exactly one image entry.
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), (entries) => {
        const containers = parseDockerContainerList(JSON.stringify(entries)).filter(
          (c) => c.image || c.imageId || c.imageDigest,
        );
        const images = dedupeImages(containers);
        expect(images.reduce((n, i) => n + i.containers, 0)).toBe(containers.length);
      }),
    );
  });

  it('collects this host (and its podman containers) for real', async () => {
    const inv = await collectInventory('inv-host');
    expect(inv.host.hostname).toBe('inv-host');
    expect(inv.host.kernel).toBe(os.release());
    expect(inv.host.bootId).toMatch(/^[0-9a-f-]{36}$/);
    const osId = /^ID="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    expect(inv.host.os.id).toBe(osId);
    const podman = JSON.parse(execFileSync('podman', ['ps', '--format', 'json'], { encoding: 'utf8' })) as unknown[];
    expect(inv.errors).toEqual([]);
    expect(Math.abs(inv.containers.length - podman.length)).toBeLessThanOrEqual(5); // others start/stop containers
  });
});
