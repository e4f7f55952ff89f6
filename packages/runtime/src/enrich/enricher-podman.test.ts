// Real podman containers (needs root and podman): the enricher resolves a container from a pid alone.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { podmanEventsFileUsable } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRulesFile } from '../default-rules.js';
import { RuleEngine } from '../rule-engine.js';
import { execEvent } from './__fixtures__/exec-event.js';
import {
  buildBusyboxImage,
  podman,
  removeQuietly,
  runContainer,
  uniqueName,
} from './__fixtures__/podman-test-image.js';
import { CgroupIdIndex } from './cgroup-id-index.js';
import { DockerApiEngine, PodmanCliEngine } from './container-engines.js';
import { Enricher } from './enricher.js';
import { readProc } from './proc-reader.js';

/** Host pids whose cgroup names the container. */
function processesOf(id: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => readProc(p)?.cgroups.some((c) => c.path.includes(id)));
}

const base = uniqueName('palisade-enrich');
const containers: string[] = [];
let image = '';
let ctr = { id: '', pid: 0 };

describe('Enricher with real podman containers (root)', () => {
  beforeAll(async () => {
    image = await buildBusyboxImage(base, { 'org.palisade.tier': 'test', team: 'blue' });
    containers.push(`${base}-c`);
    ctr = await runContainer(image, `${base}-c`, [
      '--label',
      'app=probe',
      '--label',
      'io.kubernetes.pod.name=probe-0',
      '--label',
      'io.kubernetes.pod.namespace=shop',
    ]);
  }, 120_000);

  afterAll(async () => {
    await removeQuietly(containers, [image]);
  }, 120_000);

  it('resolves name, image, labels and pod from the pid alone (/proc/<pid>/cgroup)', async () => {
    const e = new Enricher({ engines: [new PodmanCliEngine()] });
    const out = await e.enrichAsync(execEvent(ctr.pid));
    expect(out.container).toMatchObject({
      id: ctr.id.slice(0, 12),
      name: `${base}-c`,
      image,
      runtime: 'podman',
      privileged: false,
    });
    expect(out.container?.labels).toMatchObject({ app: 'probe', team: 'blue', 'org.palisade.tier': 'test' });
    expect(out.container?.imageId).toMatch(/^[0-9a-f]{64}$/);
    expect(out.k8s).toEqual({
      namespace: 'shop',
      pod: 'probe-0',
      labels: { app: 'probe', team: 'blue', 'org.palisade.tier': 'test' },
    });
    // Cached: the synchronous path now answers without asking podman again.
    expect(e.enrich(execEvent(ctr.pid)).container?.name).toBe(`${base}-c`);
  }, 60_000);

  it('resolves the container from the cgroup v2 id (inode of the cgroup directory)', async () => {
    const idx = new CgroupIdIndex();
    expect(idx.root).toBeDefined();
    const v2 = readProc(ctr.pid)!.cgroups.find((c) => c.hierarchy === 0)!;
    const ino = statSync(path.join(idx.root!, v2.path)).ino;
    const e = new Enricher({ cgroups: idx, engines: [new PodmanCliEngine()] });
    // pid 0 keeps /proc out of it: only the cgroup id can name the container.
    const ev = execEvent(ctr.pid, { cgroupId: ino });
    const out = await e.enrichAsync({ ...ev, proc: { ...ev.proc, pid: 999_999_999 } });
    expect(out.container).toMatchObject({ id: ctr.id.slice(0, 12), name: `${base}-c`, runtime: 'podman' });
  }, 60_000);

  it('marks an executable written after start as upper-layer (drift) and the default rule fires', async () => {
    const e = new Enricher({ engines: [new PodmanCliEngine()] });
    await podman(
      'exec',
      ctr.id,
      'sh',
      '-c',
      'cat /bin/busybox > /busybox-dropped && busybox chmod +x /busybox-dropped',
    );
    await podman('exec', '-d', ctr.id, '/busybox-dropped', 'sleep', '300');
    let pid: number | undefined;
    for (let i = 0; i < 100 && pid === undefined; i++) {
      pid = processesOf(ctr.id).find((p) => readProc(p)?.exepath === '/busybox-dropped');
      if (pid === undefined) await new Promise((r) => setTimeout(r, 50)); // podman exec -d returns before exec
    }
    expect(pid).toBeDefined();
    const dropped = await e.enrichAsync(execEvent(pid!, { exepath: '/busybox-dropped' }));
    expect(dropped.proc).toMatchObject({ exeUpperLayer: true, exeLowerLayer: false });
    const init = await e.enrichAsync(execEvent(ctr.pid, { exepath: '/bin/busybox' }));
    expect(init.proc).toMatchObject({ exeUpperLayer: false, exeLowerLayer: true });

    const { engine } = RuleEngine.load([defaultRulesFile()]);
    expect(engine.evaluate(dropped).map((a) => a.rule)).toContain('Executable not in image (drift)');
    expect(engine.evaluate(init).map((a) => a.rule)).not.toContain('Executable not in image (drift)');
  }, 60_000);

  it('warms its cache from `podman ps`, so the first event of a running container is complete', async () => {
    const e = new Enricher({ engines: [new PodmanCliEngine()] });
    expect(await e.warmUp()).toBeGreaterThanOrEqual(1);
    expect(e.enrich(execEvent(ctr.pid)).container).toMatchObject({ name: `${base}-c`, image, runtime: 'podman' });
  }, 60_000);

  it('leaves a host process without a container', async () => {
    const e = new Enricher({ engines: [new PodmanCliEngine()] });
    const out = await e.enrichAsync(execEvent(process.pid));
    expect(out.container).toBeUndefined();
  });

  it('reads the same metadata through the Docker-compatible API socket (podman system service)', async () => {
    const sock = `/tmp/${base}.sock`;
    const svc = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], { stdio: 'ignore' });
    try {
      const engine = new DockerApiEngine(sock, 'podman');
      let meta = await engine.inspect(ctr.id);
      for (let i = 0; i < 100 && !meta; i++) {
        await new Promise((r) => setTimeout(r, 100)); // wait for the service to listen
        meta = await engine.inspect(ctr.id);
      }
      expect(meta).toMatchObject({ id: ctr.id, name: `${base}-c`, privileged: false });
      expect(meta?.labels).toMatchObject({ app: 'probe', team: 'blue' });
      expect(await engine.inspect('f'.repeat(64))).toBeUndefined();
    } finally {
      svc.kill('SIGKILL');
    }
  }, 60_000);

  // This host's podman logs events to a file (read directly); `podman events` is the journald case.
  it.each([
    ['its events log file', undefined],
    ['`podman events`', null],
  ] as const)(
    'forgets a container when podman reports it removed, read from %s',
    async (_how, eventsFile) => {
      const name = `${base}-w${eventsFile === null ? 'c' : 'f'}`;
      containers.push(name);
      const w = await runContainer(image, name);
      // The file case must really read the file, not fall back to `podman events`.
      if (eventsFile === undefined) expect(podmanEventsFileUsable()).toBe(true);
      const engine = new PodmanCliEngine({ eventsFile });
      const e = new Enricher({ engines: [engine] });
      expect((await e.lookup(w.id))?.name).toBe(name);
      const seen: string[] = [];
      const since = new Date(Date.now() - 1000);
      const stop = engine.watch((id, status) => {
        if (id !== w.id) return;
        seen.push(status);
        e.forget(id);
      }, since);
      try {
        await podman('rm', '-f', '-t', '0', name);
        for (let i = 0; i < 100 && !seen.includes('remove'); i++) await new Promise((r) => setTimeout(r, 100));
        expect(seen).toContain('remove');
        expect(await e.lookup(w.id)).toBeUndefined();
      } finally {
        stop();
      }
    },
    60_000,
  );
});
