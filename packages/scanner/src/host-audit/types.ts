// The host-audit contract: a check reads a host's root filesystem through an AuditContext and
// answers pass / fail / not-applicable with evidence (value, file, line). Checks never modify anything.

import type { Severity } from '@palisade/core';
import type { HostRoot } from './host-root.js';

export type CheckStatus = 'pass' | 'fail' | 'not-applicable';

/** One fact a check based its answer on. `file` is absolute inside the audited root ("/etc/ssh/sshd_config"). */
export interface Evidence {
  file?: string;
  line?: number;
  value: string;
}

export interface CheckOutcome {
  status: CheckStatus;
  evidence: Evidence[];
}

/** CIS section numbers; Ubuntu 22.04 (v2.0.0) is given only where it differs from Debian 12 (v1.1.0). */
export interface CisSections {
  debian12: string;
  ubuntu2204?: string;
}

export type CheckFamily =
  | 'kernel-modules'
  | 'mounts'
  | 'apparmor'
  | 'bootloader'
  | 'process-hardening'
  | 'banners'
  | 'services'
  | 'time-sync'
  | 'cron'
  | 'sysctl'
  | 'ssh'
  | 'sudo'
  | 'pam'
  | 'login-defs'
  | 'accounts'
  | 'logging'
  | 'auditd'
  | 'file-permissions'
  | 'filesystem'
  | 'updates';

export interface HostCheck {
  /** Stable id, PAL-HOST-<FAMILY>-NN; never reused for another check. */
  id: string;
  family: CheckFamily;
  cis: CisSections;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  /** Needs the host's own kernel, boot or mounts: not applicable inside a container. */
  hostOnly?: boolean;
  run(host: HostRoot): Promise<CheckOutcome>;
}

export interface CheckResult {
  id: string;
  family: CheckFamily;
  cis: Required<CisSections>;
  title: string;
  severity: Severity;
  status: CheckStatus;
  evidence: Evidence[];
}

export const pass = (...evidence: Evidence[]): CheckOutcome => ({ status: 'pass', evidence });
export const fail = (...evidence: Evidence[]): CheckOutcome => ({ status: 'fail', evidence });
export const notApplicable = (...evidence: Evidence[]): CheckOutcome => ({ status: 'not-applicable', evidence });
