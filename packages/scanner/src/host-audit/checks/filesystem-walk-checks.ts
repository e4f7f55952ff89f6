// CIS 7.1.11-7.1.13: one walk of the local file systems answers three questions: world-writable
// files and sticky-less directories, files without a known owner or group, and SUID/SGID programs.

import type { WalkFinding, WalkResult } from '../host-root.js';
import { fail, type HostCheck, pass } from '../types.js';
import { capped, ev, octal } from './check-helpers.js';

/** SUID/SGID programs a stock Debian or Ubuntu system ships; anything else needs a reason. */
export const KNOWN_SETID = new Set([
  '/usr/bin/passwd',
  '/usr/bin/chsh',
  '/usr/bin/chfn',
  '/usr/bin/gpasswd',
  '/usr/bin/newgrp',
  '/usr/bin/su',
  '/usr/bin/sudo',
  '/usr/bin/mount',
  '/usr/bin/umount',
  '/usr/bin/pkexec',
  '/usr/bin/chage',
  '/usr/bin/expiry',
  '/usr/bin/ssh-agent',
  '/usr/bin/crontab',
  '/usr/bin/wall',
  '/usr/bin/write.ul',
  '/usr/bin/fusermount',
  '/usr/bin/fusermount3',
  '/usr/bin/at',
  '/usr/bin/dotlockfile',
  '/usr/bin/bsd-write',
  '/usr/bin/newuidmap',
  '/usr/bin/newgidmap',
  '/usr/sbin/unix_chkpwd',
  '/usr/sbin/pam_extrausers_chkpwd',
  '/usr/sbin/exim4',
  '/usr/lib/dbus-1.0/dbus-daemon-launch-helper',
  '/usr/lib/openssh/ssh-keysign',
  '/usr/lib/polkit-1/polkit-agent-helper-1',
  '/usr/libexec/polkit-agent-helper-1',
  '/usr/lib/eject/dmcrypt-get-device',
  '/usr/sbin/mount.nfs',
  '/usr/sbin/mount.cifs',
  '/usr/bin/ntfs-3g',
  '/usr/lib/snapd/snap-confine',
  '/usr/sbin/postdrop',
  '/usr/sbin/postqueue',
  '/usr/bin/mlocate',
  '/usr/bin/plocate',
  '/usr/bin/ksu',
  '/usr/lib/x86_64-linux-gnu/utempter/utempter',
  '/usr/libexec/utempter/utempter',
]);

const walked = (w: WalkResult) =>
  w.entries !== undefined ? `${w.entries} entries checked` : 'local file systems walked (find)';

const describe = (f: WalkFinding) =>
  ev(`${octal(f.mode)} uid ${f.uid} gid ${f.gid}${f.isDir ? ' (directory)' : ''}`, f.path);

/** Debian's usrmerge makes /bin, /sbin and /lib symlinks; report the /usr path the list uses. */
const usrPath = (p: string) => p.replace(/^\/(bin|sbin|lib)\//, '/usr/$1/');

export const filesystemWalkChecks: HostCheck[] = [
  {
    id: 'PAL-HOST-FS-01',
    family: 'filesystem',
    cis: { debian12: '7.1.11' },
    title: 'Ensure world writable files and directories are secured',
    severity: 'MEDIUM',
    rationale:
      "A world-writable file can be changed by any user; a world-writable directory without the sticky bit lets any user delete or replace others' files.",
    remediation: 'chmod o-w FILE for each file listed; chmod +t DIR for each shared directory.',
    run: async (host) => {
      const w = await host.walk();
      const truncated = w.truncated ? [ev(`walk stopped after ${w.entries} entries`)] : [];
      return w.worldWritable.length
        ? fail(...capped(w.worldWritable, 50, describe), ...truncated)
        : pass(ev(`${walked(w)}, none world-writable without the sticky bit`), ...truncated);
    },
  },
  {
    id: 'PAL-HOST-FS-02',
    family: 'filesystem',
    cis: { debian12: '7.1.12' },
    title: 'Ensure no files or directories without an owner and a group exist',
    severity: 'MEDIUM',
    rationale: 'Files of deleted accounts are inherited by whoever next gets that UID or GID.',
    remediation: 'chown a valid user and group on each listed file, or remove it.',
    run: async (host) => {
      const w = await host.walk();
      return w.unowned.length
        ? fail(...capped(w.unowned, 50, describe))
        : pass(ev(`${walked(w)}, all owned by known users and groups`));
    },
  },
  {
    id: 'PAL-HOST-FS-03',
    family: 'filesystem',
    cis: { debian12: '7.1.13' },
    title: 'Ensure SUID and SGID files are reviewed',
    severity: 'MEDIUM',
    rationale:
      "Every SUID/SGID program runs with another identity's privileges; unexpected ones are a classic backdoor.",
    remediation:
      'Confirm each listed program is from a trusted package (dpkg -S PATH) or remove the bit with chmod u-s,g-s.',
    run: async (host) => {
      const w = await host.walk();
      const unknown = w.setid.filter((f) => !KNOWN_SETID.has(usrPath(f.path)));
      return unknown.length
        ? fail(...capped(unknown, 50, describe))
        : pass(
            ev(`${w.setid.length} SUID/SGID programs, all on the known-good list`),
            ...capped(w.setid, 50, describe),
          );
    },
  },
];
