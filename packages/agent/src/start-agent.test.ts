import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@palisade/core';
import { parseEventLines } from '@palisade/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../test-support/paths.js';
import { execEvent, MemoryOutput, openEvent, waitFor } from '../test/support.js';
import type { AgentLogLevel } from './agent-log.js';
import { type AgentHandle, parseMinPriority, startAgent, withWorkloadFields } from './start-agent.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const agentRules = path.join(fixtures, 'agent_rules.yaml');

let tmp: string;
let agent: AgentHandle | undefined;
const logs: { level: AgentLogLevel; message: string }[] = [];
const log = (level: AgentLogLevel, message: string): void => void logs.push({ level, message });

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-agent-'));
  logs.length = 0;
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('startAgent pipeline (no sensor: events through ingest)', () => {
  it('evaluates each event and batches the alerts to every output, with stable ids', async () => {
    const a = new MemoryOutput();
    const b = new MemoryOutput();
    agent = startAgent({ rules: [agentRules], outputs: [a, b], sensor: false, log, hostname: 'node-7' });
    await agent.ready;
    const shell = execEvent('sh');
    agent.ingest(shell);
    agent.ingest(execEvent('ls'));
    agent.ingest(openEvent('/etc/shadow'));
    agent.ingest(openEvent('/etc/hosts'));
    await agent.flush();
    expect(a.rules()).toEqual(['Shell spawned', 'Shadow read']);
    expect(b.records).toEqual(a.records);
    expect(a.batches).toEqual([2]);
    const alert = a.records[0]!.alert;
    expect(alert.hostname).toBe('node-7');
    expect(alert.priority).toBe('Notice');
    expect(alert.output_fields['proc.name']).toBe('sh');
    // The same event and rule give the same id, so a resend is recognised.
    agent.ingest(shell);
    await agent.flush();
    expect(a.records[2]!.id).toBe(a.records[0]!.id);
    expect(a.records[0]!.id).not.toBe(a.records[1]!.id);
    expect(agent.stats()).toMatchObject({ events: 5, alerts: 3, rules: 2, drops: 0, queueDepth: 0 });
  });

  it("drops the agent's own process events", async () => {
    const out = new MemoryOutput();
    agent = startAgent({ rules: [agentRules], outputs: [out], sensor: false, log });
    const own = execEvent('sh');
    agent.ingest({ ...own, proc: { ...own.proc, pid: process.pid } });
    await agent.flush();
    expect(out.records).toHaveLength(0);
    expect(agent.stats().events).toBe(0);
  });

  it('filters by minimum priority', async () => {
    const out = new MemoryOutput();
    agent = startAgent({ rules: [agentRules], outputs: [out], sensor: false, log, minPriority: 'warning' });
    agent.ingest(execEvent('bash'));
    agent.ingest(openEvent('/etc/shadow'));
    await agent.flush();
    expect(out.rules()).toEqual(['Shadow read']);
    expect(() => startAgent({ rules: [agentRules], outputs: [], sensor: false, minPriority: 'loud' })).toThrow(
      /unknown priority "loud"/,
    );
    expect(parseMinPriority('info')).toBe('Informational');
    expect(parseMinPriority('CRITICAL')).toBe('Critical');
  });

  it('runs the enrich and respond stages and records the actions with the alert', async () => {
    const out = new MemoryOutput();
    agent = startAgent({
      rules: [agentRules],
      outputs: [out],
      sensor: false,
      log,
      enrich: {
        enrich: (ev) => ({ ...ev, container: { id: 'abc123', name: '', image: '', runtime: 'podman' } }),
        enrichAsync: async (ev) => ({
          ...ev,
          container: { id: 'abc123', name: 'web', image: 'nginx:1', runtime: 'podman' },
        }),
      },
      respond: async (alert) => [
        ...(alert.rule === 'Shell spawned'
          ? []
          : [{ action: 'alert' as const, mode: 'audit' as const, target: 'pid:0', result: 'skipped' as const }]),
        { action: 'kill', mode: 'audit', target: 'pid:1', result: 'audited' },
      ],
    });
    agent.ingest(execEvent('sh'));
    await agent.flush();
    expect(out.records).toHaveLength(1);
    expect(out.records[0]!.alert.output_fields['container.name']).toBe('web');
    expect(out.records[0]!.alert.actions).toEqual([
      { action: 'kill', mode: 'audit', target: 'pid:1', result: 'audited' },
    ]);
  });

  it('runs extra detectors on every event and delivers their alerts like rule alerts', async () => {
    const out = new MemoryOutput();
    const seen: string[] = [];
    agent = startAgent({
      rules: [agentRules],
      outputs: [out],
      sensor: false,
      log,
      detectors: [
        {
          observe: (ev) => {
            seen.push(ev.proc.comm);
            return ev.proc.comm === 'miner'
              ? [
                  {
                    time: 't',
                    rule: 'Behaviour outside baseline',
                    priority: 'Notice',
                    output: 'o',
                    output_fields: {},
                    tags: [],
                    hostname: 'h',
                    source: 'syscall',
                  },
                ]
              : [];
          },
        },
      ],
    });
    agent.ingest(execEvent('ls'));
    agent.ingest(execEvent('miner'));
    await agent.flush();
    expect(seen).toEqual(['ls', 'miner']);
    expect(out.rules()).toEqual(['Behaviour outside baseline']);
    expect(agent.stats().alerts).toBe(1);
  });

  it("adds the container and pod to alerts whose template did not name them (Falco's append_output)", () => {
    const alert = {
      time: 't',
      rule: 'r',
      priority: 'Notice' as const,
      output: 'o',
      output_fields: { 'container.id': 'abc' },
      tags: [],
      hostname: 'h',
      source: 'syscall',
    };
    const ev = {
      ...execEvent('sh'),
      container: {
        id: 'abcdef012345',
        name: 'web',
        image: 'registry.local:5000/shop/web:1.2@sha256:ff',
        runtime: 'podman',
      },
      k8s: { namespace: 'shop', pod: 'web-0', labels: {} },
    };
    expect(withWorkloadFields(alert, ev).output_fields).toEqual({
      'container.id': 'abc',
      'container.name': 'web',
      'container.image': 'registry.local:5000/shop/web:1.2@sha256:ff',
      'container.image.repository': 'registry.local:5000/shop/web',
      'k8s.ns.name': 'shop',
      'k8s.pod.name': 'web-0',
    });
    expect(withWorkloadFields(alert, execEvent('sh'))).toBe(alert);
  });

  it('keeps going when an output fails, and counts the failure', async () => {
    const good = new MemoryOutput();
    const bad = { name: 'bad', write: () => Promise.reject(new Error('disk full')), close: async () => {} };
    agent = startAgent({ rules: [agentRules], outputs: [bad, good], sensor: false, log });
    agent.ingest(execEvent('sh'));
    await agent.flush();
    expect(good.records).toHaveLength(1);
    expect(agent.stats().outputErrors).toBe(1);
    expect(logs.some((l) => l.level === 'error' && l.message.includes('disk full'))).toBe(true);
  });

  it('refuses rules that cannot load at all, naming the file', () => {
    const bad = path.join(fixtures, 'broken_rules.yaml');
    expect(() => startAgent({ rules: [bad], outputs: [], sensor: false, log })).toThrow(InputError);
    expect(() => startAgent({ rules: [bad], outputs: [], sensor: false, log })).toThrow(/broken_rules\.yaml/);
    expect(() => startAgent({ rules: [path.join(tmp, 'missing.yaml')], outputs: [], sensor: false, log })).toThrow(
      /cannot read rules file .*missing\.yaml/,
    );
  });

  it('loads every *.yaml of --rules-dir after the files, in name order', async () => {
    const dir = path.join(tmp, 'rules.d');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(fixtures, 'extra_rule.yaml'), path.join(dir, '50-extra.yaml'));
    fs.writeFileSync(path.join(dir, 'README'), 'not rules');
    const out = new MemoryOutput();
    agent = startAgent({ rules: [agentRules], rulesDir: dir, outputs: [out], sensor: false, log });
    expect(agent.ruleNames()).toEqual(['Shell spawned', 'Shadow read', 'Netcat started']);
  });

  it("replays Falco's stable ruleset fixtures to the same alerts as the engine", async () => {
    const out = new MemoryOutput();
    agent = startAgent({ rules: [sharedDataPath('falco', 'falco_rules.yaml')], outputs: [out], sensor: false, log });
    expect(agent.ruleNames().length).toBe(25);
    const lines = fs
      .readFileSync(fileURLToPath(new URL('../../runtime/test/fixtures/stable-rules.ndjson', import.meta.url)), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { rule: string; expect: string; event: unknown });
    const fire = lines.filter((c) => c.expect === 'fire');
    const events = parseEventLines(fire.map((c) => JSON.stringify(c.event)).join('\n'), 'stable-rules.ndjson');
    for (const ev of events) agent.ingest(ev);
    await agent.flush();
    expect(out.rules()).toEqual(fire.map((c) => c.rule));
  });
});

describe('rules reload without dropping events', () => {
  function copyRules(): string {
    const file = path.join(tmp, 'rules.yaml');
    fs.copyFileSync(agentRules, file);
    return file;
  }

  it('keeps the previous ruleset on a malformed file, logs file and line, and never stops alerting', async () => {
    const file = copyRules();
    const out = new MemoryOutput();
    agent = startAgent({ rules: [file], outputs: [out], sensor: false, log });
    let sent = 0;
    const pump = (n: number): void => {
      for (let i = 0; i < n; i++) {
        agent!.ingest(execEvent(i % 2 ? 'sh' : 'true'));
        sent++;
      }
    };
    pump(100);
    fs.copyFileSync(path.join(fixtures, 'broken_rules.yaml'), file);
    const bad = agent.reload();
    pump(100);
    expect(bad.applied).toBe(false);
    expect(bad.errors.some((e) => e.fatal && e.file === file)).toBe(true);
    expect(logs.some((l) => l.level === 'error' && l.message.includes(file) && /:\d+/.test(l.message))).toBe(true);
    expect(agent.ruleNames()).toEqual(['Shell spawned', 'Shadow read']);

    // A file with one broken rule: the rule is reported by name and line, the rest load.
    fs.writeFileSync(
      file,
      `${fs.readFileSync(agentRules, 'utf8')}\n- rule: Bad field\n  condition: proc.nosuchfield = x\n  output: x\n  priority: NOTICE\n  desc: d\n`,
    );
    const partial = agent.reload();
    expect(partial.applied).toBe(true);
    expect(partial.errors.some((e) => e.name === 'Bad field' && e.line !== undefined)).toBe(true);
    pump(100);

    // A good file with a new rule: it fires from the next event on.
    fs.appendFileSync(file, `\n${fs.readFileSync(path.join(fixtures, 'extra_rule.yaml'), 'utf8')}`);
    expect(agent.reload().applied).toBe(true);
    agent.ingest(execEvent('nc'));
    pump(100);
    await agent.flush();
    expect(agent.stats()).toMatchObject({ events: sent + 1, alerts: 201, reloads: 3, reloadFailures: 1 });
    expect(out.rules().filter((r) => r === 'Shell spawned')).toHaveLength(200);
    expect(out.rules()).toContain('Netcat started');
  });

  it('reloads on SIGHUP and when the watched file changes', async () => {
    const file = copyRules();
    const out = new MemoryOutput();
    agent = startAgent({ rules: [file], outputs: [out], sensor: false, log, signals: true, watchRules: true });
    process.kill(process.pid, 'SIGHUP');
    await waitFor(() => agent!.stats().reloads >= 1, 'a reload after SIGHUP');
    fs.appendFileSync(file, `\n${fs.readFileSync(path.join(fixtures, 'extra_rule.yaml'), 'utf8')}`);
    await waitFor(() => agent!.ruleNames().includes('Netcat started'), 'the watcher to load the new rule');
    agent.ingest(execEvent('nc'));
    await agent.flush();
    expect(out.rules()).toEqual(['Netcat started']);
  });
});
