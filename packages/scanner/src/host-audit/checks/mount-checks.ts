// CIS 1.1.2: directories that hold user-writable or temporary data live on their own mounts with
// nodev/nosuid/noexec, so a file placed there cannot become a device, a setuid binary or a program.

import type { HostRoot } from '../host-root.js';
import { type CheckOutcome, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { ev } from './check-helpers.js';

type MountOption = 'nodev' | 'nosuid' | 'noexec';

const MOUNTS: { dir: string; cis: string; options: MountOption[]; code: string; separateSeverity: 'LOW' | 'MEDIUM' }[] =
  [
    { dir: '/tmp', cis: '1.1.2.1', options: ['nodev', 'nosuid', 'noexec'], code: 'TMP', separateSeverity: 'MEDIUM' },
    {
      dir: '/dev/shm',
      cis: '1.1.2.2',
      options: ['nodev', 'nosuid', 'noexec'],
      code: 'SHM',
      separateSeverity: 'MEDIUM',
    },
    { dir: '/home', cis: '1.1.2.3', options: ['nodev', 'nosuid'], code: 'HOME', separateSeverity: 'LOW' },
    { dir: '/var', cis: '1.1.2.4', options: ['nodev', 'nosuid'], code: 'VAR', separateSeverity: 'LOW' },
    {
      dir: '/var/tmp',
      cis: '1.1.2.5',
      options: ['nodev', 'nosuid', 'noexec'],
      code: 'VARTMP',
      separateSeverity: 'LOW',
    },
    {
      dir: '/var/log',
      cis: '1.1.2.6',
      options: ['nodev', 'nosuid', 'noexec'],
      code: 'VARLOG',
      separateSeverity: 'LOW',
    },
    {
      dir: '/var/log/audit',
      cis: '1.1.2.7',
      options: ['nodev', 'nosuid', 'noexec'],
      code: 'AUDIT',
      separateSeverity: 'LOW',
    },
  ];
// Sub-section numbers follow CIS: .2 nodev, .3 nosuid, .4 noexec (/home and /var stop at .3).
const OPTION_INDEX: Record<MountOption, number> = { nodev: 2, nosuid: 3, noexec: 4 };

async function findMount(host: HostRoot, dir: string) {
  // The last matching line wins: later mounts stack on top of earlier ones.
  return (await host.mounts()).filter((m) => m.mountPoint === dir).pop();
}

export async function checkSeparateMount(host: HostRoot, dir: string): Promise<CheckOutcome> {
  const m = await findMount(host, dir);
  if (m) return pass(ev(`${dir} is a ${m.fsType} mount (${[...m.options].join(',')})`, m.file, m.line));
  const mounts = await host.mounts();
  if (mounts.length === 0) return notApplicable(ev('no mount table visible (/proc/self/mountinfo or /etc/fstab)'));
  return fail(ev(`${dir} is not a separate mount`, mounts[0]?.file));
}

export async function checkMountOption(host: HostRoot, dir: string, option: MountOption): Promise<CheckOutcome> {
  const m = await findMount(host, dir);
  if (!m) return notApplicable(ev(`${dir} is not a separate mount`));
  const opts = [...m.options].join(',');
  return m.options.has(option)
    ? pass(ev(`${dir} mounted with ${opts}`, m.file, m.line))
    : fail(ev(`${dir} mounted without ${option} (${opts})`, m.file, m.line));
}

export const mountChecks: HostCheck[] = MOUNTS.flatMap((m) => [
  {
    id: `PAL-HOST-MNT-${m.code}-SEP`,
    family: 'mounts',
    cis: { debian12: `${m.cis}.1` },
    title: `Ensure ${m.dir} is a separate partition`,
    severity: m.separateSeverity,
    rationale: `A separate ${m.dir} mount can carry restrictive options and keeps it from filling the root file system.`,
    remediation: `Mount ${m.dir} on its own partition or tmpfs (an /etc/fstab entry or a systemd mount unit).`,
    hostOnly: true,
    run: (host) => checkSeparateMount(host, m.dir),
  },
  ...m.options.map(
    (option): HostCheck => ({
      id: `PAL-HOST-MNT-${m.code}-${option.toUpperCase()}`,
      family: 'mounts',
      cis: { debian12: `${m.cis}.${OPTION_INDEX[option]}` },
      title: `Ensure ${option} option set on ${m.dir} partition`,
      severity: option === 'nodev' ? 'LOW' : 'MEDIUM',
      rationale: {
        nodev: `Device files on ${m.dir} could give users raw access to disks or memory.`,
        nosuid: `setuid/setgid files placed on ${m.dir} could be used to gain privileges.`,
        noexec: `Programs dropped into ${m.dir} by an attacker should not be executable from there.`,
      }[option],
      remediation: `Add ${option} to the options of the ${m.dir} entry in /etc/fstab and run "mount -o remount ${m.dir}".`,
      hostOnly: true,
      run: (host) => checkMountOption(host, m.dir, option),
    }),
  ),
]);
