// A real, private containerd (needs root, containerd and runc): the enricher resolves containers
// that were started before it — CRI-shaped pods in k8s.io and plain `ctr run` containers — from a
// pid or a cgroup id alone, with Kubernetes pod metadata, and forgets them when they are deleted.

import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleEngine } from '../rule-engine.js';
import {
  importBusyboxImage,
  type PrivateContainerd,
  runCtrContainer,
  startContainerd,
} from './__fixtures__/containerd-test.js';
import { execEvent } from './__fixtures__/exec-event.js';
import { uniqueName } from './__fixtures__/podman-test-image.js';
import { CgroupIdIndex } from './cgroup-id-index.js';
import { ContainerdEngine } from './containerd-engine.js';
import { Enricher } from './enricher.js';
import { readProc } from './proc-reader.js';

const hexId = (): string => randomBytes(32).toString('hex');
const POD_UID = '6b1d3c9e-0d7f-4a51-9b1e-2f6f8f1a7c11';

let ctd: PrivateContainerd;
let image = '';
const sandboxId = hexId();
const appId = hexId();
let appPid = 0;
const plainId = uniqueName('h7-plain');
let plainPid = 0;

/** Polls until the enricher no longer knows `id` (an engine event made it forget); false if it never does. */
async function forgotten(e: Enricher, id: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if ((await e.lookup(id)) === undefined) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('Enricher with a private containerd (root)', () => {
  beforeAll(async () => {
    ctd = await startContainerd('h7');
    image = await importBusyboxImage(ctd, uniqueName('h7-bb'), { team: 'blue' }, ['k8s.io', 'default']);
    // A pod as CRI lays it out: the sandbox carries the pod's labels, the app container names it.
    await ctd.ctr(
      'k8s.io',
      'containers',
      'create',
      '--label',
      'io.cri-containerd.kind=sandbox',
      '--label',
      'app=web',
      '--label',
      'tier=front',
      '--label',
      'io.kubernetes.pod.name=web-1',
      '--annotation',
      'io.kubernetes.cri.container-type=sandbox',
      '--annotation',
      'io.kubernetes.cri.sandbox-name=web-1',
      '--annotation',
      'io.kubernetes.cri.sandbox-namespace=shop',
      image,
      sandboxId,
    );
    appPid = await runCtrContainer(ctd, 'k8s.io', image, appId, {
      labels: {
        'io.cri-containerd.kind': 'container',
        'io.kubernetes.container.name': 'api',
        'io.kubernetes.pod.name': 'web-1',
        'io.kubernetes.pod.namespace': 'shop',
        'io.kubernetes.pod.uid': POD_UID,
      },
      annotations: {
        'io.kubernetes.cri.container-type': 'container',
        'io.kubernetes.cri.sandbox-id': sandboxId,
        'io.kubernetes.cri.sandbox-name': 'web-1',
        'io.kubernetes.cri.sandbox-namespace': 'shop',
        'io.kubernetes.cri.sandbox-uid': POD_UID,
      },
    });
    plainPid = await runCtrContainer(ctd, 'default', image, plainId);
  }, 180_000);

  afterAll(async () => {
    await ctd?.stop();
  }, 120_000);

  it('resolves a CRI container from its pid: k8s container name, image, pod and the sandbox’s pod labels', async () => {
    const e = new Enricher({ engines: [new ContainerdEngine({ address: ctd.address })] });
    const out = await e.enrichAsync(execEvent(appPid));
    expect(out.container).toMatchObject({
      id: appId.slice(0, 12),
      name: 'api',
      image,
      runtime: 'containerd',
      privileged: false,
      labels: expect.objectContaining({ team: 'blue', 'io.kubernetes.pod.namespace': 'shop' }),
    });
    expect(out.container?.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.k8s).toEqual({
      namespace: 'shop',
      pod: 'web-1',
      podUid: POD_UID,
      sandboxId,
      // The sandbox's labels: the pod's own plus its image's, as CRI merges them.
      labels: { app: 'web', tier: 'front', team: 'blue' },
    });
    // Cached: the synchronous path answers now.
    expect(e.enrich(execEvent(appPid)).k8s?.pod).toBe('web-1');
  }, 60_000);

  it('resolves it from the cgroup v2 id alone and a Falco rule on k8s fields fires', async () => {
    const idx = new CgroupIdIndex();
    const v2 = readProc(appPid)!.cgroups.find((c) => c.hierarchy === 0)!;
    expect(v2.path).toBe(`/k8s.io/${appId}`);
    const e = new Enricher({ cgroups: idx, engines: [new ContainerdEngine({ address: ctd.address })] });
    const ev = execEvent(appPid, { cgroupId: statSync(path.join(idx.root!, v2.path)).ino });
    const out = await e.enrichAsync({ ...ev, proc: { ...ev.proc, pid: 999_999_999 } });
    expect(out.container).toMatchObject({ id: appId.slice(0, 12), name: 'api', runtime: 'containerd' });

    const { engine, errors } = RuleEngine.load([
      {
        path: 'k8s.yaml',
        text: `- rule: Process in shop
  desc: test
  condition: evt.type = execve and k8s.ns.name = shop and k8s.pod.label[app] = web
  output: "%k8s.pod.name %container.name %container.image %container.type"
  priority: NOTICE
`,
      },
    ]);
    expect(errors).toEqual([]);
    const alerts = engine.evaluate(out);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.output).toMatch(new RegExp(` web-1 api ${image} containerd$`));
  }, 60_000);

  it('resolves a plain `ctr run` container in another namespace: its id is its name, no pod', async () => {
    const engine = new ContainerdEngine({ address: ctd.address });
    expect(await engine.listNamespaces()).toEqual(['k8s.io', 'default']);
    const e = new Enricher({ engines: [engine] });
    const out = await e.enrichAsync(execEvent(plainPid));
    expect(out.container).toMatchObject({ id: plainId.slice(0, 12), name: plainId, image, runtime: 'containerd' });
    expect(out.k8s).toBeUndefined();
    expect(await engine.inspect(appId.slice(0, 12))).toMatchObject({ id: appId, namespace: 'k8s.io' });
    expect(await engine.inspect('f'.repeat(64))).toBeUndefined();
  }, 60_000);

  it('warms its cache from the engine, so the very first event is already complete', async () => {
    const e = new Enricher({ engines: [new ContainerdEngine({ address: ctd.address })] });
    // The sandbox (created, never started) counts too: it is a container containerd knows.
    expect(await e.warmUp()).toBeGreaterThanOrEqual(3);
    const first = e.enrich(execEvent(appPid));
    expect(first.container).toMatchObject({ name: 'api', image, runtime: 'containerd' });
    expect(first.k8s).toMatchObject({ namespace: 'shop', pod: 'web-1', labels: { app: 'web' } });
    expect(e.enrich(execEvent(plainPid)).container?.name).toBe(plainId);
  }, 60_000);

  it('marks an executable written after start as upper-layer (drift)', async () => {
    await ctd.ctr('default', 'tasks', 'exec', '--exec-id', 'drop', plainId, 'sh', '-c', 'cat /bin/busybox > /dropped');
    const e = new Enricher({ engines: [new ContainerdEngine({ address: ctd.address })] });
    const dropped = await e.enrichAsync(execEvent(plainPid, { exepath: '/dropped' }));
    expect(dropped.proc).toMatchObject({ exeUpperLayer: true, exeLowerLayer: false });
    const init = await e.enrichAsync(execEvent(plainPid, { exepath: '/bin/busybox' }));
    expect(init.proc).toMatchObject({ exeUpperLayer: false, exeLowerLayer: true });
  }, 60_000);

  it('forgets a container when containerd reports it deleted (ctr events)', async () => {
    const id = uniqueName('h7-gone');
    await runCtrContainer(ctd, 'default', image, id);
    const e = new Enricher({ engines: [new ContainerdEngine({ address: ctd.address })], negativeTtlMs: 0 });
    expect((await e.lookup(id))?.name).toBe(id);
    e.followEngines();
    try {
      // `ctr events` says nothing when it has subscribed: delete canaries until one is forgotten.
      let live = false;
      for (let n = 0; n < 20 && !live; n++) {
        const canary = `${id}-canary-${n}`;
        await ctd.ctr('default', 'containers', 'create', image, canary);
        expect((await e.lookup(canary))?.name).toBe(canary);
        await ctd.ctr('default', 'containers', 'rm', canary);
        live = await forgotten(e, canary, 20);
      }
      expect(live).toBe(true);
      expect(await e.lookup(id)).toBeDefined(); // still cached: nothing happened to it yet
      await ctd.ctr('default', 'tasks', 'kill', '-s', 'SIGKILL', id);
      await ctd.ctr('default', 'tasks', 'rm', '-f', id).catch(() => '');
      await ctd.ctr('default', 'containers', 'rm', id);
      expect(await forgotten(e, id, 100)).toBe(true);
    } finally {
      e.close(); // ends the `ctr events` it started
    }
  }, 60_000);
});
