import type { RuntimeEvent } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { type CompileEnv, ConditionCompileError, compileCondition } from './compile-condition.js';
import { parseCondition } from './condition-parser.js';
import { EventContext } from './event-context.js';

const base: RuntimeEvent = {
  ts: 1_796_000_000_000_000_000,
  host: 'node-1',
  type: 'openat',
  proc: {
    pid: 10,
    ppid: 9,
    uid: 0,
    gid: 0,
    exe: '/usr/bin/cat',
    comm: 'cat',
    args: ['/etc/Shadow', '-n'],
    cwd: '/root',
    tty: 0,
  },
  ancestors: [
    { pid: 9, comm: 'bash' },
    { pid: 8, comm: 'sshd' },
    { pid: 1, comm: 'systemd' },
  ],
  fd: { name: '/etc/ssh/sshd_config', type: 'file', openFlags: 0o1 | 0o1000 },
  net: { proto: 'tcp', saddr: '10.0.0.5', sport: 40000, daddr: '203.0.113.7', dport: 443 },
  res: 3,
  bufferHex: '00cafebabe01',
};

const env: CompileEnv = {
  macros: new Map([
    ['is_cat', { ast: parseCondition('proc.name = cat') }],
    ['nested', { ast: parseCondition('is_cat and fd.name startswith /etc') }],
    ['loop_a', { ast: parseCondition('loop_b') }],
    ['loop_b', { ast: parseCondition('loop_a') }],
  ]),
  lists: new Map([
    ['shells', ['bash', 'sh']],
    ['login', ['shells', 'sshd', '"(systemd)"']],
    ['private', ['10.0.0.0/8', '192.168.0.0/16']],
  ]),
};

function matches(cond: string, ev: RuntimeEvent = base): boolean {
  const compiled = compileCondition(parseCondition(cond), env);
  return compiled.test(new EventContext().reset(ev));
}

function problems(cond: string) {
  try {
    compileCondition(parseCondition(cond), env);
  } catch (err) {
    if (err instanceof ConditionCompileError) return err.problems;
    throw err;
  }
  return [];
}

describe('compileCondition operators', () => {
  it.each([
    ['proc.name = cat', true],
    ['proc.name == cat', true],
    ['proc.name != cat', false],
    ['proc.pid > 9 and proc.pid >= 10 and proc.pid < 11 and proc.pid <= 10', true],
    ['proc.cmdline = "cat /etc/Shadow -n"', true],
    ['proc.args contains Shadow', true],
    ['proc.args contains shadow', false],
    ['proc.args icontains SHADOW', true],
    ['fd.name startswith /etc/ssh and fd.name endswith _config', true],
    ['fd.name glob "/etc/*/sshd_*"', true],
    ['fd.name glob "/etc/ssh"', false],
    ['fd.name iglob "/ETC/*"', true],
    ['fd.name regex "/etc/[a-z]+/sshd_config"', true],
    ['fd.name regex "ssh"', false],
    ['fd.name pmatch (/etc/ssh, /var)', true],
    ['fd.name pmatch (/etc/ss)', false],
    ['fd.name pmatch (/etc/*/sshd_config)', true],
    ['fd.directory = /etc/ssh and fd.filename = sshd_config', true],
    ['proc.name in (dog, cat)', true],
    ['proc.name intersects (dog, cat)', true],
    ['proc.pname in (shells)', true],
    ['proc.aname[2] in (login)', true],
    ['proc.aname[3] = "(systemd)"', false],
    ['proc.aname = systemd', true],
    ['proc.aname[1] = sshd', false],
    ['proc.aname[0] = cat', true],
    ['proc.apid[3] = 1', true],
    ['proc.aname[4] exists', false],
    ['fd.name exists and not k8s.ns.name exists', true],
    ['evt.arg.flags contains O_TRUNC and evt.is_open_write = true and evt.is_open_read = false', true],
    ['evt.buffer bcontains CAFEBABE and evt.buffer bstartswith 00ca', true],
    ['evt.buffer bcontains afebab', false],
    ['fd.sip = 203.0.113.7 and fd.cip != 203.0.113.7', true],
    ['fd.snet in (private)', false],
    ['fd.cnet in (private)', true],
    ['fd.net = "10.0.0.0/8"', true],
    ['fd.ip = "10.0.0.5" and fd.port in (443)', true],
    ['fd.lport = 40000 and fd.rport = 443 and fd.l4proto = tcp', true],
    ['fd.typechar = f and fd.num = 3', true],
    ['evt.res = SUCCESS and evt.rawres >= 0', true],
    ['proc.name = val(proc.pname)', false],
    ['proc.cwd startswith val(proc.cwd)', true],
    ['toupper(proc.name) = CAT and len(proc.name) = 3 and basename(fd.name) = sshd_config', true],
    ['nested', true],
    ['container.id = host', true],
  ])('%s → %s', (cond, expected) => {
    expect(matches(cond)).toBe(expected);
  });

  it('treats a missing value as no match for every operator, so "not" of it is true', () => {
    const ev = { ...base, ancestors: [] };
    expect(matches('proc.pname = bash', ev)).toBe(false);
    expect(matches('proc.pname != bash', ev)).toBe(false);
    expect(matches('not proc.pname in (bash)', ev)).toBe(true);
    expect(matches('proc.pname exists', ev)).toBe(false);
  });

  it('maps errno results and failed opens like Falco', () => {
    const ev: RuntimeEvent = { ...base, res: -2, fd: { name: '/nope', type: 'file', openFlags: 0 } };
    expect(matches('evt.res = ENOENT and fd.num = -1 and evt.res startswith E', ev)).toBe(true);
  });

  it('matches IPv6 networks', () => {
    const ev: RuntimeEvent = {
      ...base,
      net: { proto: 'tcp', saddr: 'fd00::5', sport: 1, daddr: '2001:db8::1', dport: 443 },
    };
    expect(matches('fd.snet in ("2001:db8::/32")', ev)).toBe(true);
    expect(matches('fd.cnet in ("2001:db8::/32")', ev)).toBe(false);
    expect(matches('fd.sip = "2001:0db8:0:0:0:0:0:1"', ev)).toBe(true);
  });

  it('derives the evt.type set for indexing', () => {
    const types = (c: string) => compileCondition(parseCondition(c), env).evtTypes;
    expect(types('evt.type in (open, openat) and proc.name = cat')).toEqual(new Set(['open', 'openat']));
    expect(types('(evt.type = execve or evt.type = connect) and proc.name = cat')).toEqual(
      new Set(['execve', 'connect']),
    );
    expect(types('evt.type in (open, openat) and evt.type = openat')).toEqual(new Set(['openat']));
    expect(types('evt.type = execve or proc.name = cat')).toBeNull();
    expect(types('not evt.type = execve')).toBeNull();
  });

  it('reports every unknown field, bad value, undefined macro and macro cycle', () => {
    expect(problems('proc.nope = 1 and fd.nope exists').map((p) => [p.code, p.field])).toEqual([
      ['unknown-field', 'proc.nope'],
      ['unknown-field', 'fd.nope'],
    ]);
    expect(problems('proc.pid = abc')[0]).toMatchObject({ code: 'bad-value', pos: 11 });
    expect(problems('proc.pid contains 1')[0]).toMatchObject({ code: 'unsupported-operator' });
    expect(problems('container.privileged = maybe')[0]).toMatchObject({ code: 'bad-value' });
    expect(problems('fd.sip = not-an-ip')[0]).toMatchObject({ code: 'bad-value' });
    expect(problems('no_such_macro')[0]).toMatchObject({ code: 'undefined-macro' });
    expect(problems('loop_a')[0]).toMatchObject({ code: 'macro-cycle' });
    expect(problems('proc.aname[x] = a')[0]).toMatchObject({ code: 'bad-value' });
    expect(problems('fd.name regex "(["')[0]).toMatchObject({ code: 'bad-value' });
  });
});
