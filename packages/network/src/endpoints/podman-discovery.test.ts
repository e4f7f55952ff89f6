// Discovery against a real podman container (root, podman with runc): its labels, address and the
// host side of its veth as the kernel reports it; the watch reports its start and its removal; and
// the docker engine, read through podman's Docker-compatible API socket, finds the same container.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusyboxImage, podman, removeQuietly, runSleeper, until } from '../../../../test-support/podman-lab.js';
import type { Endpoint } from '../model/types.js';
import { discoverEndpoints } from './discover.js';
import { parseIpLinks } from './ip-links.js';
import { type EndpointChange, watchEndpoints } from './watch.js';

const tag = `${process.pid}-${Date.now().toString(36)}`;
const image = `localhost/h6-endpoints-${tag}:1`;
const names = [`h6-web-${tag}`, `h6-late-${tag}`];
let tmp: string;

const runContainer = (name: string, labels: Record<string, string>) => runSleeper(image, name, { labels });

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h6-endpoints-'));
  importBusyboxImage(tmp, image);
});

afterAll(() => {
  removeQuietly(names, [image]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('endpoint discovery with a real podman container (root)', () => {
  it('finds the container with its labels, namespace, address and host veth', async () => {
    const id = runContainer(names[0]!, { app: 'web', 'projectcalico.org/namespace': 'shop' });
    const found = await discoverEndpoints({ engines: ['podman'] });
    const web = found.endpoints.find((e) => e.name === names[0]);
    expect(web).toBeDefined();
    expect(web).toMatchObject({
      kind: 'WorkloadEndpoint',
      namespace: 'shop',
      labels: { app: 'web', 'palisade.dev/runtime': 'podman', 'palisade.dev/container': names[0] },
    });
    const ip = podman('inspect', '--format', '{{.NetworkSettings.IPAddress}}', id);
    expect(web!.ips).toContain(ip);
    // The kernel's own view: the container's eth0 is paired with exactly this host interface.
    const pid = podman('inspect', '--format', '{{.State.Pid}}', id);
    const inside = parseIpLinks(
      execFileSync('nsenter', ['-t', pid, '-n', 'ip', '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' }),
    );
    const host = parseIpLinks(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' }));
    const peer = host.find((l) => l.index === inside[0]!.peerIndex);
    expect(peer?.kind).toBe('veth');
    expect(web!.interfaceName).toBe(peer!.name);
  });

  it('reports a container that starts as added and one that is removed as removed', async () => {
    const changes: EndpointChange[] = [];
    const watch = watchEndpoints({ engines: ['podman'], onChange: (c) => changes.push(c), resyncMs: 60_000 });
    try {
      const first = await watch.first;
      expect(first.some((e) => e.name === names[0])).toBe(true);
      runContainer(names[1]!, { app: 'late' });
      const added = await until(
        () => changes.flatMap((c) => c.added).find((e: Endpoint) => e.name === names[1]),
        'the started container to be reported',
        600,
      );
      expect(added.labels.app).toBe('late');
      // The host side of the container's veth: a link that exists on this host.
      const hostLinks = parseIpLinks(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }));
      expect(hostLinks.map((l) => l.name)).toContain(added.interfaceName);
      podman('rm', '-f', '-t', '0', names[1]!);
      await until(
        () => changes.flatMap((c) => c.removed).find((e: Endpoint) => e.name === names[1]),
        'the removed container to be reported',
        600,
      );
    } finally {
      watch.stop();
    }
  });

  it('finds the same container through a Docker API socket (podman system service)', async () => {
    const socket = path.join(tmp, 'docker.sock');
    const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
      stdio: 'ignore',
    });
    try {
      await until(() => (fs.existsSync(socket) ? true : undefined), 'the API socket', 600);
      let web: Endpoint | undefined;
      for (let i = 0; i < 50 && !web; i++) {
        const found = await discoverEndpoints({ engines: ['docker'], dockerSocket: socket }).catch(() => undefined);
        web = found?.endpoints.find((e) => e.name === names[0]);
        if (!web) await new Promise((r) => setTimeout(r, 100));
      }
      expect(web).toMatchObject({
        namespace: 'shop',
        labels: { app: 'web', 'palisade.dev/runtime': 'docker' },
      });
      const podmanView = (await discoverEndpoints({ engines: ['podman'] })).endpoints.find((e) => e.name === names[0]);
      expect(web!.ips).toEqual(podmanView!.ips);
      expect(web!.interfaceName).toBe(podmanView!.interfaceName);
    } finally {
      service.kill();
    }
  });
});
