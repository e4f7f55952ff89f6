// Gate: every rule of Falco's stable ruleset loads unmodified and fires on a recorded event
// describing its behaviour, while a benign near-miss event for the same rule does not fire.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeEvent } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../test-support/paths.js';
import { checkRules, RuleEngine, toRuntimeEvent } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const stable = { path: 'falco_rules.yaml', text: readFileSync(sharedDataPath('falco', 'falco_rules.yaml'), 'utf8') };

interface Case {
  rule: string;
  expect: 'fire' | 'none';
  note: string;
  event: RuntimeEvent;
}
const cases: Case[] = readFileSync(path.join(here, 'fixtures', 'stable-rules.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l, i) => {
    const c = JSON.parse(l) as Case;
    return { ...c, event: toRuntimeEvent(c.event, 'stable-rules.ndjson', i + 1) };
  });

describe('Falco stable ruleset', () => {
  const { engine, errors } = RuleEngine.load([stable], { ruleMatching: 'all' });

  it('loads all 25 rules without errors', () => {
    expect(errors).toEqual([]);
    expect(engine.ruleNames).toHaveLength(25);
    const report = checkRules([stable]);
    expect(report.summary).toMatchObject({ total: 25, loaded: 25, failed: 0, unsupported: 0 });
  });

  it('has a firing and a near-miss fixture for every rule', () => {
    for (const name of engine.ruleNames) {
      expect(
        cases.some((c) => c.rule === name && c.expect === 'fire'),
        `fire fixture for ${name}`,
      ).toBe(true);
      expect(
        cases.some((c) => c.rule === name && c.expect === 'none'),
        `near-miss fixture for ${name}`,
      ).toBe(true);
    }
  });

  it('indexes every stable rule by evt.type', () => {
    for (const c of engine.checks) expect(c.evtTypes, c.name).not.toBeNull();
  });

  for (const c of cases) {
    it(`${c.rule}: ${c.expect === 'fire' ? 'fires on' : 'ignores'} ${c.note}`, () => {
      const fired = engine.evaluate(c.event).map((a) => a.rule);
      if (c.expect === 'fire') expect(fired).toContain(c.rule);
      else expect(fired).not.toContain(c.rule);
    });
  }

  it('renders Falco-shaped alerts with <NA> for missing fields', () => {
    const c = cases.find((x) => x.rule === 'Terminal shell in container' && x.expect === 'fire')!;
    const [alert] = engine.evaluate(c.event);
    expect(alert).toMatchObject({
      rule: 'Terminal shell in container',
      priority: 'Notice',
      hostname: 'node-1',
      source: 'syscall',
      tags: ['maturity_stable', 'container', 'shell', 'mitre_execution', 'T1059'],
      time: '2026-11-30T00:53:20.123456000Z',
    });
    expect(alert!.output).toBe(
      '00:53:20.123456000: Notice A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 user_loginuid=-1 process=sh proc_exepath=/bin/sh parent=containerd-shim command=sh terminal=34816 exe_flags=0',
    );
    expect(alert!.output_fields).toMatchObject({ 'proc.name': 'sh', 'proc.tty': 34816, 'evt.arg.flags': '0' });
    const k8s = cases.find((x) => x.rule === 'Contact K8S API Server From Container' && x.expect === 'fire')!;
    const ssh = engine.evaluate({ ...k8s.event, proc: { ...k8s.event.proc, userName: undefined } })[0]!;
    expect(ssh.output).toContain('user=<NA>');
    expect(ssh.output_fields['user.name']).toBeNull();
  });

  it('with Falco default rule_matching=first reports only the first matching rule', () => {
    const { engine: first } = RuleEngine.load([stable]);
    const c = cases.find((x) => x.rule === 'Directory traversal monitored file read' && x.expect === 'fire')!;
    expect(engine.evaluate(c.event).length).toBeGreaterThan(1);
    expect(first.evaluate(c.event).map((a) => a.rule)).toEqual(['Directory traversal monitored file read']);
  });

  it('fuzz: sparse or odd events never make a rule throw', () => {
    const types = [...new Set(engine.checks.flatMap((c) => c.evtTypes ?? []))];
    const text = fc.string({ maxLength: 12 });
    const event = fc.record(
      {
        type: fc.constantFrom(...types, 'read', 'close'),
        comm: text,
        args: fc.array(text, { maxLength: 3 }),
        ancestors: fc.array(fc.record({ pid: fc.integer(), comm: text }), { maxLength: 6 }),
        fd: fc.option(
          fc.record({
            name: text,
            type: fc.constantFrom('file', 'ipv4', 'ipv6', 'unix', 'directory'),
            openFlags: fc.integer(),
          }),
        ),
        net: fc.option(
          fc.record({
            proto: text,
            saddr: fc.oneof(fc.ipV4(), fc.ipV6(), text),
            sport: fc.integer(),
            daddr: fc.oneof(fc.ipV4(), fc.ipV6(), text),
            dport: fc.integer(),
          }),
        ),
        params: fc.option(
          fc.dictionary(
            fc.constantFrom('request', 'target', 'oldpath', 'domain', 'flags'),
            fc.oneof(text, fc.integer()),
          ),
        ),
        res: fc.option(fc.integer({ min: -200, max: 10 })),
      },
      { requiredKeys: ['type', 'comm', 'args', 'ancestors'] },
    );
    fc.assert(
      fc.property(event, (e) => {
        const ev: RuntimeEvent = {
          ts: 1_796_000_000_000_000_000,
          host: 'h',
          type: e.type,
          proc: { pid: 1, ppid: 0, uid: 0, gid: 0, exe: e.comm, comm: e.comm, args: e.args, cwd: '/', tty: 0 },
          ancestors: e.ancestors,
          ...(e.fd ? { fd: e.fd } : {}),
          ...(e.net ? { net: e.net } : {}),
          ...(e.params ? { params: e.params } : {}),
          ...(e.res !== undefined && e.res !== null ? { res: e.res } : {}),
        };
        for (const a of engine.evaluate(ev)) expect(a.output.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
