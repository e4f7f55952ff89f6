// The paste-able examples in docs/runtime.md must load and behave as the page says: the tuning
// file on top of the default rules, the response policy, and the hand-edited baseline profile.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeEvent } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test-support/paths.js';
import {
  BaselineDetector,
  defaultRulesFile,
  loadProfiles,
  parseResponsePolicy,
  Responder,
  RuleEngine,
} from '../src/index.js';

const doc = readFileSync(path.join(repoRoot, 'docs', 'runtime.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (needle: string) => {
  const b = yamlBlocks.find((y) => y.includes(needle));
  if (!b) throw new Error(`docs/runtime.md has no yaml block with ${needle}`);
  return b;
};

function exec(comm: string, image: string): RuntimeEvent {
  return {
    ts: 1_796_000_000_000_000_000,
    host: 'node-1',
    type: 'execve',
    proc: { pid: 7, ppid: 6, uid: 0, gid: 0, exe: `/usr/bin/${comm}`, comm, args: [], cwd: '/', tty: 0 },
    ancestors: [{ pid: 6, comm: 'node', exepath: '/usr/bin/node' }],
    container: { id: 'abc123def456', name: 'app', image, runtime: 'podman' },
  };
}

describe('docs/runtime.md examples', () => {
  it('the tuning file appends to allow lists and overrides a priority', () => {
    const local = { path: 'local_rules.yaml', text: block('palisade_allowed_shell_images') };
    const { engine, errors } = RuleEngine.load([defaultRulesFile(), local], { ruleMatching: 'all' });
    expect(errors).toEqual([]);
    const rules = (ev: RuntimeEvent) => engine.evaluate(ev).map((a) => a.rule);
    expect(rules(exec('sh', 'docker.io/library/nginx:1.27'))).toContain('Shell spawned in container');
    expect(rules(exec('sh', 'registry.example.com/tools/debug:1'))).not.toContain('Shell spawned in container');
    expect(rules(exec('apt-get', 'registry.example.com/ci/builder:2'))).not.toContain(
      'Package manager run in container',
    );
    const read: RuntimeEvent = {
      ...exec('cat', 'x:1'),
      type: 'openat',
      fd: { name: '/etc/shadow', type: 'file', openFlags: 0 },
      res: 3,
    };
    expect(engine.evaluate(read).find((a) => a.rule === 'Sensitive file read')?.priority).toBe('Error');
  });

  it('the response policy parses and plans the documented actions', () => {
    const policy = parseResponsePolicy(block('kind: ResponsePolicy'), 'docs/runtime.md');
    expect(policy).toMatchObject({ mode: 'enforce', stopTimeoutSeconds: 5, rateLimit: { burst: 3, perMinute: 6 } });
    const r = new Responder(policy);
    const alert = (rule: string, tags: string[], priority: 'Critical' | 'Warning' | 'Notice') => ({
      time: '',
      rule,
      priority,
      output: '',
      output_fields: {},
      tags,
      hostname: 'h',
      source: 'syscall',
    });
    const plan = (a: ReturnType<typeof alert>) => r.plan(a).map((p) => `${p.action}:${p.mode}`);
    expect(plan(alert('Cryptominer process started', ['T1496'], 'Critical'))).toEqual(['kill:enforce']);
    expect(plan(alert('Mount in container', ['T1611'], 'Warning'))).toEqual(['stop:enforce', 'kill:audit']);
    expect(plan(alert('Shell spawned in container', ['T1059.004'], 'Notice'))).toEqual([]);
  });

  it('the edited baseline profile accepts what it lists and alerts on the rest', () => {
    const d = new BaselineDetector();
    d.loadProfiles(loadProfiles(block('kind: BehaviourProfile'), 'docs/runtime.md'));
    const image = 'docker.io/library/nginx:1.27';
    expect(d.observe(exec('curl', image))).toEqual([]);
    expect(d.observe(exec('wget', image))).toHaveLength(1);
    const dns: RuntimeEvent = {
      ...exec('nginx', image),
      type: 'connect',
      net: { proto: 'udp', saddr: '10.88.0.5', sport: 5000, daddr: '10.88.0.1', dport: 53 },
    };
    expect(d.observe(dns)).toEqual([]);
    expect(d.observe({ ...dns, net: { ...dns.net!, dport: 853 } })).toHaveLength(1);
  });
});
