// Responses by their effect on real processes and real podman containers (root, podman).

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Alert, RuntimeEvent } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBusyboxImage,
  containerStatus,
  removeQuietly,
  runContainer,
  uniqueName,
} from '../enrich/__fixtures__/podman-test-image.js';
import { readProc } from '../enrich/proc-reader.js';
import { Responder } from './responder.js';
import { parseResponsePolicy } from './response-policy.js';

function policy(mode: 'audit' | 'enforce', entries: string, burst = 5): string {
  return `apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: ${mode}
  stopTimeoutSeconds: 0
  rateLimit: { burst: ${burst}, perMinute: 0 }
  responses:
${entries}`;
}

function alertFor(rule: string, tags: string[] = [], priority: Alert['priority'] = 'Critical'): Alert {
  return { time: '', rule, priority, output: '', output_fields: {}, tags, hostname: 'h', source: 'syscall' };
}

function eventFor(pid: number, container?: { id: string }): RuntimeEvent {
  const snap = readProc(pid);
  const ev: RuntimeEvent = {
    ts: 0,
    host: 'h',
    type: 'execve',
    proc: { pid, ppid: 0, uid: 0, gid: 0, exe: 'sleep', comm: snap?.comm ?? 'sleep', args: [], cwd: '/', tty: 0 },
  };
  if (snap?.pgid !== undefined) ev.proc.pgid = snap.pgid;
  if (container) ev.container = { id: container.id, name: '', image: '', runtime: 'podman' };
  return ev;
}

const started: ChildProcess[] = [];
function sleeper(detached = false, cmd = ['sleep', '300']): Promise<ChildProcess> {
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore', detached });
  started.push(child);
  return new Promise((resolve) => child.once('spawn', () => resolve(child)));
}
const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(c.signalCode)
    : new Promise<NodeJS.Signals | null>((r) => c.once('exit', (_code, sig) => r(sig)));
/** Running: /proc has it and it is not a zombie waiting to be reaped. */
const alive = (pid: number) => {
  const s = statusOf(pid);
  return s !== undefined && s !== 'Z';
};

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('Responder on processes', () => {
  it('enforce: kill sends SIGKILL to the process and records it on the alert', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - rules: [Miner]\n      actions: [kill]\n')));
    const child = await sleeper();
    const out = await r.respond(alertFor('Miner'), eventFor(child.pid!));
    expect(out.actions).toEqual([{ action: 'kill', mode: 'enforce', target: `pid:${child.pid}`, result: 'done' }]);
    expect(await exited(child)).toBe('SIGKILL');
  });

  it('enforce: killTarget group kills every process of the group', async () => {
    const r = new Responder(
      parseResponsePolicy(policy('enforce', '    - tags: [T1496]\n      actions: [kill]\n      killTarget: group\n')),
    );
    const leader = await sleeper(true, ['sh', '-c', 'sleep 300 & sleep 300 & wait']);
    let kids: number[] = [];
    for (let i = 0; i < 50 && kids.length < 2; i++) {
      await new Promise((res) => setTimeout(res, 20)); // the shell forks its children
      kids = childrenOf(leader.pid!);
    }
    expect(kids).toHaveLength(2);
    // No pgid in the event: the responder reads it from /proc.
    const ev = eventFor(leader.pid!);
    delete ev.proc.pgid;
    const out = await r.respond(alertFor('Any', ['T1496']), ev);
    expect(out.actions?.[0]).toMatchObject({ action: 'kill', target: `pgid:${leader.pid}`, result: 'done' });
    expect(await exited(leader)).toBe('SIGKILL');
    // SIGKILL is delivered before kill(2) returns; the state flips once the kernel tears each task down.
    for (let i = 0; i < 100 && kids.some(alive); i++) await new Promise((res) => setTimeout(res, 20));
    for (const k of kids) expect(alive(k), `child ${k}`).toBe(false);
  });

  it('audit: records what would be done and leaves the process running', async () => {
    const r = new Responder(
      parseResponsePolicy(policy('audit', '    - rules: [Miner]\n      actions: [alert, kill]\n')),
    );
    const child = await sleeper();
    const alert = alertFor('Miner');
    const out = await r.respond(alert, eventFor(child.pid!));
    expect(out.actions).toEqual([
      { action: 'alert', mode: 'audit', target: 'alert', result: 'done' },
      { action: 'kill', mode: 'audit', target: `pid:${child.pid}`, result: 'audited' },
    ]);
    expect(alert.actions).toBeUndefined();
    expect(alive(child.pid!)).toBe(true);
  });

  it('rate limit: only `burst` kills per rule and container, the rest are recorded as rate-limited', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - rules: [Miner]\n      actions: [kill]\n', 1)));
    const a = await sleeper();
    const b = await sleeper();
    const first = await r.respond(alertFor('Miner'), eventFor(a.pid!));
    const second = await r.respond(alertFor('Miner'), eventFor(b.pid!));
    expect(first.actions?.[0]?.result).toBe('done');
    expect(second.actions?.[0]?.result).toBe('rate-limited');
    expect(await exited(a)).toBe('SIGKILL');
    expect(alive(b.pid!)).toBe(true);
    // Without a container the key is the host: another host has its own bucket.
    const other = await r.respond(alertFor('Miner'), { ...eventFor(b.pid!), host: 'other-host' });
    expect(other.actions?.[0]?.result).toBe('done');
    expect(await exited(b)).toBe('SIGKILL');
  });

  it('refuses to kill init or the agent, and reports failures', async () => {
    const r = new Responder(
      parseResponsePolicy(policy('enforce', '    - rules: ["*"]\n      actions: [kill, stop]\n')),
    );
    const self = await r.respond(alertFor('X'), eventFor(process.pid));
    expect(self.actions).toEqual([
      expect.objectContaining({ action: 'kill', result: 'skipped' }),
      expect.objectContaining({ action: 'stop', target: 'host', result: 'skipped' }),
    ]);
    const gone = await r.respond(alertFor('Y'), eventFor(2 ** 22 + 12345));
    expect(gone.actions?.[0]).toMatchObject({
      action: 'kill',
      result: 'failed',
      error: expect.stringMatching(/ESRCH/),
    });
  });

  it('does not kill a pid that now runs something else (pid reuse)', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - rules: [Miner]\n      actions: [kill]\n')));
    const child = await sleeper();
    const ev = eventFor(child.pid!);
    const out = await r.respond(alertFor('Miner'), { ...ev, proc: { ...ev.proc, comm: 'xmrig' } });
    expect(out.actions?.[0]).toMatchObject({ result: 'skipped', error: expect.stringMatching(/now "sleep"/) });
    expect(alive(child.pid!)).toBe(true);
  });

  it('leaves alerts no entry matches untouched', async () => {
    const r = new Responder(
      parseResponsePolicy(policy('enforce', '    - minPriority: critical\n      actions: [kill]\n')),
    );
    const a = alertFor('Low', [], 'Notice');
    expect(await r.respond(a, eventFor(process.pid))).toBe(a);
  });
});

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
function statusOf(pid: number): string | undefined {
  try {
    return /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

describe('Responder on real podman containers (root)', () => {
  const base = uniqueName('palisade-respond');
  const names = [`${base}-stop`, `${base}-pause`, `${base}-audit`];
  let image = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    image = await buildBusyboxImage(base, {});
    for (const n of names) ids[n] = (await runContainer(image, n)).id;
  }, 120_000);

  afterAll(async () => {
    await removeQuietly(names, [image]);
  }, 120_000);

  it('enforce: stop leaves the container exited', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - tags: [T1611]\n      actions: [stop]\n')));
    const id = ids[names[0]!]!;
    const out = await r.respond(alertFor('Escape', ['T1611']), eventFor(0, { id }));
    expect(out.actions).toEqual([{ action: 'stop', mode: 'enforce', target: `container:${id}`, result: 'done' }]);
    expect(await containerStatus(id)).toBe('exited');
  }, 60_000);

  it('enforce: pause leaves the container paused', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - rules: [Miner]\n      actions: [pause]\n')));
    const id = ids[names[1]!]!;
    const out = await r.respond(alertFor('Miner'), eventFor(0, { id }));
    expect(out.actions?.[0]).toMatchObject({ action: 'pause', result: 'done' });
    expect(await containerStatus(id)).toBe('paused');
  }, 60_000);

  it('audit: stop and pause leave the container running', async () => {
    const r = new Responder(
      parseResponsePolicy(policy('audit', '    - rules: [Miner]\n      actions: [stop, pause]\n')),
    );
    const id = ids[names[2]!]!;
    const out = await r.respond(alertFor('Miner'), eventFor(0, { id }));
    expect(out.actions?.map((a) => a.result)).toEqual(['audited', 'audited']);
    expect(await containerStatus(id)).toBe('running');
  }, 60_000);

  it('reports a failure for an unknown container', async () => {
    const r = new Responder(parseResponsePolicy(policy('enforce', '    - rules: [Miner]\n      actions: [pause]\n')));
    const out = await r.respond(alertFor('Miner'), eventFor(0, { id: 'f'.repeat(64) }));
    expect(out.actions?.[0]).toMatchObject({
      action: 'pause',
      result: 'failed',
      error: expect.stringMatching(/podman pause/),
    });
  }, 60_000);
});
