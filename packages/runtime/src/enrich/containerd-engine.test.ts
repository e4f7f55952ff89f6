// containerd's `ctr` output → container metadata, events and pod fields (no daemon needed here;
// enricher-containerd.test.ts runs a real containerd).

import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RuntimeEvent } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../rule-engine.js';
import {
  ContainerdEngine,
  containerdEventStatus,
  containerdMetadataFromInfo,
  imageDigestFromList,
  orderNamespaces,
  overlayUpperDir,
  parseContainerdEventLine,
} from './containerd-engine.js';
import { k8sFromContainer, runtimeContainerFrom } from './enricher.js';
import { hostContainerEngines } from './host-engines.js';

const APP = 'c'.repeat(64);
const SANDBOX = 'd'.repeat(64);

// The shape `ctr -n k8s.io containers info` prints for a container the CRI plugin created.
const criInfo = {
  ID: APP,
  Labels: {
    'io.cri-containerd.kind': 'container',
    'io.kubernetes.container.name': 'api',
    'io.kubernetes.pod.name': 'web-1',
    'io.kubernetes.pod.namespace': 'shop',
    'io.kubernetes.pod.uid': '3f0c9c1e-1111-2222-3333-444455556666',
  },
  Image: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  Runtime: { Name: 'io.containerd.runc.v2' },
  SnapshotKey: APP,
  Snapshotter: 'overlayfs',
  CreatedAt: '2026-11-27T07:23:55.046053527Z',
  Spec: {
    process: { capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL'] } },
    annotations: {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': 'api',
      'io.kubernetes.cri.image-name': 'registry.local/shop/api:2.1',
      'io.kubernetes.cri.sandbox-id': SANDBOX,
      'io.kubernetes.cri.sandbox-name': 'web-1',
      'io.kubernetes.cri.sandbox-namespace': 'shop',
      'io.kubernetes.cri.sandbox-uid': '3f0c9c1e-1111-2222-3333-444455556666',
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/etc/hosts', type: 'bind', source: '/var/lib/pods/hosts', options: ['rbind', 'rw'] },
    ],
    linux: { maskedPaths: ['/proc/kcore'], cgroupsPath: `/k8s.io/${APP}` },
  },
};

describe('ctr containers info → metadata', () => {
  it('reads a CRI container: k8s container name, the image the pod asked for, bind mounts', () => {
    const meta = containerdMetadataFromInfo(criInfo, 'k8s.io')!;
    expect(meta).toMatchObject({
      id: APP,
      name: 'api',
      image: 'registry.local/shop/api:2.1',
      privileged: false,
      runtime: 'containerd',
      namespace: 'k8s.io',
      startTs: Date.parse('2026-11-27T07:23:55.046Z') * 1e6,
    });
    expect(meta.mounts).toEqual([
      { source: '/srv/data', dest: '/data', mode: '', rdwr: false, propagation: 'rprivate' },
      { source: '/var/lib/pods/hosts', dest: '/etc/hosts', mode: '', rdwr: true },
    ]);
    expect(k8sFromContainer({ ...meta, podLabels: { app: 'web', tier: 'front' } })).toEqual({
      namespace: 'shop',
      pod: 'web-1',
      podUid: '3f0c9c1e-1111-2222-3333-444455556666',
      sandboxId: SANDBOX,
      labels: { app: 'web', tier: 'front' },
    });
  });

  it('takes the pod from CRI annotations alone, and names a sandbox container after its pod', () => {
    const sandbox = containerdMetadataFromInfo(
      {
        ID: SANDBOX,
        Labels: { 'io.cri-containerd.kind': 'sandbox', app: 'web' },
        Image: 'registry.k8s.io/pause:3.9',
        Spec: {
          annotations: {
            'io.kubernetes.cri.container-type': 'sandbox',
            'io.kubernetes.cri.sandbox-name': 'web-1',
            'io.kubernetes.cri.sandbox-namespace': 'shop',
          },
        },
      },
      'k8s.io',
    )!;
    expect(sandbox.name).toBe('web-1');
    expect(k8sFromContainer(sandbox)).toEqual({
      namespace: 'shop',
      pod: 'web-1',
      sandboxId: SANDBOX,
      labels: { app: 'web' },
    });
  });

  it('reads a plain `ctr run` container: the id is the name, privileged from its capabilities', () => {
    const meta = containerdMetadataFromInfo(
      {
        ID: 'job-7',
        Labels: { 'io.containerd.image.config.stop-signal': 'SIGTERM', team: 'blue' },
        Image: 'localhost/tool:1',
        Spec: { process: { capabilities: { bounding: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } }, linux: {} },
      },
      'default',
    )!;
    expect(meta).toMatchObject({ id: 'job-7', name: 'job-7', image: 'localhost/tool:1', privileged: true });
    expect(k8sFromContainer(meta)).toBeUndefined();
    const named = containerdMetadataFromInfo({ ID: 'x', Labels: { 'nerdctl/name': 'web' } }, 'default');
    expect(named?.name).toBe('web');
    expect(containerdMetadataFromInfo({ Labels: {} }, 'default')).toBeUndefined();
    expect(containerdMetadataFromInfo('not json', 'default')).toBeUndefined();
  });

  it('gives a bare cgroupfs id the runtime of the engine that knew it', () => {
    const meta = containerdMetadataFromInfo(criInfo, 'k8s.io')!;
    expect(runtimeContainerFrom({ id: APP, runtime: 'unknown' }, meta)).toMatchObject({
      id: APP.slice(0, 12),
      name: 'api',
      runtime: 'containerd',
    });
    expect(runtimeContainerFrom({ id: APP, runtime: 'unknown' }, undefined).runtime).toBe('unknown');
  });
});

describe('other ctr output', () => {
  it('finds the overlay upper directory in `ctr snapshots mounts`', () => {
    const cmd =
      'mount -t overlay overlay / -o index=off,workdir=/var/lib/containerd/s/2/work,upperdir=/var/lib/containerd/s/2/fs,lowerdir=/var/lib/containerd/s/1/fs\n';
    expect(overlayUpperDir(cmd)).toBe('/var/lib/containerd/s/2/fs');
    expect(overlayUpperDir('mount -t bind /a / -o rbind,ro')).toBeUndefined();
  });

  it('finds an image digest in `ctr images ls`', () => {
    const digest = `sha256:${'e'.repeat(64)}`;
    const listing = `REF TYPE DIGEST SIZE PLATFORMS LABELS\nlocalhost/a:1 application/vnd.oci.image.manifest.v1+json ${digest} 1.9 MiB linux/amd64 -\n`;
    expect(imageDigestFromList(listing, 'localhost/a:1')).toBe(digest);
    expect(imageDigestFromList(listing, 'localhost/b:1')).toBeUndefined();
  });

  it('orders namespaces with k8s.io first and drops junk', () => {
    expect(orderNamespaces('default\nk8s.io\nbuildkit\n\n  \nbad name\n')).toEqual(['k8s.io', 'buildkit', 'default']);
    expect(orderNamespaces('')).toEqual([]);
  });

  it('parses `ctr events` lines and tells an init exit from an exec exit', () => {
    const exit = parseContainerdEventLine(
      `2026-11-27 07:24:49.055315851 +0000 UTC k8s.io /tasks/exit {"container_id":"${APP}","id":"${APP}","pid":12697,"exit_status":137}`,
    )!;
    expect(exit).toEqual({ namespace: 'k8s.io', topic: '/tasks/exit', containerId: APP, processId: APP });
    expect(containerdEventStatus(exit)).toBe('exit');
    const execExit = parseContainerdEventLine(
      `2026-11-27 07:24:49 +0000 UTC k8s.io /tasks/exit {"container_id":"${APP}","id":"exec-1","pid":9}`,
    )!;
    expect(containerdEventStatus(execExit)).toBeUndefined();
    const del = parseContainerdEventLine(`2026-11-27 07:24:50.08 +0000 UTC default /containers/delete {"id":"x1"}`)!;
    expect(del).toMatchObject({ namespace: 'default', topic: '/containers/delete', containerId: 'x1' });
    expect(containerdEventStatus(del)).toBe('delete');
    const snap = parseContainerdEventLine('2026-11-27 07:24:50 +0000 UTC k8s.io /snapshot/remove {"key":"x1"}')!;
    expect(containerdEventStatus(snap)).toBeUndefined();
    expect(parseContainerdEventLine('no topic here')).toBeUndefined();
  });

  it('fuzz: event lines and ctr output never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => {
        const ev = parseContainerdEventLine(t);
        if (ev) containerdEventStatus(ev);
        overlayUpperDir(t);
        imageDigestFromList(t, 'a');
        orderNamespaces(t);
      }),
    );
  });

  it('fuzz: any JSON value as container info gives metadata or undefined, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ maxLength: 20 }), (v, id) => {
        containerdMetadataFromInfo(v, 'k8s.io');
        const meta = containerdMetadataFromInfo({ ID: `x${id}`, Labels: v, Spec: { annotations: v, mounts: v } }, 'ns');
        expect(meta?.id).toBe(`x${id}`);
        k8sFromContainer(meta!);
      }),
    );
  });
});

describe('host engines', () => {
  it('asks containerd and docker when told their sockets, and only podman when no socket exists', () => {
    const told = hostContainerEngines({
      containerdSocket: '/tmp/h7-absent/c.sock',
      dockerSocket: '/tmp/h7-absent/d.sock',
    });
    expect(told.map((e) => e.name)).toEqual(['podman', 'containerd', 'docker']);
    expect((told[1] as ContainerdEngine).address).toBe('/tmp/h7-absent/c.sock');
    const found = hostContainerEngines().map((e) => e.name);
    expect(found[0]).toBe('podman');
    expect(found.includes('containerd')).toBe(existsSync('/run/containerd/containerd.sock'));
  });
});

describe('without containerd', () => {
  it('answers unknown at once when the socket is missing (ctr would wait 10 s to dial)', async () => {
    const engine = new ContainerdEngine({ address: '/tmp/h7-absent/containerd.sock' });
    expect(await engine.listNamespaces()).toEqual([]);
    expect(await engine.inspect(APP)).toBeUndefined();
    expect(await engine.list()).toEqual([]);
  });

  it('never passes an id that is not a containerd id to ctr', async () => {
    // A fake ctr that would answer anything: only the id check can make these unknown.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h7-fake-ctr-'));
    try {
      const fake = path.join(dir, 'ctr');
      writeFileSync(fake, `#!/bin/sh\necho '{"ID":"x"}'\n`);
      chmodSync(fake, 0o755);
      const engine = new ContainerdEngine({ binary: fake, address: dir, namespaces: ['default'] });
      expect(await engine.inspect('--help')).toBeUndefined();
      expect(await engine.inspect('a b')).toBeUndefined();
      expect(await engine.inspect('')).toBeUndefined();
      expect((await engine.inspect('x'))?.id).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('following ctr events', () => {
  it('reports deletes and init exits, and a resync after the stream ends (containerd restarted)', async () => {
    // A stand-in for ctr that prints what `ctr events` prints, then ends as when containerd stops.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h7-fake-ctr-'));
    try {
      const fake = path.join(dir, 'ctr');
      writeFileSync(
        fake,
        [
          '#!/bin/sh',
          `echo '2026-11-27 07:24:49.05 +0000 UTC k8s.io /tasks/exit {"container_id":"${APP}","id":"exec-1"}'`,
          `echo '2026-11-27 07:24:49.06 +0000 UTC k8s.io /tasks/exit {"container_id":"${APP}","id":"${APP}"}'`,
          `echo '2026-11-27 07:24:50.08 +0000 UTC k8s.io /containers/delete {"id":"${APP}"}'`,
          '',
        ].join('\n'),
      );
      chmodSync(fake, 0o755);
      const seen: string[] = [];
      // The directory stands in for the socket: it exists, so the engine connects.
      const engine = new ContainerdEngine({ binary: fake, address: dir });
      const stop = engine.watch((id, status) => seen.push(`${id}:${status}`), 10);
      try {
        for (let i = 0; i < 200 && !seen.includes(':resync'); i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        stop();
      }
      expect(seen.slice(0, 3)).toEqual([`${APP}:exit`, `${APP}:delete`, ':resync']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('k8s and container fields in rules', () => {
  const event: RuntimeEvent = {
    ts: 1_796_000_000_000_000_000,
    host: 'node-1',
    type: 'execve',
    proc: { pid: 10, ppid: 9, uid: 0, gid: 0, exe: '/bin/sh', comm: 'sh', args: [], cwd: '/', tty: 0 },
    container: {
      id: APP.slice(0, 12),
      name: 'api',
      image: 'registry.local/shop/api:2.1',
      runtime: 'containerd',
      imageId: 'abc',
      labels: { team: 'blue' },
    },
    k8s: {
      namespace: 'shop',
      pod: 'web-1',
      podUid: 'uid-1',
      sandboxId: SANDBOX,
      labels: { app: 'web', tier: 'front' },
    },
  };
  const rules = `
- rule: Shell in shop pod
  desc: test
  condition: >
    evt.type = execve and k8s.ns.name = shop and k8s.pod.label[app] = web and k8s.pod.id = uid-1
    and k8s.pod.sandbox_id = ${SANDBOX.slice(0, 12)} and k8s.pod.full_sandbox_id = ${SANDBOX}
    and container.label[team] = blue and container.image.id = abc and container.type = containerd
  output: "pod=%k8s.pod.name ns=%k8s.ns.name labels=(%k8s.pod.labels) ctr=%container.name clabels=(%container.labels)"
  priority: WARNING
`;

  it('compiles and fires on every k8s field, rendering labels in output', () => {
    const { engine, errors } = RuleEngine.load([{ path: 'k8s.yaml', text: rules }]);
    expect(errors).toEqual([]);
    const [alert] = engine.evaluate(event);
    expect(alert?.output).toContain('pod=web-1 ns=shop labels=(app:web, tier:front) ctr=api clabels=(team:blue)');
    expect(engine.evaluate({ ...event, k8s: { ...event.k8s!, namespace: 'dev' } })).toEqual([]);
    // Outside a pod the k8s fields are missing, so the rule cannot fire.
    expect(engine.evaluate({ ...event, k8s: undefined })).toEqual([]);
  });
});
