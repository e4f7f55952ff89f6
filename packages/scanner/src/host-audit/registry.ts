// The one list of host-audit checks, in CIS order of families. A new check is a definition in its
// family's file; a new family is one file plus one line here.

import { accountChecks } from './checks/account-checks.js';
import { auditdChecks } from './checks/auditd-checks.js';
import { filePermissionChecks } from './checks/file-permission-checks.js';
import { filesystemWalkChecks } from './checks/filesystem-walk-checks.js';
import { kernelModuleChecks } from './checks/kernel-module-checks.js';
import { mountChecks } from './checks/mount-checks.js';
import { passwordPolicyChecks } from './checks/password-policy-checks.js';
import { serviceChecks } from './checks/service-checks.js';
import { sshChecks } from './checks/ssh-checks.js';
import { sysctlChecks } from './checks/sysctl-checks.js';
import { systemChecks } from './checks/system-checks.js';
import type { HostCheck } from './types.js';

export const HOST_CHECKS: readonly HostCheck[] = [
  ...kernelModuleChecks,
  ...mountChecks,
  ...systemChecks,
  ...serviceChecks,
  ...sysctlChecks,
  ...sshChecks,
  ...passwordPolicyChecks,
  ...accountChecks,
  ...auditdChecks,
  ...filePermissionChecks,
  ...filesystemWalkChecks,
];
