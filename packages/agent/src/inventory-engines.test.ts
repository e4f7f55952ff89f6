// The inventory against real engines (root, podman with runc, containerd): a podman container, a
// private containerd with a CRI-shaped pod in k8s.io and two plain containers of one image in a
// namespace of its own, and podman's Docker-compatible API socket standing in for docker.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  importBusyboxImage,
  type PrivateContainerd,
  runCtrContainer,
  startContainerd,
} from '../../runtime/src/enrich/__fixtures__/containerd-test.js';
import {
  buildBusyboxImage,
  removeQuietly,
  runContainer,
  uniqueName,
} from '../../runtime/src/enrich/__fixtures__/podman-test-image.js';
import { collectInventory } from './inventory.js';

let ctd: PrivateContainerd;
let ctdImage = '';
let podmanImage = '';
let podmanId = '';
let apiService: ChildProcess | undefined;
let apiSocket = '';
const podmanName = uniqueName('h9-inv');
const podId = randomBytes(32).toString('hex');
const workers = [uniqueName('h9-worker'), uniqueName('h9-worker')];

beforeAll(async () => {
  ctd = await startContainerd('h9');
  ctdImage = await importBusyboxImage(ctd, uniqueName('h9-ctd'), {}, ['k8s.io', 'h9-batch']);
  await runCtrContainer(ctd, 'k8s.io', ctdImage, podId, {
    labels: {
      'io.kubernetes.container.name': 'checkout',
      'io.kubernetes.pod.name': 'web-1',
      'io.kubernetes.pod.namespace': 'shop',
      app: 'web',
    },
  });
  for (const id of workers) await runCtrContainer(ctd, 'h9-batch', ctdImage, id);
  podmanImage = await buildBusyboxImage(uniqueName('h9-inv'), {});
  podmanId = (await runContainer(podmanImage, podmanName, ['--label', 'tier=front'])).id;
  apiSocket = path.join(ctd.dir, 'docker-api.sock');
  apiService = spawn('podman', ['system', 'service', '--time=0', `unix://${apiSocket}`], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(apiSocket); i++) await new Promise((r) => setTimeout(r, 50));
}, 180_000);

afterAll(async () => {
  apiService?.kill();
  await removeQuietly([podmanName], [podmanImage]);
  await ctd?.stop();
}, 120_000);

describe('inventory of real engines (root, podman, containerd)', () => {
  it('lists podman and every containerd namespace with pods, states and images once each', async () => {
    const inv = await collectInventory('h9-host', { containerdSocket: ctd.address });
    expect(inv.errors).toEqual([]);
    const podman = inv.containers.find((c) => c.id === podmanId);
    expect(podman).toMatchObject({ name: podmanName, image: podmanImage, runtime: 'podman', state: 'running' });
    expect(podman!.labels.tier).toBe('front');

    const pod = inv.containers.find((c) => c.id === podId);
    expect(pod).toMatchObject({
      name: 'checkout',
      image: ctdImage,
      runtime: 'containerd',
      namespace: 'k8s.io',
      state: 'running',
      labels: { app: 'web' },
      k8s: { namespace: 'shop', pod: 'web-1' },
    });
    expect(pod!.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const id of workers) {
      expect(inv.containers.find((c) => c.id === id)).toMatchObject({
        name: id,
        runtime: 'containerd',
        namespace: 'h9-batch',
        state: 'running',
      });
    }
    // The same image imported into two namespaces has one digest: one entry for all three containers.
    const ctdImages = inv.images.filter((i) => i.names.includes(ctdImage));
    expect(ctdImages).toHaveLength(1);
    expect(ctdImages[0]).toMatchObject({ runtimes: ['containerd'], containers: 3, digest: pod!.imageDigest });
    expect(inv.images.find((i) => i.names.includes(podmanImage))).toMatchObject({ runtimes: ['podman'] });
  });

  it('reads docker through its API socket', async () => {
    const inv = await collectInventory('h9-host', { engines: ['docker'], dockerSocket: apiSocket });
    expect(inv.errors).toEqual([]);
    expect(inv.containers.find((c) => c.id === podmanId)).toMatchObject({
      name: podmanName,
      runtime: 'docker',
      labels: { tier: 'front' },
    });
  });

  it('reports a source that fails and still lists the others', async () => {
    const missing = path.join(ctd.dir, 'nobody-here.sock');
    const inv = await collectInventory('h9-host', {
      containerdSocket: missing,
      dockerSocket: path.join(ctd.dir, 'no-docker.sock'),
    });
    expect(inv.errors).toEqual([
      expect.stringMatching(/^containerd: .*nobody-here/),
      expect.stringMatching(/^docker: /),
    ]);
    expect(inv.containers.some((c) => c.id === podmanId)).toBe(true);
    // A socket that is there but nobody answers on: the daemon is reported, podman still counts.
    const dead = await collectInventory('h9-host', { engines: ['podman', 'containerd'], containerdSocket: apiSocket });
    expect(dead.errors).toEqual([expect.stringMatching(/^containerd: /)]);
    expect(dead.containers.some((c) => c.id === podmanId)).toBe(true);
  });
});
