// CIS 5.4.2 and 7.2: the account databases themselves: one root, shadowed and non-empty passwords,
// unique ids and names, consistent groups, and no login shell for system accounts.

import type { HostRoot } from '../host-root.js';
import { type CheckOutcome, type Evidence, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { capped, ev } from './check-helpers.js';

const NO_LOGIN = /(\/nologin|\/false|\/sync|\/shutdown|\/halt)$/;

function verdict(bad: Evidence[], okValue: string, file: string): CheckOutcome {
  return bad.length ? fail(...capped(bad, 20, (e) => e)) : pass(ev(okValue, file));
}

function duplicates<T>(items: T[], key: (t: T) => string | number, show: (t: T) => Evidence): Evidence[] {
  const seen = new Map<string | number, T>();
  const out: Evidence[] = [];
  for (const it of items) {
    const k = key(it);
    if (seen.has(k)) out.push(show(it));
    else seen.set(k, it);
  }
  return out;
}

async function withPasswd(host: HostRoot, fn: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
  if ((await host.passwd()).length === 0) return notApplicable(ev('no readable /etc/passwd', '/etc/passwd'));
  return fn();
}

const def = (
  n: number,
  cis: string,
  title: string,
  severity: HostCheck['severity'],
  rationale: string,
  remediation: string,
  run: (host: HostRoot) => Promise<CheckOutcome>,
): HostCheck => ({
  id: `PAL-HOST-ACCT-${String(n).padStart(2, '0')}`,
  family: 'accounts',
  cis: { debian12: cis },
  title,
  severity,
  rationale,
  remediation,
  run: (host) => withPasswd(host, () => run(host)),
});

export const accountChecks: HostCheck[] = [
  def(
    1,
    '5.4.2.1',
    'Ensure root is the only UID 0 account',
    'CRITICAL',
    'Any other UID 0 account is a second, unaudited root.',
    'Remove the account or give it a non-zero UID.',
    async (host) => {
      const bad = (await host.passwd())
        .filter((p) => p.uid === 0 && p.name !== 'root')
        .map((p) => ev(`${p.name} has UID 0`, '/etc/passwd', p.line));
      return verdict(bad, 'only root has UID 0', '/etc/passwd');
    },
  ),
  def(
    2,
    '5.4.2.2',
    'Ensure root is the only GID 0 account',
    'HIGH',
    'Accounts in group 0 can read and write root-group files.',
    'Change the primary group of the listed accounts.',
    async (host) => {
      const bad = (await host.passwd())
        .filter((p) => p.gid === 0 && !['root', 'sync', 'shutdown', 'halt', 'operator'].includes(p.name))
        .map((p) => ev(`${p.name} has GID 0`, '/etc/passwd', p.line));
      return verdict(bad, 'only root has primary GID 0', '/etc/passwd');
    },
  ),
  def(
    3,
    '5.4.2.3',
    'Ensure group root is the only GID 0 group',
    'HIGH',
    'Another GID 0 group shares root group privileges under a different name.',
    'Give the listed groups a different GID.',
    async (host) => {
      const bad = (await host.groups())
        .filter((g) => g.gid === 0 && g.name !== 'root')
        .map((g) => ev(`group ${g.name} has GID 0`, '/etc/group', g.line));
      return verdict(bad, 'only group root has GID 0', '/etc/group');
    },
  ),
  def(
    4,
    '5.4.2.7',
    'Ensure system accounts do not have a valid login shell',
    'MEDIUM',
    'System accounts with a shell can be used to log in interactively.',
    'usermod -s /usr/sbin/nologin ACCOUNT',
    async (host) => {
      const bad = (await host.passwd())
        .filter(
          (p) =>
            p.uid < 1000 &&
            !['root', 'sync', 'shutdown', 'halt'].includes(p.name) &&
            p.shell &&
            !NO_LOGIN.test(p.shell),
        )
        .map((p) => ev(`${p.name} (uid ${p.uid}) has shell ${p.shell}`, '/etc/passwd', p.line));
      return verdict(bad, 'no system account has a login shell', '/etc/passwd');
    },
  ),
  def(
    5,
    '7.2.1',
    'Ensure accounts in /etc/passwd use shadowed passwords',
    'HIGH',
    'Hashes in world-readable /etc/passwd can be cracked offline.',
    'Run pwconv.',
    async (host) => {
      const bad = (await host.passwd())
        .filter((p) => p.password !== 'x')
        .map((p) => ev(`${p.name} password field is not "x"`, '/etc/passwd', p.line));
      return verdict(bad, 'all accounts use shadowed passwords', '/etc/passwd');
    },
  ),
  def(
    6,
    '7.2.2',
    'Ensure /etc/shadow password fields are not empty',
    'CRITICAL',
    'An empty password field lets anyone log in as that account.',
    'passwd -l ACCOUNT, or set a password.',
    async (host) => {
      const shadow = await host.shadow();
      if (shadow.length === 0) return notApplicable(ev('no readable /etc/shadow', '/etc/shadow'));
      const bad = shadow
        .filter((s) => s.hash === '')
        .map((s) => ev(`${s.name} has an empty password`, '/etc/shadow', s.line));
      return verdict(bad, 'no empty password fields', '/etc/shadow');
    },
  ),
  def(
    7,
    '7.2.3',
    'Ensure all groups in /etc/passwd exist in /etc/group',
    'LOW',
    'Accounts whose group does not exist get its permissions if the GID is reused.',
    'Create the missing groups or fix the accounts.',
    async (host) => {
      const gids = new Set((await host.groups()).map((g) => g.gid));
      const bad = (await host.passwd())
        .filter((p) => !gids.has(p.gid))
        .map((p) => ev(`${p.name} has GID ${p.gid}, not in /etc/group`, '/etc/passwd', p.line));
      return verdict(bad, 'every primary group exists', '/etc/passwd');
    },
  ),
  def(
    8,
    '7.2.4',
    'Ensure shadow group is empty',
    'HIGH',
    'Members of group shadow can read every password hash.',
    'Remove all members from group shadow.',
    async (host) => {
      const shadow = (await host.groups()).find((g) => g.name === 'shadow');
      if (!shadow) return pass(ev('no shadow group', '/etc/group'));
      const primary = (await host.passwd())
        .filter((p) => p.gid === shadow.gid)
        .map((p) => ev(`${p.name} has shadow as primary group`, '/etc/passwd', p.line));
      const bad = [
        ...shadow.members.map((m) => ev(`${m} is a member of shadow`, '/etc/group', shadow.line)),
        ...primary,
      ];
      return verdict(bad, 'group shadow has no members', '/etc/group');
    },
  ),
  def(
    9,
    '7.2.5',
    'Ensure no duplicate UIDs exist',
    'MEDIUM',
    'Accounts sharing a UID share files and cannot be told apart in logs.',
    'Give each account its own UID.',
    async (host) =>
      verdict(
        duplicates(
          await host.passwd(),
          (p) => p.uid,
          (p) => ev(`${p.name} reuses UID ${p.uid}`, '/etc/passwd', p.line),
        ),
        'all UIDs unique',
        '/etc/passwd',
      ),
  ),
  def(
    10,
    '7.2.6',
    'Ensure no duplicate GIDs exist',
    'LOW',
    'Groups sharing a GID share access.',
    'Give each group its own GID.',
    async (host) =>
      verdict(
        duplicates(
          await host.groups(),
          (g) => g.gid,
          (g) => ev(`${g.name} reuses GID ${g.gid}`, '/etc/group', g.line),
        ),
        'all GIDs unique',
        '/etc/group',
      ),
  ),
  def(
    11,
    '7.2.7',
    'Ensure no duplicate user names exist',
    'MEDIUM',
    'A duplicate name logs in as whichever entry comes first.',
    'Rename or remove the duplicate.',
    async (host) =>
      verdict(
        duplicates(
          await host.passwd(),
          (p) => p.name,
          (p) => ev(`user ${p.name} appears again`, '/etc/passwd', p.line),
        ),
        'all user names unique',
        '/etc/passwd',
      ),
  ),
  def(
    12,
    '7.2.8',
    'Ensure no duplicate group names exist',
    'LOW',
    'A duplicate group name makes group membership ambiguous.',
    'Rename or remove the duplicate.',
    async (host) =>
      verdict(
        duplicates(
          await host.groups(),
          (g) => g.name,
          (g) => ev(`group ${g.name} appears again`, '/etc/group', g.line),
        ),
        'all group names unique',
        '/etc/group',
      ),
  ),
  def(
    13,
    '5.4.2.5',
    'Ensure root path integrity (no empty, relative or writable entries)',
    'MEDIUM',
    "A writable or relative directory in root's PATH lets others plant commands that root runs.",
    'Fix PATH in /root/.profile and /etc/profile; remove group/other write from its directories.',
    async (host) => {
      const profile = (await host.readText('/root/.profile')) ?? (await host.readText('/etc/profile')) ?? '';
      const m = /^\s*(?:export\s+)?PATH=["']?([^"'\n]*)/m.exec(profile);
      const pathValue = m?.[1] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
      const bad: Evidence[] = [];
      for (const dir of pathValue.split(':')) {
        if (dir === '' || dir === '.' || !dir.startsWith('/')) {
          if (!dir.includes('$')) bad.push(ev(`PATH entry "${dir}" is empty or relative`));
          continue;
        }
        const st = await host.stat(dir);
        if (st && (st.mode & 0o022 || st.uid !== 0))
          bad.push(ev(`${dir} mode ${(st.mode & 0o777).toString(8)} uid ${st.uid}`, dir));
      }
      return bad.length ? fail(...bad) : pass(ev(`PATH=${pathValue}`));
    },
  ),
];
