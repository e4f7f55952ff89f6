// The paste-able example in docs/rules.md must load cleanly and behave as described.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeEvent } from '@palisade/core';
import { expect, it } from 'vitest';
import { repoRoot } from '../../../test-support/paths.js';
import { checkRules, RuleEngine } from '../src/index.js';

const doc = readFileSync(path.join(repoRoot, 'docs', 'rules.md'), 'utf8');
const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;

const miner = (image: string, comm = 'xmrig'): RuntimeEvent => ({
  ts: 1_796_000_000_000_000_000,
  host: 'node-1',
  type: 'execve',
  proc: { pid: 7, ppid: 1, uid: 0, gid: 0, exe: `/tmp/${comm}`, comm, args: ['-o', 'pool:3333'], cwd: '/', tty: 0 },
  ancestors: [{ pid: 1, comm: 'sh' }],
  container: { id: 'abc123def456', name: 'web', image: `${image}:1.0`, runtime: 'podman' },
  k8s: { namespace: 'shop', pod: 'web-0', labels: {} },
});

it('docs/rules.md example loads, fires, and honours its exception', () => {
  const files = [{ path: 'docs/rules.md', text: example }];
  expect(checkRules(files).summary).toMatchObject({ total: 1, loaded: 1 });
  const { engine, errors } = RuleEngine.load(files);
  expect(errors).toEqual([]);
  const [alert] = engine.evaluate(miner('docker.io/evil/app'));
  expect(alert).toMatchObject({ rule: 'Crypto miner started in container', priority: 'Critical' });
  expect(alert!.output).toContain('Miner started (process=xmrig command=xmrig -o pool:3333 parent=sh container=web');
  expect(alert!.output).toContain('image=docker.io/evil/app pod=web-0)');
  expect(engine.evaluate(miner('registry.example.com/perf/bench'))).toEqual([]);
  expect(engine.evaluate(miner('registry.example.com/perf/bench', 'minerd'))).toHaveLength(1);
});
