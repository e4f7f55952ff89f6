// Server-assigned response policies and behaviour profiles merged over the local files: the merge
// rule, a bad document keeping what was in force, and profiles replaced and restored in place.

import type { Alert, RuntimeEvent } from '@palisade/core';
import { BaselineDetector, parseResponsePolicy, type ResponseExecutor } from '@palisade/runtime';
import { describe, expect, it } from 'vitest';
import { execEvent } from '../test/support.js';
import { ServerBehaviourProfiles } from './behaviour-profiles.js';
import { mergeResponsePolicies, ResponsePolicySet } from './response-policies.js';

const policy = (mode: string, body: string) =>
  `apiVersion: palisade.dev/v1\nkind: ResponsePolicy\nspec:\n  mode: ${mode}\n  responses:\n${body}`;
const BASE = policy(
  'audit',
  '    - rules: [Shell in container]\n      actions: [kill]\n    - rules: [Miner]\n      actions: [stop]\n',
);
const SERVER = policy('enforce', '    - rules: [Shell in container]\n      actions: [kill]\n');

function alert(rule: string): Alert {
  return {
    time: '2026-11-27T00:00:00.000000000Z',
    rule,
    priority: 'Critical',
    output: rule,
    output_fields: {},
    tags: [],
    hostname: 'h',
    source: 'syscall',
  };
}

/** Records what it was asked to do instead of signalling (the pids here are not real processes). */
class RecordingExecutor implements ResponseExecutor {
  readonly done: string[] = [];
  async killProcess(pid: number) {
    this.done.push(`kill ${pid}`);
  }
  async killProcessGroup(pgid: number) {
    this.done.push(`killpg ${pgid}`);
  }
  async stopContainer(id: string) {
    this.done.push(`stop ${id}`);
  }
  async pauseContainer(id: string) {
    this.done.push(`pause ${id}`);
  }
}

describe('server response policies over the local file', () => {
  it('checks server entries first, each with its own document’s mode; settings from the file', () => {
    const base = parseResponsePolicy(BASE.replace('responses:', 'rateLimit: { burst: 1, perMinute: 1 }\n  responses:'));
    const merged = mergeResponsePolicies(base, [parseResponsePolicy(SERVER)]);
    expect(merged.responses.map((r) => [r.rules[0], r.actions[0], r.mode])).toEqual([
      ['Shell in container', 'kill', 'enforce'],
      ['Shell in container', 'kill', 'audit'],
      ['Miner', 'stop', 'audit'],
    ]);
    expect(merged.rateLimit).toEqual({ burst: 1, perMinute: 1 });
  });

  it('swaps the responder in place and keeps the previous one when a document is bad', async () => {
    const executor = new RecordingExecutor();
    const set = new ResponsePolicySet({ base: { text: BASE, file: 'base.yaml' }, executor, log: () => {} });
    const ev: RuntimeEvent = execEvent('sh', { container: { id: 'c1' } } as Partial<RuntimeEvent>);
    expect(await set.respond(alert('Shell in container'), ev)).toMatchObject([{ action: 'kill', result: 'audited' }]);

    expect(set.setRemote([{ path: 'server:ResponsePolicy/enforce@v1', text: SERVER }]).applied).toBe(true);
    const actions = await set.respond(alert('Shell in container'), { ...ev, proc: { ...ev.proc, pid: 999_999_999 } });
    expect(actions).toMatchObject([{ action: 'kill', mode: 'enforce' }]);
    expect(executor.done).toEqual(['kill 999999999']);

    const bad = set.setRemote([{ path: 'server:ResponsePolicy/bad@v1', text: policy('sometimes', '') }]);
    expect(bad).toMatchObject({ applied: false, error: expect.stringContaining('server:ResponsePolicy/bad@v1') });
    expect(set.policy().responses[0]!.mode).toBe('enforce');

    // The server document withdrawn: the file alone again.
    set.setRemote([]);
    expect(set.policy().responses.map((r) => r.mode)).toEqual(['audit', 'audit']);
  });

  it('does nothing for alerts when neither the file nor the server has a policy', async () => {
    const set = new ResponsePolicySet();
    expect(await set.respond(alert('x'), execEvent('sh'))).toBeUndefined();
  });
});

const profile = (workload: string, exes: string[]) =>
  `apiVersion: palisade.dev/v1\nkind: BehaviourProfile\nmetadata: { workload: ${workload} }\nspec:\n  mode: detect\n  processes:\n${exes.map((e) => `    - ${e}`).join('\n')}\n`;
const inImage = (image: string, exe: string): RuntimeEvent =>
  execEvent(exe.split('/').pop()!, {
    container: { id: 'c1', name: 'web', image },
    proc: { ...execEvent('x').proc, exe, exepath: exe, comm: exe.split('/').pop()! },
  } as Partial<RuntimeEvent>);

describe('server behaviour profiles', () => {
  it('without a local file, judges only workloads the server assigned a profile to', () => {
    const p = new ServerBehaviourProfiles(undefined);
    expect(p.observe(inImage('web:1', '/usr/bin/curl'))).toEqual([]);
    expect(
      p.setRemote([{ path: 'server:BehaviourProfile/web@v1', text: profile('web:1', ['/usr/sbin/nginx']) }]),
    ).toEqual({
      applied: true,
    });
    expect(p.observe(inImage('web:1', '/usr/sbin/nginx'))).toEqual([]);
    expect(p.observe(inImage('web:1', '/usr/bin/curl'))).toHaveLength(1);
    expect(p.observe(inImage('other:1', '/usr/bin/curl'))).toEqual([]);
    p.setRemote([]);
    expect(p.observe(inImage('web:1', '/usr/bin/wget'))).toEqual([]);
  });

  it('with a local file, overrides its profile and restores it when the server drops it', () => {
    const detector = new BaselineDetector({ learnWindowSeconds: 60 });
    const base = [
      {
        workload: 'web:1',
        mode: 'detect' as const,
        processes: [{ exe: '/usr/bin/curl', parent: '*' }],
        fileWrites: [],
        network: [],
      },
    ];
    detector.loadProfiles(base);
    const p = new ServerBehaviourProfiles({ detector, base });
    expect(p.observe(inImage('web:1', '/usr/bin/curl'))).toEqual([]);
    p.setRemote([{ path: 'server:BehaviourProfile/web@v1', text: profile('web:1', ['/usr/sbin/nginx']) }]);
    expect(p.workloads()).toEqual(['web:1']);
    expect(p.observe(inImage('web:1', '/usr/bin/curl'))).toHaveLength(1);
    expect(p.observe(inImage('web:1', '/usr/sbin/nginx'))).toEqual([]);
    // A broken document keeps the server profile in force.
    expect(p.setRemote([{ path: 'server:BehaviourProfile/bad@v1', text: 'kind: Nope' }]).applied).toBe(false);
    expect(p.observe(inImage('web:1', '/usr/bin/curl2'))).toHaveLength(1);
    p.setRemote([]);
    expect(p.observe(inImage('web:1', '/usr/bin/curl'))).toEqual([]);
    expect(detector.profilesSnapshot()[0]!.processes).toEqual([{ exe: '/usr/bin/curl', parent: '*' }]);
  });
});
