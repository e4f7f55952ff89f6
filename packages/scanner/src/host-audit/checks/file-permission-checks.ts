// CIS 7.1, 2.4.1 and 1.6: ownership and modes of the account databases, cron directories and
// login banners; a file anyone can write (or read, for shadow) undoes every other control.

import type { HostCheck } from '../types.js';
import { checkPermissions, type PermissionRule } from './check-helpers.js';

const FILES: (PermissionRule & { cis: string; code: string; severity: 'LOW' | 'MEDIUM' | 'HIGH' })[] = [
  { cis: '7.1.1', code: 'PASSWD', path: '/etc/passwd', maxMode: 0o644, severity: 'HIGH', required: true },
  { cis: '7.1.2', code: 'PASSWD-', path: '/etc/passwd-', maxMode: 0o644, severity: 'MEDIUM' },
  { cis: '7.1.3', code: 'GROUP', path: '/etc/group', maxMode: 0o644, severity: 'HIGH', required: true },
  { cis: '7.1.4', code: 'GROUP-', path: '/etc/group-', maxMode: 0o644, severity: 'MEDIUM' },
  {
    cis: '7.1.5',
    code: 'SHADOW',
    path: '/etc/shadow',
    maxMode: 0o640,
    groups: ['root', 'shadow'],
    severity: 'HIGH',
    required: true,
  },
  { cis: '7.1.6', code: 'SHADOW-', path: '/etc/shadow-', maxMode: 0o640, groups: ['root', 'shadow'], severity: 'HIGH' },
  { cis: '7.1.7', code: 'GSHADOW', path: '/etc/gshadow', maxMode: 0o640, groups: ['root', 'shadow'], severity: 'HIGH' },
  {
    cis: '7.1.8',
    code: 'GSHADOW-',
    path: '/etc/gshadow-',
    maxMode: 0o640,
    groups: ['root', 'shadow'],
    severity: 'MEDIUM',
  },
  { cis: '7.1.9', code: 'SHELLS', path: '/etc/shells', maxMode: 0o644, severity: 'LOW' },
  { cis: '7.1.10', code: 'OPASSWD', path: '/etc/security/opasswd', maxMode: 0o600, severity: 'MEDIUM' },
  { cis: '2.4.1.2', code: 'CRONTAB', path: '/etc/crontab', maxMode: 0o600, severity: 'MEDIUM' },
  { cis: '2.4.1.3', code: 'CRON-HOURLY', path: '/etc/cron.hourly', maxMode: 0o700, severity: 'MEDIUM' },
  { cis: '2.4.1.4', code: 'CRON-DAILY', path: '/etc/cron.daily', maxMode: 0o700, severity: 'MEDIUM' },
  { cis: '2.4.1.5', code: 'CRON-WEEKLY', path: '/etc/cron.weekly', maxMode: 0o700, severity: 'MEDIUM' },
  { cis: '2.4.1.6', code: 'CRON-MONTHLY', path: '/etc/cron.monthly', maxMode: 0o700, severity: 'MEDIUM' },
  { cis: '2.4.1.7', code: 'CRON-D', path: '/etc/cron.d', maxMode: 0o700, severity: 'MEDIUM' },
  { cis: '1.6.4', code: 'MOTD', path: '/etc/motd', maxMode: 0o644, severity: 'LOW' },
  { cis: '1.6.5', code: 'ISSUE', path: '/etc/issue', maxMode: 0o644, severity: 'LOW' },
  { cis: '1.6.6', code: 'ISSUE-NET', path: '/etc/issue.net', maxMode: 0o644, severity: 'LOW' },
];

export const filePermissionChecks: HostCheck[] = FILES.map((f) => ({
  id: `PAL-HOST-PERM-${f.code}`,
  family: f.path.startsWith('/etc/cron')
    ? 'cron'
    : f.path.includes('issue') || f.path.includes('motd')
      ? 'banners'
      : 'file-permissions',
  cis: { debian12: f.cis },
  title: `Ensure permissions on ${f.path} are configured`,
  severity: f.severity,
  rationale: f.path.includes('shadow')
    ? `${f.path} holds password hashes: readable by others, it allows offline cracking.`
    : `Others able to write ${f.path} could change what it controls (accounts, scheduled jobs, what users see).`,
  remediation: `chown root:${f.groups?.includes('shadow') ? 'shadow' : 'root'} ${f.path}; chmod ${f.maxMode.toString(8)} ${f.path}`,
  run: (host) => checkPermissions(host, f),
}));
