// CIS 6.2: auditd installed and enabled, its log retention, and audit rules for the events CIS
// lists (read from /etc/audit/rules.d/*.rules and audit.rules, as augenrules would load them).

import type { HostRoot } from '../host-root.js';
import { parseKeyValueConfig } from '../parsers/key-value-config.js';
import { type CheckOutcome, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { checkInstalled, configLines, ev } from './check-helpers.js';

async function auditRules(host: HostRoot) {
  return configLines(host, ['/etc/audit/audit.rules'], [{ dir: '/etc/audit/rules.d', suffix: '.rules' }]);
}

const RULES: { cis: string; what: string; patterns: RegExp[] }[] = [
  { cis: '6.2.3.1', what: 'changes to sudoers', patterns: [/-w \/etc\/sudoers\b/, /-w \/etc\/sudoers\.d/] },
  { cis: '6.2.3.2', what: 'actions as another user', patterns: [/-C euid!=uid|-C uid!=euid/] },
  {
    cis: '6.2.3.4',
    what: 'date and time changes',
    patterns: [/adjtimex|settimeofday|clock_settime/, /-w \/etc\/localtime/],
  },
  { cis: '6.2.3.5', what: 'network environment changes', patterns: [/sethostname|setdomainname/, /-w \/etc\/hosts\b/] },
  { cis: '6.2.3.7', what: 'unsuccessful file access', patterns: [/-F exit=-EACCES/, /-F exit=-EPERM/] },
  {
    cis: '6.2.3.8',
    what: 'user/group information changes',
    patterns: [/-w \/etc\/group\b/, /-w \/etc\/passwd\b/, /-w \/etc\/shadow\b/, /-w \/etc\/gshadow\b/],
  },
  { cis: '6.2.3.9', what: 'permission modifications', patterns: [/chmod/, /chown/, /setxattr/] },
  { cis: '6.2.3.10', what: 'file system mounts', patterns: [/-S mount\b|,mount\b/] },
  { cis: '6.2.3.11', what: 'session initiation', patterns: [/-w \/var\/run\/utmp|-w \/run\/utmp/, /wtmp/, /btmp/] },
  {
    cis: '6.2.3.12',
    what: 'login and logout events',
    patterns: [/-w \/var\/log\/lastlog/, /-w \/var\/run\/faillock|-w \/run\/faillock/],
  },
  { cis: '6.2.3.13', what: 'file deletion by users', patterns: [/unlink/, /rename/] },
  {
    cis: '6.2.3.14',
    what: 'changes to AppArmor policy',
    patterns: [/-w \/etc\/apparmor\/?\s/, /-w \/etc\/apparmor\.d/],
  },
  {
    cis: '6.2.3.19',
    what: 'kernel module loading and unloading',
    patterns: [/init_module|finit_module/, /delete_module/],
  },
];

export async function checkAuditRule(host: HostRoot, patterns: RegExp[]): Promise<CheckOutcome> {
  const lines = await auditRules(host);
  if (lines.length === 0)
    return fail(ev('no audit rules in /etc/audit/rules.d or /etc/audit/audit.rules', '/etc/audit/rules.d'));
  const found = patterns.map((re) => lines.find((l) => re.test(l.text)));
  const missing = patterns.filter((_, i) => !found[i]);
  const have = found.filter((l) => l !== undefined).map((l) => ev(l.text, l.file, l.line));
  return missing.length
    ? fail(...have, ev(`no rule matching ${missing.map((m) => m.source).join(', ')}`, '/etc/audit/rules.d'))
    : pass(...have);
}

async function auditdConf(host: HostRoot, key: string) {
  const text = await host.readText('/etc/audit/auditd.conf');
  if (text === undefined) return undefined;
  return parseKeyValueConfig(text, { lowerKeys: true }).get(key) ?? null;
}

/** CIS Ubuntu 22.04 v2.0.0 numbers the auditd recommendations 6.3.x where Debian 12 v1.1.0 has 6.2.x. */
const cis = (debian12: string) => ({ debian12, ubuntu2204: debian12.replace(/^6\.2\./, '6.3.') });

export const auditdChecks: HostCheck[] = [
  {
    id: 'PAL-HOST-AUDIT-01',
    family: 'auditd',
    cis: cis('6.2.1.1'),
    title: 'Ensure auditd packages are installed',
    severity: 'MEDIUM',
    rationale: 'Without auditd security-relevant events are not recorded.',
    remediation: 'apt install auditd audispd-plugins',
    run: (host) => checkInstalled(host, ['auditd']),
  },
  {
    id: 'PAL-HOST-AUDIT-02',
    family: 'auditd',
    cis: cis('6.2.1.2'),
    title: 'Ensure auditd service is enabled',
    severity: 'MEDIUM',
    rationale: 'An installed but stopped auditd records nothing.',
    remediation: 'systemctl --now enable auditd',
    hostOnly: true,
    run: async (host) => {
      const units = await host.enabledUnits();
      const at = units.get('auditd.service');
      return at
        ? pass(ev('auditd.service is enabled', at))
        : fail(ev('auditd.service is not enabled', '/etc/systemd/system'));
    },
  },
  {
    id: 'PAL-HOST-AUDIT-03',
    family: 'auditd',
    cis: cis('6.2.2.2'),
    title: 'Ensure audit logs are not automatically deleted',
    severity: 'LOW',
    rationale: 'Rotating away audit logs destroys evidence.',
    remediation: 'Set max_log_file_action = keep_logs in /etc/audit/auditd.conf.',
    run: async (host) => {
      const e = await auditdConf(host, 'max_log_file_action');
      if (e === undefined) return fail(ev('no /etc/audit/auditd.conf', '/etc/audit/auditd.conf'));
      if (e === null) return fail(ev('max_log_file_action not set (default ROTATE)', '/etc/audit/auditd.conf'));
      const v = ev(`max_log_file_action = ${e.value}`, '/etc/audit/auditd.conf', e.line);
      return e.value.toLowerCase() === 'keep_logs' ? pass(v) : fail(v);
    },
  },
  {
    id: 'PAL-HOST-AUDIT-04',
    family: 'auditd',
    cis: cis('6.2.2.3'),
    title: 'Ensure the system is halted or single-user when audit logs are full',
    severity: 'LOW',
    rationale: 'Continuing without audit space means acting without an audit trail.',
    remediation: 'Set disk_full_action = halt (or single) and disk_error_action = halt in /etc/audit/auditd.conf.',
    run: async (host) => {
      const e = await auditdConf(host, 'disk_full_action');
      if (e === undefined) return fail(ev('no /etc/audit/auditd.conf', '/etc/audit/auditd.conf'));
      if (e === null) return fail(ev('disk_full_action not set (default SUSPEND)', '/etc/audit/auditd.conf'));
      const v = ev(`disk_full_action = ${e.value}`, '/etc/audit/auditd.conf', e.line);
      return ['halt', 'single'].includes(e.value.toLowerCase()) ? pass(v) : fail(v);
    },
  },
  {
    id: 'PAL-HOST-AUDIT-05',
    family: 'auditd',
    cis: cis('6.2.3.20'),
    title: 'Ensure the audit configuration is immutable',
    severity: 'LOW',
    rationale: 'An attacker with root could otherwise switch auditing off without a reboot.',
    remediation: 'Put "-e 2" as the last line of /etc/audit/rules.d/99-finalize.rules.',
    run: async (host) => {
      const lines = await auditRules(host);
      const last = lines[lines.length - 1];
      if (!last) return fail(ev('no audit rules', '/etc/audit/rules.d'));
      return /^-e\s+2\b/.test(last.text)
        ? pass(ev(last.text, last.file, last.line))
        : fail(ev(`last rule is "${last.text}"`, last.file, last.line));
    },
  },
  {
    id: 'PAL-HOST-AUDIT-06',
    family: 'auditd',
    cis: cis('6.2.1.3'),
    title: 'Ensure auditing for processes that start prior to auditd is enabled (audit=1)',
    severity: 'LOW',
    rationale: 'Processes started before auditd are otherwise never audited.',
    remediation: 'Add audit=1 to GRUB_CMDLINE_LINUX in /etc/default/grub and run update-grub.',
    hostOnly: true,
    run: async (host) => {
      const cmdline = await host.readText('/proc/cmdline');
      if (cmdline !== undefined) {
        return /\baudit=1\b/.test(cmdline)
          ? pass(ev(cmdline.trim(), '/proc/cmdline'))
          : fail(ev(cmdline.trim(), '/proc/cmdline'));
      }
      const grub = (await configLines(host, ['/etc/default/grub'])).find((l) =>
        l.text.startsWith('GRUB_CMDLINE_LINUX='),
      );
      if (!grub) return notApplicable(ev('no kernel command line visible'));
      return /\baudit=1\b/.test(grub.text)
        ? pass(ev(grub.text, grub.file, grub.line))
        : fail(ev(grub.text, grub.file, grub.line));
    },
  },
  ...RULES.map(
    (r, i): HostCheck => ({
      id: `PAL-HOST-AUDIT-${String(i + 10).padStart(2, '0')}`,
      family: 'auditd',
      cis: cis(r.cis),
      title: `Ensure audit rules collect ${r.what}`,
      severity: 'LOW',
      rationale: `Records of ${r.what} are needed to reconstruct what an intruder or an insider did.`,
      remediation: `Add rules for ${r.what} to a file in /etc/audit/rules.d/ and run "augenrules --load".`,
      run: (host) => checkAuditRule(host, r.patterns),
    }),
  ),
];
