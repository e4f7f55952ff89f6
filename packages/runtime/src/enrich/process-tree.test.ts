import { spawn } from 'node:child_process';
import type { RuntimeEvent } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Enricher } from './enricher.js';
import { ProcessTree } from './process-tree.js';
import { UserDirectory } from './user-directory.js';

function ev(type: string, pid: number, ppid: number, comm: string, extra: Partial<RuntimeEvent> = {}): RuntimeEvent {
  return {
    ts: 1_796_000_000_000_000_000,
    host: 'h',
    type,
    proc: { pid, ppid, uid: 0, gid: 0, exe: `/bin/${comm}`, comm, args: [], cwd: '/', tty: 0 },
    ...extra,
  };
}

describe('ProcessTree from events', () => {
  it('builds ancestors from exec and fork, to five levels, and forgets exited processes', () => {
    const t = new ProcessTree({ readProc: false });
    const chain = ['systemd', 'containerd', 'shim', 'bash', 'python', 'sh', 'curl'];
    chain.forEach((c, i) => {
      t.observe(ev('execve', 100 + i, i === 0 ? 0 : 99 + i, c));
    });
    expect(t.ancestors(105).map((a) => a.comm)).toEqual(['sh', 'python', 'bash', 'shim', 'containerd']);
    // clone on the parent's side: the result is the child's pid, which inherits the parent's image.
    t.observe(ev('clone', 106, 105, 'curl', { res: 200 }));
    expect(t.get(200)).toMatchObject({ pid: 200, ppid: 106, comm: 'curl' });
    t.observe(ev('procexit', 104, 103, 'python'));
    expect(t.ancestors(105).map((a) => a.comm)).toEqual(['sh']);
  });

  it('keeps the container it read from /proc across exec (exec does not change the cgroup)', () => {
    const t = new ProcessTree({ readProc: false });
    t.observe(ev('execve', 70, 1, 'sh', { container: { id: 'c1', name: 'x', image: 'i', runtime: 'podman' } }));
    t.observe(ev('execve', 70, 1, 'curl'));
    expect(t.get(70)).toMatchObject({ comm: 'curl', container: { id: 'c1', runtime: 'podman' } });
    expect(t.containerOf(70)).toEqual({ id: 'c1', runtime: 'podman' });
  });

  it('shares one ancestor list between lookups until the table changes', () => {
    const t = new ProcessTree({ readProc: false });
    t.observe(ev('execve', 20, 1, 'bash'));
    t.observe(ev('execve', 21, 20, 'sh'));
    const first = t.ancestors(21);
    expect(t.ancestors(21)).toBe(first);
    // The parent execs another program: the cached list must not outlive it.
    t.observe(ev('execve', 21, 20, 'python'));
    expect(t.ancestors(21).map((a) => a.comm)).toEqual(['python', 'bash']);
    t.observe(ev('procexit', 20, 1, 'bash'));
    expect(t.ancestors(21).map((a) => a.comm)).toEqual(['python']);
    expect(t.ancestors(21, 1).map((a) => a.comm)).toEqual(['python']);
  });

  it('stops on a pid loop', () => {
    const t = new ProcessTree({ readProc: false });
    t.observe(ev('execve', 10, 11, 'a'));
    t.observe(ev('execve', 11, 10, 'b'));
    expect(t.ancestors(10).map((a) => a.pid)).toEqual([10, 11]);
  });

  it('keeps at most maxEntries processes', () => {
    const t = new ProcessTree({ readProc: false, maxEntries: 3 });
    for (let i = 1; i <= 10; i++) t.observe(ev('execve', i, 0, 'x'));
    expect(t.size).toBe(3);
    expect(t.get(1)).toBeUndefined();
    expect(t.get(10)).toBeDefined();
  });

  it('fills processes that predate the agent from /proc', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const t = new ProcessTree();
      const node = t.get(child.pid!);
      expect(node).toMatchObject({ pid: child.pid, ppid: process.pid, comm: 'sleep', args: ['30'] });
      expect(node?.exepath).toMatch(/sleep$/);
      expect(t.ancestors(child.pid!)[1]?.pid).toBe(process.pid);
      expect(t.containerOf(process.pid)).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('Enricher without a container engine', () => {
  it('adds user/group names and ancestry to a host event', () => {
    const e = new Enricher({ tree: new ProcessTree({ readProc: false }), users: new UserDirectory() });
    e.enrich(ev('execve', 50, 1, 'bash'));
    const out = e.enrich(ev('execve', 51, 50, 'cat'));
    expect(out.proc.userName).toBe('root');
    expect(out.proc.groupName).toBe('root');
    expect(out.ancestors?.map((a) => a.comm)).toEqual(['bash']);
    expect(out.container).toBeUndefined();
  });
});

describe('Enricher.enrichInPlace', () => {
  const kinds = ['execve', 'clone', 'procexit', 'openat', 'connect'] as const;
  const step = fc.record({
    kind: fc.constantFrom(...kinds),
    pid: fc.integer({ min: 2, max: 9 }),
    ppid: fc.integer({ min: 1, max: 9 }),
    uid: fc.constantFrom(0, 65534, 424242),
    comm: fc.constantFrom('bash', 'sh', 'cat', 'curl'),
  });

  it('gives exactly what enrich gives, without copying, over any event sequence', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const copying = new Enricher({ tree: new ProcessTree({ readProc: false }), users: new UserDirectory() });
        const inPlace = new Enricher({ tree: new ProcessTree({ readProc: false }), users: new UserDirectory() });
        for (const s of steps) {
          const make = (): RuntimeEvent => {
            const e = ev(s.kind, s.pid, s.ppid, s.comm, s.kind === 'clone' ? { res: s.pid + 10 } : {});
            e.proc.uid = s.uid;
            return e;
          };
          const input = make();
          const copied = copying.enrich(input);
          expect(input).toEqual(make()); // enrich leaves its input alone
          const own = make();
          const filled = inPlace.enrichInPlace(own);
          expect(filled).toBe(own);
          expect(filled).toEqual(copied);
        }
      }),
    );
  });
});
