import type { RuntimeEvent } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkRules, renderRulesCheck } from './check-rules.js';
import { RuleEngine } from './rule-engine.js';

const exec = (comm: string, args: string[] = [], extra: Partial<RuntimeEvent> = {}): RuntimeEvent => ({
  ts: 1_796_000_000_000_000_000,
  host: 'node-1',
  type: 'execve',
  proc: { pid: 10, ppid: 9, uid: 1000, gid: 1000, exe: comm, comm, args, cwd: '/home/a', tty: 0, userName: 'alice' },
  ancestors: [
    { pid: 9, comm: 'bash' },
    { pid: 8, comm: 'sshd' },
  ],
  ...extra,
});

const BASE = `
- required_engine_version: 0.26.0
- required_plugin_versions:
    - name: k8saudit
      version: 0.7.0
- list: shells
  items: [bash, sh]
- list: all_shells
  items: [shells, zsh]
- macro: spawned
  condition: evt.type = execve
- macro: shell_spawned
  condition: spawned and proc.name in (all_shells)
- rule: Shell started
  desc: a shell
  condition: shell_spawned
  output: "shell %proc.name by %user.name under %proc.aname[2] (100%% sure, pod=%k8s.pod.name)"
  priority: warning
  tags: [shell, T1059]
- rule: Curl started
  desc: curl
  condition: spawned and proc.name = curl
  output: curl %proc.cmdline
  priority: INFO
`;

const file = (path: string, text: string) => ({ path, text });

describe('RuleEngine', () => {
  it('expands lists inside lists and macros inside macros, renders outputs', () => {
    const { engine, errors, warnings } = RuleEngine.load([file('base.yaml', BASE)]);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.code)).toContain('plugin-required');
    const [alert] = engine.evaluate(exec('zsh'));
    expect(alert).toMatchObject({
      rule: 'Shell started',
      priority: 'Warning',
      tags: ['shell', 'T1059'],
      source: 'syscall',
    });
    expect(alert!.output).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Warning shell zsh by alice under sshd \(100% sure, pod=<NA>\)$/,
    );
    expect(alert!.output_fields).toEqual({
      'proc.name': 'zsh',
      'user.name': 'alice',
      'proc.aname[2]': 'sshd',
      'k8s.pod.name': null,
    });
    expect(engine.evaluate(exec('curl', ['-s', 'x']))[0]).toMatchObject({
      rule: 'Curl started',
      priority: 'Informational',
    });
    expect(engine.evaluate(exec('vim'))).toEqual([]);
    expect(engine.evaluate({ ...exec('zsh'), type: 'openat' })).toEqual([]);
  });

  it('applies append, override, exceptions (both forms) and enabled toggles in file order', () => {
    const custom = `
- list: shells
  items: [fish]
  append: true
- macro: spawned
  condition: and user.uid != 0
  append: true
- rule: Shell started
  exceptions:
    - name: trusted_parents
      fields: proc.pname
      comps: in
      values: [cron, shells]
    - name: user_and_cmd
      fields: [user.name, proc.cmdline]
      comps: [=, startswith]
      values:
        - [alice, "zsh -c make"]
  override:
    exceptions: append
- rule: Curl started
  priority: CRITICAL
  output: curl run by %user.name
  override:
    priority: replace
    output: replace
- rule: Curl started
  enabled: false
- rule: Curl started
  enabled: true
  override:
    enabled: replace
`;
    const { engine, errors } = RuleEngine.load([file('base.yaml', BASE), file('custom.yaml', custom)], {
      ruleMatching: 'all',
    });
    expect(errors).toEqual([]);
    const withParent = (ev: RuntimeEvent, comm: string): RuntimeEvent => ({
      ...ev,
      ancestors: [
        { pid: 9, comm },
        { pid: 8, comm: 'sshd' },
      ],
    });
    expect(engine.evaluate(withParent(exec('fish'), 'tmux')).map((a) => a.rule)).toEqual(['Shell started']);
    expect(engine.evaluate(withParent(exec('fish'), 'cron'))).toEqual([]);
    // `shells` in the exception values is a list name; it expands to bash, sh, fish.
    expect(engine.evaluate(withParent(exec('zsh'), 'fish'))).toEqual([]);
    expect(engine.evaluate(withParent(exec('zsh', ['-c', 'make all']), 'tmux'))).toEqual([]);
    expect(engine.evaluate(withParent(exec('zsh', ['-c', 'rm -rf /']), 'tmux'))).toHaveLength(1);
    // The appended macro text excludes root.
    const root = exec('zsh');
    root.proc = { ...root.proc, uid: 0 };
    expect(engine.evaluate(root)).toEqual([]);
    const [curl] = engine.evaluate(exec('curl'));
    expect(curl).toMatchObject({ priority: 'Critical' });
    expect(curl!.output).toContain('curl run by alice');
  });

  it('reports a broken rule with file, line and name and loads the rest', () => {
    const broken = `
- rule: Uses unknown field
  desc: x
  condition: evt.type = execve and proc.nonexistent = 1
  output: x
  priority: WARNING
- rule: Bad syntax
  desc: x
  condition: evt.type = execve and (proc.name = a
  output: x
  priority: WARNING
- rule: Missing output
  desc: x
  condition: evt.type = execve
  priority: WARNING
- rule: Bad priority
  desc: x
  condition: evt.type = execve
  output: x
  priority: LOUD
- macro: nope
  condition: x
  append: true
- rule: Still fine
  desc: x
  condition: evt.type = execve and proc.name = ok
  output: ok %proc.name
  priority: NOTICE
`;
    const { engine, errors } = RuleEngine.load([file('rules/broken.yaml', broken)]);
    expect(engine.ruleNames).toEqual(['Still fine']);
    const byName = new Map(errors.map((e) => [e.name, e]));
    expect(byName.get('Uses unknown field')).toMatchObject({
      file: 'rules/broken.yaml',
      line: 4,
      code: 'unknown-field',
    });
    expect(byName.get('Uses unknown field')!.message).toContain('rules/broken.yaml:2: rule "Uses unknown field"');
    expect(byName.get('Bad syntax')).toMatchObject({ code: 'syntax' });
    expect(byName.get('Bad syntax')!.message).toContain('position 36');
    expect(byName.get('Missing output')).toMatchObject({ line: 12, code: 'schema' });
    expect(byName.get('Missing output')!.message).toContain('missing output');
    expect(byName.get('Bad priority')!.message).toContain('unknown priority "LOUD"');
    expect(byName.get('nope')).toMatchObject({ code: 'append-without-base' });
    expect(engine.evaluate(exec('ok'))).toHaveLength(1);
  });

  it('keeps the previous ruleset when a reload is not YAML, and swaps on a good reload', () => {
    const { engine } = RuleEngine.load([file('base.yaml', BASE)]);
    const bad = engine.reload([file('base.yaml', 'rule: [unclosed\n  - {')]);
    expect(bad.applied).toBe(false);
    expect(bad.errors[0]).toMatchObject({ file: 'base.yaml', code: 'yaml', fatal: true });
    expect(engine.evaluate(exec('bash'))).toHaveLength(1);
    const notList = engine.reload([file('base.yaml', 'rule: x\n')]);
    expect(notList).toMatchObject({ applied: false });
    expect(notList.errors[0]!.message).toContain('top level must be a list');
    const good = engine.reload([file('other.yaml', BASE.replace('proc.name = curl', 'proc.name = wget'))]);
    expect(good.applied).toBe(true);
    expect(engine.evaluate(exec('wget'))[0]!.rule).toBe('Curl started');
    expect(engine.evaluate(exec('curl'))).toEqual([]);
  });

  it('warns about unused macros and lists and rules that match every event type', () => {
    const text = `${BASE}
- macro: orphan
  condition: proc.name = x
- list: orphan_list
  items: [a]
- list: used_inside_list
  items: [b]
- list: user_list
  items: [used_inside_list]
- rule: Any type
  desc: x
  condition: proc.name in (user_list)
  output: x
  priority: DEBUG
- rule: Any type, quiet
  desc: x
  condition: proc.name = y
  output: x
  priority: DEBUG
  warn_evttypes: false
`;
    const { warnings } = RuleEngine.load([file('w.yaml', text)]);
    const codes = warnings.filter((w) => w.code !== 'plugin-required').map((w) => [w.code, w.name]);
    expect(codes).toEqual([
      ['no-evttype', 'Any type'],
      ['unused', 'orphan'],
      ['unused', 'orphan_list'],
    ]);
  });

  it('applies Falco-style enable/disable commands by name wildcard and tag, in order', () => {
    const off = `${BASE}
- rule: Off by default
  desc: x
  condition: evt.type = execve and proc.name = vim
  output: x
  priority: DEBUG
  tags: [editor]
  enabled: false
`;
    const names = (rules: Parameters<typeof RuleEngine.load>[1]) =>
      RuleEngine.load([file('b.yaml', off)], rules).engine.ruleNames;
    expect(names({})).toEqual(['Shell started', 'Curl started']);
    expect(names({ rules: [{ disable: { rule: '*' } }, { enable: { tag: 'editor' } }] })).toEqual(['Off by default']);
    expect(names({ rules: [{ disable: { rule: '* started' } }] })).toEqual([]);
    expect(names({ rules: [{ enable: { rule: 'Off*' } }, { disable: { tag: 'shell' } }] })).toEqual([
      'Curl started',
      'Off by default',
    ]);
  });

  it('filters rules below the minimum priority', () => {
    const { engine } = RuleEngine.load([file('base.yaml', BASE)], { minPriority: 'notice' });
    expect(engine.ruleNames).toEqual(['Shell started']);
  });
});

describe('checkRules', () => {
  it('lists per rule whether it loads and why not', () => {
    const extra = `
- rule: K8s audit rule
  desc: plugin
  condition: ka.verb = create
  output: x
  priority: WARNING
  source: k8s_audit
- rule: Future field
  desc: x
  condition: evt.type = open and fs.path.name = /x and proc.pid contains 1
  output: x %fs.path.name
  priority: WARNING
- rule: Tolerant
  desc: x
  condition: evt.type = open and fs.path.name = /x
  output: x
  priority: WARNING
  skip-if-unknown-filter: true
- rule: Off
  desc: x
  condition: evt.type = open
  output: x
  priority: WARNING
  enabled: false
`;
    const report = checkRules([file('base.yaml', BASE), file('extra.yaml', extra)]);
    const status = Object.fromEntries(report.rules.map((r) => [r.name, r.status]));
    expect(status).toEqual({
      'Shell started': 'loaded',
      'Curl started': 'loaded',
      'K8s audit rule': 'unsupported',
      'Future field': 'failed',
      Tolerant: 'skipped',
      Off: 'disabled',
    });
    const future = report.rules.find((r) => r.name === 'Future field')!;
    expect(future.missingFields).toEqual(['fs.path.name']);
    expect(future.unsupportedOperators[0]).toContain('operator "contains" is not supported on number field "proc.pid"');
    expect(report.rules.find((r) => r.name === 'K8s audit rule')!.reasons[0]).toContain('source "k8s_audit"');
    expect(report.summary).toEqual({ total: 6, loaded: 2, disabled: 1, failed: 1, unsupported: 1, skipped: 1 });
    expect(report.missingFields).toEqual({ 'fs.path.name': 2 });
    expect(report.requiredPlugins).toEqual([{ file: 'base.yaml', name: 'k8saudit', version: '0.7.0' }]);
    expect(report.requiredEngineVersions).toEqual([{ file: 'base.yaml', version: '0.26.0' }]);
    const text = renderRulesCheck(report);
    expect(text).toContain(
      'failed      Future field (extra.yaml:8)\n            unknown field "fs.path.name" (at position 20)',
    );
    expect(text).toContain(
      '6 rules: 2 loaded, 1 disabled, 1 failed, 1 unsupported, 1 skipped\nmissing fields: fs.path.name (2)\n',
    );
  });
});

describe('rules loader robustness', () => {
  it('fuzz: arbitrary text or YAML structures give errors, never a crash', () => {
    const itemKeys = fc.constantFrom(
      'rule',
      'macro',
      'list',
      'condition',
      'items',
      'append',
      'override',
      'exceptions',
      'output',
      'priority',
      'enabled',
      'values',
      'fields',
      'comps',
      'source',
      'tags',
    );
    const item = fc.dictionary(
      itemKeys,
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom('evt.type = execve', 'append', 'replace', 'WARNING', 'shells'),
      ),
      { maxKeys: 6 },
    );
    const doc = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(item, { maxLength: 5 }).map((items) => stringify(items)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)),
    );
    fc.assert(
      fc.property(doc, (text) => {
        const { engine, errors } = RuleEngine.load([file('fuzz.yaml', BASE), file('fuzz2.yaml', text)]);
        for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
        engine.evaluate(exec('bash'));
      }),
      { numRuns: 400 },
    );
  });
});

describe('macros shared by several rules', () => {
  const RULES = `
- macro: sensitive_read
  condition: (evt.type = openat and fd.name startswith /etc/ and proc.name in (cat, less))
- rule: Sensitive read
  desc: d
  condition: sensitive_read
  output: "read %fd.name"
  priority: warning
- rule: Other open
  desc: d
  condition: evt.type = openat and not sensitive_read
  output: "open %fd.name"
  priority: notice
- rule: Sensitive read by cat
  desc: d
  condition: sensitive_read and proc.name = cat
  output: "cat %fd.name"
  priority: warning
`;
  const open = (comm: string, name: string): RuntimeEvent => ({
    ...exec(comm),
    type: 'openat',
    fd: { name, type: 'file', openFlags: 0 },
  });
  /** What the three rules say by themselves, written out by hand. */
  const expected = (comm: string, name: string): string[] => {
    const s = name.startsWith('/etc/') && (comm === 'cat' || comm === 'less');
    return s ? (comm === 'cat' ? ['Sensitive read', 'Sensitive read by cat'] : ['Sensitive read']) : ['Other open'];
  };

  it('are judged afresh for every event, in every engine', () => {
    const a = RuleEngine.load([{ path: 'r.yaml', text: RULES }], { ruleMatching: 'all' }).engine;
    const b = RuleEngine.load([{ path: 'r.yaml', text: RULES }], { ruleMatching: 'all' }).engine;
    const ev = fc.record({
      comm: fc.constantFrom('cat', 'less', 'vi'),
      name: fc.constantFrom('/etc/shadow', '/tmp/x'),
    });
    fc.assert(
      fc.property(fc.array(ev, { minLength: 1, maxLength: 20 }), (events) => {
        for (const e of events) {
          const want = expected(e.comm, e.name);
          // The same event object twice and two engines interleaved: neither may see a stale result.
          const event = open(e.comm, e.name);
          expect(a.evaluate(event).map((x) => x.rule)).toEqual(want);
          expect(b.evaluate(open(e.comm, e.name)).map((x) => x.rule)).toEqual(want);
          expect(a.evaluate(event).map((x) => x.rule)).toEqual(want);
        }
      }),
    );
  });
});
