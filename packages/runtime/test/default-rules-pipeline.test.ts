// End to end on a real podman container (root, podman, busybox-static): a binary dropped into a
// running container is enriched from its pid alone, the default drift rule fires, and the response
// policy kills it (enforce) while the container itself keeps running; a second policy stops it.

import { readdirSync } from 'node:fs';
import type { RuntimeEvent } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBusyboxImage,
  containerStatus,
  podman,
  removeQuietly,
  runContainer,
  uniqueName,
} from '../src/enrich/__fixtures__/podman-test-image.js';
import {
  defaultRulesFile,
  Enricher,
  PodmanCliEngine,
  parseResponsePolicy,
  Responder,
  RuleEngine,
  readProc,
} from '../src/index.js';

const base = uniqueName('palisade-pipeline');
const name = `${base}-c`;
let image = '';
let ctr = { id: '', pid: 0 };

function processesOf(id: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => readProc(p)?.cgroups.some((c) => c.path.includes(id)));
}

/** What the sensor would report for the exec of `pid`: kernel facts only, nothing enriched. */
function sensorExec(pid: number): RuntimeEvent {
  const s = readProc(pid)!;
  return {
    ts: Date.now() * 1e6,
    host: 'node-1',
    type: 'execve',
    proc: {
      pid,
      ppid: s.ppid,
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
      exe: s.exe,
      comm: s.comm,
      args: s.args,
      cwd: s.cwd ?? '/',
      tty: s.tty ?? 0,
      exepath: s.exepath ?? s.exe,
      pgid: s.pgid,
    },
  };
}

async function dropAndRun(): Promise<number> {
  await podman('exec', ctr.id, 'sh', '-c', 'cat /bin/busybox > /busybox-dropped && busybox chmod +x /busybox-dropped');
  await podman('exec', '-d', ctr.id, '/busybox-dropped', 'sleep', '300');
  for (let i = 0; i < 100; i++) {
    const pid = processesOf(ctr.id).find((p) => readProc(p)?.exepath === '/busybox-dropped');
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 50)); // `podman exec -d` returns before the exec
  }
  throw new Error('the dropped binary did not start');
}

describe('drift → alert → response on a real container (root)', () => {
  const { engine } = RuleEngine.load([defaultRulesFile()], { ruleMatching: 'all' });
  const enricher = new Enricher({ engines: [new PodmanCliEngine()] });

  beforeAll(async () => {
    image = await buildBusyboxImage(base, { app: 'pipeline' });
    ctr = await runContainer(image, name);
  }, 120_000);

  afterAll(async () => {
    await removeQuietly([name], [image]);
  }, 120_000);

  it('kills the dropped binary and leaves the container running', async () => {
    const pid = await dropAndRun();
    const ev = await enricher.enrichAsync(sensorExec(pid));
    expect(ev.container).toMatchObject({ name, image, runtime: 'podman' });
    const alerts = engine.evaluate(ev);
    const drift = alerts.find((a) => a.rule === 'Executable not in image (drift)');
    expect(drift?.output).toContain(`container_id=${ctr.id.slice(0, 12)}`);
    // The container's own init is from the image: no drift.
    const init = await enricher.enrichAsync(sensorExec(ctr.pid));
    expect(engine.evaluate(init).map((a) => a.rule)).not.toContain('Executable not in image (drift)');

    const responder = new Responder(
      parseResponsePolicy(`apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: enforce
  responses:
    - tags: [drift]
      actions: [kill]
`),
    );
    const answered = await responder.respond(drift!, ev);
    expect(answered.actions).toEqual([{ action: 'kill', mode: 'enforce', target: `pid:${pid}`, result: 'done' }]);
    for (let i = 0; i < 100 && readProc(pid) && readProc(pid)?.exepath === '/busybox-dropped'; i++) {
      await new Promise((r) => setTimeout(r, 20)); // the kernel tears the task down after SIGKILL
    }
    expect(processesOf(ctr.id).some((p) => readProc(p)?.exepath === '/busybox-dropped')).toBe(false);
    expect(await containerStatus(ctr.id)).toBe('running');
  }, 60_000);

  it('a stop policy takes the whole container down', async () => {
    const pid = await dropAndRun();
    const ev = await enricher.enrichAsync(sensorExec(pid));
    const drift = engine.evaluate(ev).find((a) => a.rule === 'Executable not in image (drift)')!;
    const responder = new Responder(
      parseResponsePolicy(`apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: enforce
  stopTimeoutSeconds: 0
  responses:
    - rules: ["Executable not in image (drift)"]
      actions: [stop]
`),
    );
    const answered = await responder.respond(drift, ev);
    expect(answered.actions?.[0]).toMatchObject({ action: 'stop', result: 'done' });
    expect(await containerStatus(ctr.id)).toBe('exited');
  }, 60_000);
});
