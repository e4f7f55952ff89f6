// CIS 5.1: the OpenSSH server's effective global settings, read from sshd_config following Include
// (the first value wins, as in sshd) with OpenSSH's compiled-in defaults for unset keywords.

import type { Severity } from '@palisade/core';
import type { HostRoot } from '../host-root.js';
import type { SshdConfig } from '../parsers/sshd-config.js';
import { type CheckOutcome, type Evidence, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { checkPermissions, ev, octal } from './check-helpers.js';

/** OpenSSH 9.x defaults (sshd_config(5)) for the keywords the checks read. */
const DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  permitemptypasswords: 'no',
  maxauthtries: '6',
  x11forwarding: 'no',
  logingracetime: '120',
  clientaliveinterval: '0',
  clientalivecountmax: '3',
  banner: 'none',
  loglevel: 'INFO',
  maxsessions: '10',
  maxstartups: '10:30:100',
  ignorerhosts: 'yes',
  hostbasedauthentication: 'no',
  permituserenvironment: 'no',
  usepam: 'no',
  gssapiauthentication: 'no',
  disableforwarding: 'no',
  ciphers:
    'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  macs: 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1',
  kexalgorithms:
    'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
};

const WEAK_CIPHERS =
  /^(3des-cbc|aes(128|192|256)-cbc|blowfish-cbc|cast128-cbc|arcfour(128|256)?|rijndael-cbc@lysator\.liu\.se)$/;
const WEAK_MACS = /^(hmac-md5.*|hmac-md5-96.*|hmac-ripemd160.*|hmac-sha1.*|umac-64.*|hmac-sha1-96.*)$/;
const WEAK_KEX = /^(diffie-hellman-group1-sha1|diffie-hellman-group14-sha1|diffie-hellman-group-exchange-sha1)$/;

export interface SshValue {
  value: string;
  evidence: Evidence;
}

/** The effective global value of a keyword: the first setting read, else OpenSSH's default. */
export function sshdValue(cfg: SshdConfig, keyword: string): SshValue {
  const key = keyword.toLowerCase();
  const s = cfg.settings.get(key);
  if (s) return { value: s.value, evidence: ev(`${s.keyword} ${s.value}`, s.file, s.line) };
  const def = DEFAULTS[key] ?? '';
  return { value: def, evidence: ev(`${keyword} not set (OpenSSH default: ${def})`, cfg.files[0]) };
}

/** Applies OpenSSH's list modifiers: "+x" appends to the default, "-x" removes, "^x" prepends. */
export function sshdAlgorithmList(cfg: SshdConfig, keyword: string): { list: string[]; evidence: Evidence } {
  const { value, evidence } = sshdValue(cfg, keyword);
  const def = (DEFAULTS[keyword.toLowerCase()] ?? '').split(',');
  const items = value.slice(1).split(',').filter(Boolean);
  if (value.startsWith('+')) return { list: [...def, ...items], evidence };
  if (value.startsWith('^')) return { list: [...items, ...def], evidence };
  if (value.startsWith('-')) {
    const drop = items.map((p) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '.*')}$`));
    return { list: def.filter((d) => !drop.some((re) => re.test(d))), evidence };
  }
  return { list: value.split(',').filter(Boolean), evidence };
}

async function sshdConfigFor(host: HostRoot): Promise<SshdConfig | undefined> {
  const cfg = await host.sshdConfig();
  return cfg.files.length > 0 ? cfg : undefined;
}

type SshRule = (cfg: SshdConfig) => CheckOutcome;

const yesNo =
  (keyword: string, wanted: 'yes' | 'no'): SshRule =>
  (cfg) => {
    const v = sshdValue(cfg, keyword);
    return v.value.toLowerCase() === wanted ? pass(v.evidence) : fail(v.evidence);
  };

const numberAtMost =
  (keyword: string, max: number, min = 0): SshRule =>
  (cfg) => {
    const v = sshdValue(cfg, keyword);
    const n = parseSshTime(v.value);
    return n !== undefined && n <= max && n > min ? pass(v.evidence) : fail(v.evidence);
  };

const noWeak =
  (keyword: string, weak: RegExp): SshRule =>
  (cfg) => {
    const { list, evidence } = sshdAlgorithmList(cfg, keyword);
    const bad = list.filter((a) => weak.test(a));
    return bad.length ? fail(evidence, ev(`weak: ${bad.join(', ')}`)) : pass(evidence);
  };

/** sshd time values: "60", "1m", "1m30s"; plain numbers for counts. */
export function parseSshTime(v: string): number | undefined {
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(?:(\d+)[hH])?(?:(\d+)[mM])?(?:(\d+)[sS])?$/.exec(v);
  if (!m || v === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

interface SshCheckDef {
  n: number;
  cis: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  rule: SshRule;
}

const DEFS: SshCheckDef[] = [
  {
    n: 4,
    cis: '5.1.4',
    title: 'Ensure sshd access is limited (AllowUsers/AllowGroups/DenyUsers/DenyGroups)',
    severity: 'LOW',
    rationale: 'Naming who may log in keeps service and forgotten accounts from being reachable over SSH.',
    remediation: 'Add AllowUsers, AllowGroups, DenyUsers or DenyGroups to /etc/ssh/sshd_config.d/.',
    rule: (cfg) => {
      const lists = ['allowusers', 'allowgroups', 'denyusers', 'denygroups'].flatMap((k) => cfg.lists.get(k) ?? []);
      return lists.length
        ? pass(...lists.map((s) => ev(`${s.keyword} ${s.value}`, s.file, s.line)))
        : fail(ev('no AllowUsers, AllowGroups, DenyUsers or DenyGroups', cfg.files[0]));
    },
  },
  {
    n: 5,
    cis: '5.1.5',
    title: 'Ensure sshd Banner is configured',
    severity: 'LOW',
    rationale: 'A warning banner states the terms of access before login.',
    remediation: 'Set "Banner /etc/issue.net".',
    rule: (cfg) => {
      const v = sshdValue(cfg, 'Banner');
      return v.value && v.value.toLowerCase() !== 'none' ? pass(v.evidence) : fail(v.evidence);
    },
  },
  {
    n: 6,
    cis: '5.1.6',
    title: 'Ensure sshd Ciphers are configured (no CBC, RC4, 3DES)',
    severity: 'HIGH',
    rationale: 'Weak ciphers allow decryption or manipulation of SSH sessions.',
    remediation:
      'Set Ciphers to chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr.',
    rule: noWeak('Ciphers', WEAK_CIPHERS),
  },
  {
    n: 7,
    cis: '5.1.7',
    title: 'Ensure sshd ClientAliveInterval and ClientAliveCountMax are configured',
    severity: 'LOW',
    rationale: 'Idle sessions left open can be taken over; the server should drop unresponsive clients.',
    remediation: 'Set "ClientAliveInterval 15" and "ClientAliveCountMax 3".',
    rule: (cfg) => {
      const i = sshdValue(cfg, 'ClientAliveInterval');
      const c = sshdValue(cfg, 'ClientAliveCountMax');
      return (parseSshTime(i.value) ?? 0) > 0 && (parseSshTime(c.value) ?? 0) > 0
        ? pass(i.evidence, c.evidence)
        : fail(i.evidence, c.evidence);
    },
  },
  {
    n: 8,
    cis: '5.1.8',
    title: 'Ensure sshd DisableForwarding is enabled',
    severity: 'MEDIUM',
    rationale: 'Forwarding (X11, agent, TCP, StreamLocal) lets users tunnel around network controls.',
    remediation: 'Set "DisableForwarding yes".',
    rule: yesNo('DisableForwarding', 'yes'),
  },
  {
    n: 9,
    cis: '5.1.9',
    title: 'Ensure sshd GSSAPIAuthentication is disabled',
    severity: 'LOW',
    rationale: 'Unused authentication methods add attack surface.',
    remediation: 'Set "GSSAPIAuthentication no".',
    rule: yesNo('GSSAPIAuthentication', 'no'),
  },
  {
    n: 10,
    cis: '5.1.10',
    title: 'Ensure sshd HostbasedAuthentication is disabled',
    severity: 'MEDIUM',
    rationale: 'Host-based trust lets one compromised host log in to others.',
    remediation: 'Set "HostbasedAuthentication no".',
    rule: yesNo('HostbasedAuthentication', 'no'),
  },
  {
    n: 11,
    cis: '5.1.11',
    title: 'Ensure sshd IgnoreRhosts is enabled',
    severity: 'MEDIUM',
    rationale: '.rhosts files grant password-less access.',
    remediation: 'Set "IgnoreRhosts yes".',
    rule: yesNo('IgnoreRhosts', 'yes'),
  },
  {
    n: 12,
    cis: '5.1.12',
    title: 'Ensure sshd KexAlgorithms is configured (no SHA-1 key exchange)',
    severity: 'MEDIUM',
    rationale: 'SHA-1 and 1024-bit Diffie-Hellman key exchanges are breakable.',
    remediation:
      'Set KexAlgorithms to sntrup761x25519-sha512@openssh.com,curve25519-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256.',
    rule: noWeak('KexAlgorithms', WEAK_KEX),
  },
  {
    n: 13,
    cis: '5.1.13',
    title: 'Ensure sshd LoginGraceTime is one minute or less',
    severity: 'LOW',
    rationale: 'A long grace time lets unauthenticated connections tie up the server.',
    remediation: 'Set "LoginGraceTime 60".',
    rule: numberAtMost('LoginGraceTime', 60),
  },
  {
    n: 14,
    cis: '5.1.14',
    title: 'Ensure sshd LogLevel is INFO or VERBOSE',
    severity: 'LOW',
    rationale: 'Logins and key fingerprints must be logged for investigations.',
    remediation: 'Set "LogLevel VERBOSE".',
    rule: (cfg) => {
      const v = sshdValue(cfg, 'LogLevel');
      return ['INFO', 'VERBOSE'].includes(v.value.toUpperCase()) ? pass(v.evidence) : fail(v.evidence);
    },
  },
  {
    n: 15,
    cis: '5.1.15',
    title: 'Ensure sshd MACs are configured (no MD5, SHA-1, 64-bit tags)',
    severity: 'MEDIUM',
    rationale: 'Weak MACs allow tampering with SSH traffic.',
    remediation:
      'Set MACs to hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256.',
    rule: noWeak('MACs', WEAK_MACS),
  },
  {
    n: 16,
    cis: '5.1.16',
    title: 'Ensure sshd MaxAuthTries is 4 or less',
    severity: 'MEDIUM',
    rationale: 'Fewer attempts per connection slow down password guessing.',
    remediation: 'Set "MaxAuthTries 4".',
    rule: numberAtMost('MaxAuthTries', 4),
  },
  {
    n: 17,
    cis: '5.1.17',
    title: 'Ensure sshd MaxSessions is 10 or less',
    severity: 'LOW',
    rationale: 'Limiting sessions per connection limits resource exhaustion.',
    remediation: 'Set "MaxSessions 10".',
    rule: numberAtMost('MaxSessions', 10),
  },
  {
    n: 18,
    cis: '5.1.18',
    title: 'Ensure sshd MaxStartups is 10:30:60 or stricter',
    severity: 'LOW',
    rationale: 'Capping unauthenticated connections protects against connection floods.',
    remediation: 'Set "MaxStartups 10:30:60".',
    rule: (cfg) => {
      const v = sshdValue(cfg, 'MaxStartups');
      const [start, rate, full] = v.value.split(':').map(Number);
      const ok =
        start !== undefined &&
        start <= 10 &&
        (rate === undefined || rate <= 30) &&
        (full === undefined ? start <= 60 : full <= 60);
      return ok ? pass(v.evidence) : fail(v.evidence);
    },
  },
  {
    n: 19,
    cis: '5.1.19',
    title: 'Ensure sshd PermitEmptyPasswords is disabled',
    severity: 'CRITICAL',
    rationale: 'Accounts with empty passwords would be open to anyone.',
    remediation: 'Set "PermitEmptyPasswords no".',
    rule: yesNo('PermitEmptyPasswords', 'no'),
  },
  {
    n: 20,
    cis: '5.1.20',
    title: 'Ensure sshd PermitRootLogin is disabled',
    severity: 'HIGH',
    rationale: 'Direct root logins leave no trail of who used the account and expose it to guessing.',
    remediation: 'Set "PermitRootLogin no".',
    rule: yesNo('PermitRootLogin', 'no'),
  },
  {
    n: 21,
    cis: '5.1.21',
    title: 'Ensure sshd PermitUserEnvironment is disabled',
    severity: 'MEDIUM',
    rationale: 'User-set environment (LD_PRELOAD) can bypass restrictions.',
    remediation: 'Set "PermitUserEnvironment no".',
    rule: yesNo('PermitUserEnvironment', 'no'),
  },
  {
    n: 22,
    cis: '5.1.22',
    title: 'Ensure sshd UsePAM is enabled',
    severity: 'MEDIUM',
    rationale: 'PAM applies account locking, password quality and session policies to SSH logins.',
    remediation: 'Set "UsePAM yes".',
    rule: yesNo('UsePAM', 'yes'),
  },
  {
    n: 23,
    cis: '5.1.8',
    title: 'Ensure sshd X11Forwarding is disabled',
    severity: 'MEDIUM',
    rationale: 'X11 forwarding exposes the client display to a compromised server.',
    remediation: 'Set "X11Forwarding no".',
    rule: (cfg) => {
      const d = sshdValue(cfg, 'DisableForwarding');
      if (d.value.toLowerCase() === 'yes') return pass(d.evidence);
      return yesNo('X11Forwarding', 'no')(cfg);
    },
  },
  {
    n: 24,
    cis: '5.1',
    title: 'Ensure sshd PasswordAuthentication is disabled',
    severity: 'MEDIUM',
    rationale: 'Key-only authentication removes password guessing and credential stuffing over SSH.',
    remediation: 'Set "PasswordAuthentication no" once every user has a key.',
    rule: yesNo('PasswordAuthentication', 'no'),
  },
];

const CONFIG_PERMISSIONS: HostCheck = {
  id: 'PAL-HOST-SSH-01',
  family: 'ssh',
  cis: { debian12: '5.1.1' },
  title: 'Ensure permissions on /etc/ssh/sshd_config are configured',
  severity: 'MEDIUM',
  rationale: 'Anyone who can change sshd_config controls remote access to the host.',
  remediation: 'chown root:root /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*; chmod 600 them.',
  run: async (host) => {
    const cfg = await sshdConfigFor(host);
    if (!cfg) return notApplicable(ev('no /etc/ssh/sshd_config'));
    const outcomes = await Promise.all(cfg.files.map((f) => checkPermissions(host, { path: f, maxMode: 0o600 })));
    const evidence = outcomes.flatMap((o) => o.evidence);
    return outcomes.some((o) => o.status === 'fail') ? fail(...evidence) : pass(...evidence);
  },
};

async function hostKeyCheck(host: HostRoot, priv: boolean): Promise<CheckOutcome> {
  const keys = await host.listFiles('/etc/ssh', (n) => /^ssh_host_.*_key$/.test(n));
  const files = priv ? keys : keys.map((k) => `${k}.pub`);
  if (files.length === 0) return notApplicable(ev('no host keys in /etc/ssh'));
  const bad: Evidence[] = [];
  const good: Evidence[] = [];
  for (const f of files) {
    const st = await host.stat(f);
    if (!st) continue;
    const e = ev(`mode ${octal(st.mode)} uid ${st.uid}`, f);
    ((st.mode & (priv ? 0o177 : 0o133)) !== 0 || st.uid !== 0 ? bad : good).push(e);
  }
  return bad.length ? fail(...bad) : pass(...good);
}

export const sshChecks: HostCheck[] = [
  CONFIG_PERMISSIONS,
  {
    id: 'PAL-HOST-SSH-02',
    family: 'ssh',
    cis: { debian12: '5.1.2' },
    title: 'Ensure permissions on SSH private host key files are configured',
    severity: 'HIGH',
    rationale: 'A readable host private key lets anyone impersonate this server.',
    remediation: 'chown root:root /etc/ssh/ssh_host_*_key; chmod 600 /etc/ssh/ssh_host_*_key.',
    run: (host) => hostKeyCheck(host, true),
  },
  {
    id: 'PAL-HOST-SSH-03',
    family: 'ssh',
    cis: { debian12: '5.1.3' },
    title: 'Ensure permissions on SSH public host key files are configured',
    severity: 'LOW',
    rationale: 'A writable public host key can be replaced, breaking host authentication.',
    remediation: 'chmod 644 /etc/ssh/ssh_host_*_key.pub; chown root:root them.',
    run: (host) => hostKeyCheck(host, false),
  },
  ...DEFS.map(
    (d): HostCheck => ({
      id: `PAL-HOST-SSH-${String(d.n).padStart(2, '0')}`,
      family: 'ssh',
      cis: { debian12: d.cis },
      title: d.title,
      severity: d.severity,
      rationale: d.rationale,
      remediation: `${d.remediation} (in /etc/ssh/sshd_config or a file it includes, before any Match block), then reload sshd.`,
      run: async (host) => {
        const cfg = await sshdConfigFor(host);
        return cfg ? d.rule(cfg) : notApplicable(ev('no /etc/ssh/sshd_config (OpenSSH server not installed)'));
      },
    }),
  ),
];
