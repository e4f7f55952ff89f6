// CIS 1.2-1.6, 2.3, 2.4, 5.2, 6.1, 6.3: the rest of the host: updates, AppArmor, bootloader, core
// dumps, banners, time sync, cron, sudo, journald and AIDE. Each check is one small function.

import type { HostRoot } from '../host-root.js';
import { type CheckOutcome, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { checkInstalled, checkNotInstalled, checkPermissions, configLines, ev } from './check-helpers.js';

const GRUB_CFG = '/boot/grub/grub.cfg';

async function unitEnabled(host: HostRoot, units: string[]): Promise<CheckOutcome> {
  const enabled = await host.enabledUnits();
  const on = units.find((u) => enabled.has(u));
  return on
    ? pass(ev(`${on} is enabled`, enabled.get(on)))
    : fail(ev(`not enabled: ${units.join(', ')}`, '/etc/systemd/system'));
}

async function banner(host: HostRoot, file: string): Promise<CheckOutcome> {
  const text = await host.readText(file);
  if (text === undefined) return file === '/etc/motd' ? pass(ev('no /etc/motd')) : fail(ev('missing', file));
  // getty expands \m \r \s \v into machine, release, OS and version: information for an attacker.
  const leaks = text.split('\n').findIndex((l) => /\\[mrsv]/.test(l) || /\b(debian|ubuntu)\b/i.test(l));
  if (leaks >= 0) return fail(ev(text.split('\n')[leaks]?.trim() ?? '', file, leaks + 1));
  if (file !== '/etc/motd' && !text.trim()) return fail(ev('empty banner', file));
  return pass(ev(text.trim().split('\n')[0]?.slice(0, 80) ?? '(empty)', file));
}

const def = (
  id: string,
  family: HostCheck['family'],
  cis: string,
  title: string,
  severity: HostCheck['severity'],
  rationale: string,
  remediation: string,
  run: (host: HostRoot) => Promise<CheckOutcome>,
  hostOnly = false,
): HostCheck => {
  // "6.3.1|6.1.1": the Debian 12 section, then Ubuntu 22.04's where the two benchmarks differ.
  const [debian12 = cis, ubuntu2204] = cis.split('|');
  return {
    id: `PAL-HOST-${id}`,
    family,
    cis: ubuntu2204 ? { debian12, ubuntu2204 } : { debian12 },
    title,
    severity,
    rationale,
    remediation,
    hostOnly,
    run,
  };
};

export const systemChecks: HostCheck[] = [
  def(
    'UPD-01',
    'updates',
    '1.2.2.1',
    'Ensure unattended security updates are installed and enabled',
    'MEDIUM',
    'Security fixes that wait for a human are applied late or never.',
    'apt install unattended-upgrades; dpkg-reconfigure -plow unattended-upgrades',
    async (host) => {
      const pkg = await checkInstalled(host, ['unattended-upgrades']);
      if (pkg.status !== 'pass') return pkg;
      const lines = await configLines(host, [], [{ dir: '/etc/apt/apt.conf.d' }]);
      const on = lines.find(
        (l) => /APT::Periodic::Unattended-Upgrade\s+"(\d+)"/.exec(l.text)?.[1] !== undefined && !/"0"/.test(l.text),
      );
      return on
        ? pass(...pkg.evidence, ev(on.text, on.file, on.line))
        : fail(...pkg.evidence, ev('APT::Periodic::Unattended-Upgrade is not enabled', '/etc/apt/apt.conf.d'));
    },
  ),
  def(
    'MAC-01',
    'apparmor',
    '1.3.1.1',
    'Ensure AppArmor is installed',
    'MEDIUM',
    'Mandatory access control confines services even after they are compromised.',
    'apt install apparmor apparmor-utils',
    (host) => checkInstalled(host, ['apparmor']),
  ),
  def(
    'MAC-02',
    'apparmor',
    '1.3.1.2',
    'Ensure AppArmor is enabled in the kernel and bootloader',
    'MEDIUM',
    'Profiles do nothing when the kernel runs without AppArmor.',
    'Add "apparmor=1 security=apparmor" to GRUB_CMDLINE_LINUX and run update-grub.',
    async (host) => {
      const enabled = await host.readText('/sys/module/apparmor/parameters/enabled');
      if (enabled !== undefined)
        return enabled.trim() === 'Y'
          ? pass(ev('Y', '/sys/module/apparmor/parameters/enabled'))
          : fail(ev(enabled.trim(), '/sys/module/apparmor/parameters/enabled'));
      const grub = (await configLines(host, ['/etc/default/grub'])).find((l) =>
        l.text.startsWith('GRUB_CMDLINE_LINUX'),
      );
      if (!grub) return notApplicable(ev('no running kernel or /etc/default/grub visible'));
      return /apparmor=0/.test(grub.text)
        ? fail(ev(grub.text, grub.file, grub.line))
        : pass(ev(grub.text, grub.file, grub.line));
    },
    true,
  ),
  def(
    'BOOT-01',
    'bootloader',
    '1.4.1',
    'Ensure bootloader password is set',
    'MEDIUM',
    'Without a password anyone at the console can edit boot parameters and get a root shell.',
    'Create a password with grub-mkpasswd-pbkdf2, add "set superusers" and "password_pbkdf2" to /etc/grub.d/40_custom, run update-grub.',
    async (host) => {
      const text = await host.readText(GRUB_CFG);
      if (text === undefined) return notApplicable(ev('no GRUB configuration', GRUB_CFG));
      const lines = text.split('\n');
      const su = lines.findIndex((l) => /^\s*set\s+superusers=/.test(l));
      const pw = lines.findIndex((l) => /^\s*password_pbkdf2\s/.test(l));
      return su >= 0 && pw >= 0
        ? pass(ev(lines[su]?.trim() ?? '', GRUB_CFG, su + 1), ev('password_pbkdf2 set', GRUB_CFG, pw + 1))
        : fail(ev('no "set superusers" with password_pbkdf2', GRUB_CFG));
    },
    true,
  ),
  def(
    'BOOT-02',
    'bootloader',
    '1.4.2',
    'Ensure access to bootloader config is configured',
    'MEDIUM',
    'A readable or writable grub.cfg exposes or changes boot parameters.',
    `chown root:root ${GRUB_CFG}; chmod 600 ${GRUB_CFG}`,
    (host) => checkPermissions(host, { path: GRUB_CFG, maxMode: 0o600 }),
    true,
  ),
  def(
    'PROC-01',
    'process-hardening',
    '1.5.3',
    'Ensure core dumps are restricted for all users (hard core 0)',
    'LOW',
    'Core dumps can hold secrets from process memory.',
    'Add "* hard core 0" to /etc/security/limits.conf or a file in limits.d.',
    async (host) => {
      const lines = await configLines(
        host,
        ['/etc/security/limits.conf'],
        [{ dir: '/etc/security/limits.d', suffix: '.conf' }],
      );
      const hit = lines.find((l) => /^\*\s+hard\s+core\s+0$/.test(l.text.replace(/\s+/g, ' ')));
      return hit ? pass(ev(hit.text, hit.file, hit.line)) : fail(ev('no "* hard core 0"', '/etc/security/limits.conf'));
    },
  ),
  def(
    'PROC-02',
    'process-hardening',
    '1.5.4',
    'Ensure prelink is not installed',
    'LOW',
    'prelink rewrites binaries, which defeats integrity checking and ASLR.',
    'prelink -ua; apt purge prelink',
    (host) => checkNotInstalled(host, ['prelink']),
  ),
  def(
    'PROC-03',
    'process-hardening',
    '1.5.5',
    'Ensure automatic error reporting (apport) is not enabled',
    'LOW',
    'Crash reports can carry sensitive memory off the host.',
    'Set enabled=0 in /etc/default/apport and systemctl --now disable apport.',
    async (host) => {
      const text = await host.readText('/etc/default/apport');
      const installed = (await host.packages()).has('apport');
      if (!installed && text === undefined) return pass(ev('apport not installed', '/var/lib/dpkg/status'));
      const m = /^\s*enabled\s*=\s*(\d)/m.exec(text ?? '');
      return m?.[1] === '0'
        ? pass(ev(`enabled=${m[1]}`, '/etc/default/apport'))
        : fail(ev(m ? `enabled=${m[1]}` : 'apport installed and not disabled', '/etc/default/apport'));
    },
  ),
  def(
    'BANNER-01',
    'banners',
    '1.6.1',
    'Ensure message of the day does not disclose the system',
    'LOW',
    'OS names and versions in banners help an attacker pick exploits.',
    'Remove \\m \\r \\s \\v and OS names from /etc/motd.',
    (host) => banner(host, '/etc/motd'),
  ),
  def(
    'BANNER-02',
    'banners',
    '1.6.2',
    'Ensure local login warning banner is configured properly',
    'LOW',
    'A banner states the terms of access and must not disclose the system.',
    'Write a site policy warning into /etc/issue without \\m \\r \\s \\v.',
    (host) => banner(host, '/etc/issue'),
  ),
  def(
    'BANNER-03',
    'banners',
    '1.6.3',
    'Ensure remote login warning banner is configured properly',
    'LOW',
    'A banner states the terms of access and must not disclose the system.',
    'Write a site policy warning into /etc/issue.net without \\m \\r \\s \\v.',
    (host) => banner(host, '/etc/issue.net'),
  ),
  def(
    'TIME-01',
    'time-sync',
    '2.3.1.1',
    'Ensure a single time synchronization daemon is in use',
    'LOW',
    'Accurate time is needed to correlate logs and validate certificates; two daemons fight over the clock.',
    'Enable exactly one of systemd-timesyncd or chrony.',
    async (host) => {
      const enabled = await host.enabledUnits();
      const on = [
        'systemd-timesyncd.service',
        'chrony.service',
        'chronyd.service',
        'ntp.service',
        'ntpsec.service',
      ].filter((u) => enabled.has(u));
      if (on.length === 1) return pass(ev(`${on[0]} is enabled`, enabled.get(on[0] as string)));
      return fail(
        ev(
          on.length ? `several enabled: ${on.join(', ')}` : 'no time synchronization daemon enabled',
          '/etc/systemd/system',
        ),
      );
    },
    true,
  ),
  def(
    'CRON-01',
    'cron',
    '2.4.1.1',
    'Ensure cron daemon is enabled',
    'LOW',
    'Scheduled maintenance (log rotation, updates, integrity checks) depends on cron.',
    'systemctl --now enable cron',
    (host) => unitEnabled(host, ['cron.service', 'cronie.service']),
    true,
  ),
  def(
    'CRON-02',
    'cron',
    '2.4.1.8',
    'Ensure crontab is restricted to authorized users (cron.allow)',
    'LOW',
    'An allow list keeps unknown users from scheduling jobs.',
    'Create /etc/cron.allow (root:crontab, 0640) listing permitted users; remove /etc/cron.deny.',
    async (host) => {
      if (!(await host.exists('/etc/crontab')) && !(await host.packages()).has('cron'))
        return notApplicable(ev('cron not installed'));
      const allow = await checkPermissions(host, {
        path: '/etc/cron.allow',
        maxMode: 0o640,
        groups: ['root', 'crontab'],
        required: true,
      });
      return allow;
    },
  ),
  def(
    'SUDO-01',
    'sudo',
    '5.2.2',
    'Ensure sudo commands use a pseudo terminal (use_pty)',
    'MEDIUM',
    'Without a pty a program run by sudo can keep running in the background after sudo exits.',
    'Add "Defaults use_pty" with visudo.',
    async (host) => {
      const lines = await configLines(host, ['/etc/sudoers'], [{ dir: '/etc/sudoers.d' }]);
      if (lines.length === 0) return notApplicable(ev('no /etc/sudoers'));
      const hit = lines.find((l) => /^Defaults\s+.*\buse_pty\b/.test(l.text) && !/!use_pty/.test(l.text));
      return hit ? pass(ev(hit.text, hit.file, hit.line)) : fail(ev('no "Defaults use_pty"', '/etc/sudoers'));
    },
  ),
  def(
    'SUDO-02',
    'sudo',
    '5.2.3',
    'Ensure sudo log file exists',
    'LOW',
    'A dedicated sudo log records every privileged command.',
    'Add Defaults logfile="/var/log/sudo.log" with visudo.',
    async (host) => {
      const lines = await configLines(host, ['/etc/sudoers'], [{ dir: '/etc/sudoers.d' }]);
      if (lines.length === 0) return notApplicable(ev('no /etc/sudoers'));
      const hit = lines.find((l) => /^Defaults\s+.*\blogfile\s*=/.test(l.text));
      return hit ? pass(ev(hit.text, hit.file, hit.line)) : fail(ev('no Defaults logfile=', '/etc/sudoers'));
    },
  ),
  def(
    'SUDO-03',
    'sudo',
    '5.2.4',
    'Ensure users must provide a password for privilege escalation',
    'MEDIUM',
    'NOPASSWD turns any session of that user into root without re-authentication.',
    'Remove NOPASSWD from /etc/sudoers and /etc/sudoers.d/*.',
    async (host) => {
      const lines = await configLines(host, ['/etc/sudoers'], [{ dir: '/etc/sudoers.d' }]);
      if (lines.length === 0) return notApplicable(ev('no /etc/sudoers'));
      const bad = lines.filter((l) => /\bNOPASSWD\s*:/.test(l.text));
      return bad.length
        ? fail(...bad.map((l) => ev(l.text, l.file, l.line)))
        : pass(ev('no NOPASSWD entries', '/etc/sudoers'));
    },
  ),
  def(
    'SUDO-04',
    'sudo',
    '5.2.5',
    'Ensure re-authentication for privilege escalation is not disabled globally',
    'MEDIUM',
    '!authenticate disables the password prompt for every sudo rule.',
    'Remove "Defaults !authenticate".',
    async (host) => {
      const lines = await configLines(host, ['/etc/sudoers'], [{ dir: '/etc/sudoers.d' }]);
      if (lines.length === 0) return notApplicable(ev('no /etc/sudoers'));
      const bad = lines.filter((l) => /!authenticate\b/.test(l.text));
      return bad.length
        ? fail(...bad.map((l) => ev(l.text, l.file, l.line)))
        : pass(ev('no !authenticate', '/etc/sudoers'));
    },
  ),
  def(
    'LOG-01',
    'logging',
    '6.1.1.1|6.2.1.1.1',
    'Ensure journald service is enabled',
    'LOW',
    'Without a logging daemon nothing is recorded.',
    'systemctl unmask systemd-journald; it is static and starts with the system.',
    async (host) => {
      if (await host.masked('systemd-journald.service'))
        return fail(ev('systemd-journald.service is masked', '/etc/systemd/system/systemd-journald.service'));
      for (const dir of ['/usr/lib/systemd/system', '/lib/systemd/system']) {
        if (await host.exists(`${dir}/systemd-journald.service`))
          return pass(ev('systemd-journald.service present (static unit)', `${dir}/systemd-journald.service`));
      }
      return fail(ev('systemd-journald.service not found'));
    },
    true,
  ),
  def(
    'AIDE-01',
    'filesystem',
    '6.3.1|6.1.1',
    'Ensure AIDE (file integrity checking) is installed',
    'LOW',
    'Integrity checking detects changed binaries and configuration.',
    'apt install aide aide-common; aideinit (or enable Palisade integrity monitoring).',
    (host) => checkInstalled(host, ['aide']),
  ),
  def(
    'SUDO-05',
    'sudo',
    '5.2.1',
    'Ensure sudo is installed',
    'LOW',
    'sudo gives auditable, per-command privilege instead of shared root passwords.',
    'apt install sudo',
    (host) => checkInstalled(host, ['sudo', 'sudo-ldap']),
  ),
];
