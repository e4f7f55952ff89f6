// CIS 5.3 and 5.4.1: password and login policy: /etc/login.defs ageing and hashing, useradd's
// inactivity lock, pam_pwquality strength, pam_faillock lockout, pam_pwhistory reuse, pam_unix nullok.

import type { Severity } from '@palisade/core';
import type { HostRoot } from '../host-root.js';
import { type ConfigEntry, parseKeyValueConfig } from '../parsers/key-value-config.js';
import { type CheckOutcome, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { configLines, ev } from './check-helpers.js';

async function loginDefs(host: HostRoot): Promise<Map<string, ConfigEntry> | undefined> {
  const text = await host.readText('/etc/login.defs');
  return text === undefined ? undefined : parseKeyValueConfig(text);
}

/** Settings of a PAM module: its conf file(s), overridden by arguments on its line in pam.d/common-*. */
async function pamModuleSettings(
  host: HostRoot,
  module: string,
  confFile: string,
): Promise<{
  settings: Map<string, { value: string; file: string; line: number }>;
  enabled?: { file: string; line: number };
}> {
  const settings = new Map<string, { value: string; file: string; line: number }>();
  for (const file of [confFile, ...(await host.listFiles(`${confFile}.d`, (n) => n.endsWith('.conf')))]) {
    const text = await host.readText(file);
    if (text)
      for (const e of parseKeyValueConfig(text, { lowerKeys: true }).values())
        settings.set(e.key, { value: e.value, file, line: e.line });
  }
  let enabled: { file: string; line: number } | undefined;
  const lines = await configLines(host, [
    '/etc/pam.d/common-password',
    '/etc/pam.d/common-auth',
    '/etc/pam.d/common-account',
  ]);
  for (const l of lines) {
    if (!l.text.includes(`${module}.so`)) continue;
    enabled ??= { file: l.file, line: l.line };
    for (const arg of l.text.split(/\s+/).slice(3)) {
      const [k, v] = arg.split('=');
      if (k) settings.set(k.toLowerCase(), { value: v ?? '', file: l.file, line: l.line });
    }
  }
  return enabled ? { settings, enabled } : { settings };
}

interface NumberRule {
  n: number;
  cis: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  read: (host: HostRoot) => Promise<{ value?: string; file: string; line?: number; missing?: string } | undefined>;
  ok: (n: number, raw: string) => boolean;
}

const loginDefsKey = (key: string) => async (host: HostRoot) => {
  const defs = await loginDefs(host);
  if (!defs) return undefined;
  const e = defs.get(key);
  return e
    ? { value: e.value, file: '/etc/login.defs', line: e.line }
    : { file: '/etc/login.defs', missing: `${key} not set` };
};

/** A PAM module's setting counts only when the module is on a line of /etc/pam.d/common-*. */
const pamKey = (module: string, conf: string, key: string) => async (host: HostRoot) => {
  const { settings, enabled } = await pamModuleSettings(host, module, conf);
  if (!enabled)
    return { file: '/etc/pam.d/common-password', missing: `${module}.so is not enabled in /etc/pam.d/common-*` };
  const s = settings.get(key);
  if (s) return { value: s.value, file: s.file, line: s.line };
  return { file: conf, missing: `${key} not set` };
};

const RULES: NumberRule[] = [
  {
    n: 1,
    cis: '5.4.1.1',
    title: 'Ensure password expiration is 365 days or less',
    severity: 'MEDIUM',
    rationale: 'Passwords that never expire stay useful to an attacker forever.',
    remediation: 'Set PASS_MAX_DAYS 365 in /etc/login.defs and chage --maxdays 365 for existing users.',
    read: loginDefsKey('PASS_MAX_DAYS'),
    ok: (n) => n > 0 && n <= 365,
  },
  {
    n: 2,
    cis: '5.4.1.2',
    title: 'Ensure minimum days between password changes is configured',
    severity: 'LOW',
    rationale: 'Without a minimum age users can cycle back to an old password at once.',
    remediation: 'Set PASS_MIN_DAYS 1 in /etc/login.defs.',
    read: loginDefsKey('PASS_MIN_DAYS'),
    ok: (n) => n >= 1,
  },
  {
    n: 3,
    cis: '5.4.1.3',
    title: 'Ensure password expiration warning days is 7 or more',
    severity: 'LOW',
    rationale: 'Users need notice to change a password before it expires.',
    remediation: 'Set PASS_WARN_AGE 7 in /etc/login.defs.',
    read: loginDefsKey('PASS_WARN_AGE'),
    ok: (n) => n >= 7,
  },
  {
    n: 5,
    cis: '5.4.1.5',
    title: 'Ensure inactive password lock is 45 days or less',
    severity: 'LOW',
    rationale: 'Accounts with expired passwords should lock rather than linger.',
    remediation: 'useradd -D -f 45',
    read: async (host) => {
      const text = await host.readText('/etc/default/useradd');
      const e = text === undefined ? undefined : parseKeyValueConfig(text).get('INACTIVE');
      return e
        ? { value: e.value, file: '/etc/default/useradd', line: e.line }
        : { file: '/etc/default/useradd', missing: 'INACTIVE not set (default -1: never)' };
    },
    ok: (n) => n >= 0 && n <= 45,
  },
  {
    n: 6,
    cis: '5.3.3.2.2',
    title: 'Ensure minimum password length is 14 or more',
    severity: 'MEDIUM',
    rationale: 'Short passwords fall to brute force.',
    remediation: 'Install libpam-pwquality and set minlen = 14 in /etc/security/pwquality.conf.',
    read: pamKey('pam_pwquality', '/etc/security/pwquality.conf', 'minlen'),
    ok: (n) => n >= 14,
  },
  {
    n: 7,
    cis: '5.3.3.2.1',
    title: 'Ensure password number of changed characters is 2 or more',
    severity: 'LOW',
    rationale: 'A new password that differs by one character from the old one adds little.',
    remediation: 'Set difok = 2 in /etc/security/pwquality.conf.',
    read: pamKey('pam_pwquality', '/etc/security/pwquality.conf', 'difok'),
    ok: (n) => n >= 2,
  },
  {
    n: 8,
    cis: '5.3.3.1.1',
    title: 'Ensure failed password attempts lockout is 5 or less',
    severity: 'MEDIUM',
    rationale: 'Locking after a few failures stops online guessing.',
    remediation: 'Enable pam_faillock and set deny = 5 in /etc/security/faillock.conf.',
    read: pamKey('pam_faillock', '/etc/security/faillock.conf', 'deny'),
    ok: (n) => n > 0 && n <= 5,
  },
  {
    n: 9,
    cis: '5.3.3.1.2',
    title: 'Ensure password unlock time is 900 seconds or more (or never)',
    severity: 'LOW',
    rationale: 'A short unlock time lets guessing resume quickly.',
    remediation: 'Set unlock_time = 900 in /etc/security/faillock.conf.',
    read: pamKey('pam_faillock', '/etc/security/faillock.conf', 'unlock_time'),
    ok: (n) => n === 0 || n >= 900,
  },
  {
    n: 10,
    cis: '5.3.3.3.1',
    title: 'Ensure password history remembers 24 or more passwords',
    severity: 'LOW',
    rationale: 'Remembered passwords cannot be reused right away.',
    remediation:
      'Add "password requisite pam_pwhistory.so remember=24 enforce_for_root use_authtok" to /etc/pam.d/common-password.',
    read: pamKey('pam_pwhistory', '/etc/security/pwhistory.conf', 'remember'),
    ok: (n) => n >= 24,
  },
];

export async function checkNumberRule(host: HostRoot, r: NumberRule): Promise<CheckOutcome> {
  const got = await r.read(host);
  if (!got) return notApplicable(ev('configuration file missing'));
  if (got.value === undefined) return fail(ev(got.missing ?? 'not set', got.file, got.line));
  const n = Number(got.value);
  const e = ev(`${got.value}`, got.file, got.line);
  return Number.isFinite(n) && got.value !== '' && r.ok(n, got.value) ? pass(e) : fail(e);
}

export const passwordPolicyChecks: HostCheck[] = [
  ...RULES.map(
    (r): HostCheck => ({
      id: `PAL-HOST-PASS-${String(r.n).padStart(2, '0')}`,
      family: r.cis.startsWith('5.4') ? 'login-defs' : 'pam',
      cis: { debian12: r.cis },
      title: r.title,
      severity: r.severity,
      rationale: r.rationale,
      remediation: r.remediation,
      run: (host) => checkNumberRule(host, r),
    }),
  ),
  {
    id: 'PAL-HOST-PASS-04',
    family: 'login-defs',
    cis: { debian12: '5.4.1.4' },
    title: 'Ensure a strong password hashing algorithm is configured (SHA512 or YESCRYPT)',
    severity: 'MEDIUM',
    rationale: 'Weak hashes (MD5, DES) are cracked quickly once /etc/shadow leaks.',
    remediation: 'Set ENCRYPT_METHOD YESCRYPT (or SHA512) in /etc/login.defs.',
    run: async (host) => {
      const defs = await loginDefs(host);
      if (!defs) return notApplicable(ev('no /etc/login.defs'));
      const e = defs.get('ENCRYPT_METHOD');
      if (!e) return fail(ev('ENCRYPT_METHOD not set', '/etc/login.defs'));
      return ['SHA512', 'YESCRYPT'].includes(e.value.toUpperCase())
        ? pass(ev(`ENCRYPT_METHOD ${e.value}`, '/etc/login.defs', e.line))
        : fail(ev(`ENCRYPT_METHOD ${e.value}`, '/etc/login.defs', e.line));
    },
  },
  {
    id: 'PAL-HOST-PASS-11',
    family: 'login-defs',
    cis: { debian12: '5.4.3.3' },
    title: 'Ensure default user umask is 027 or more restrictive',
    severity: 'LOW',
    rationale: 'A permissive umask makes new files readable by every user.',
    remediation: 'Set UMASK 027 in /etc/login.defs.',
    run: async (host) => {
      const defs = await loginDefs(host);
      if (!defs) return notApplicable(ev('no /etc/login.defs'));
      const e = defs.get('UMASK');
      if (!e) return fail(ev('UMASK not set', '/etc/login.defs'));
      const mask = Number.parseInt(e.value, 8);
      return Number.isFinite(mask) && (mask & 0o027) === 0o027
        ? pass(ev(`UMASK ${e.value}`, '/etc/login.defs', e.line))
        : fail(ev(`UMASK ${e.value}`, '/etc/login.defs', e.line));
    },
  },
  {
    id: 'PAL-HOST-PASS-12',
    family: 'pam',
    cis: { debian12: '5.3.3.4.1' },
    title: 'Ensure pam_unix does not include nullok',
    severity: 'HIGH',
    rationale: 'nullok lets accounts with an empty password authenticate.',
    remediation: 'Remove nullok from the pam_unix.so lines in /etc/pam.d/common-*.',
    run: async (host) => {
      const lines = (
        await configLines(host, [
          '/etc/pam.d/common-auth',
          '/etc/pam.d/common-password',
          '/etc/pam.d/common-account',
          '/etc/pam.d/common-session',
        ])
      ).filter((l) => l.text.includes('pam_unix.so'));
      if (lines.length === 0) return notApplicable(ev('no pam_unix.so line in /etc/pam.d/common-*'));
      const bad = lines.filter((l) => /\bnullok\b/.test(l.text));
      return bad.length
        ? fail(...bad.map((l) => ev(l.text, l.file, l.line)))
        : pass(...lines.map((l) => ev(l.text, l.file, l.line)));
    },
  },
  {
    id: 'PAL-HOST-PASS-13',
    family: 'pam',
    cis: { debian12: '5.2.7' },
    title: 'Ensure access to the su command is restricted (pam_wheel)',
    severity: 'MEDIUM',
    rationale: 'Limiting su to one group keeps a stolen user password from becoming root through su.',
    remediation: 'Add "auth required pam_wheel.so use_uid group=sugroup" to /etc/pam.d/su and create an empty sugroup.',
    run: async (host) => {
      const lines = await configLines(host, ['/etc/pam.d/su']);
      if (lines.length === 0) return notApplicable(ev('no /etc/pam.d/su'));
      const wheel = lines.find(
        (l) => /^auth\s+(required|requisite)\s+pam_wheel\.so/.test(l.text) && l.text.includes('use_uid'),
      );
      return wheel
        ? pass(ev(wheel.text, wheel.file, wheel.line))
        : fail(ev('no "auth required pam_wheel.so use_uid" line', '/etc/pam.d/su'));
    },
  },
];
