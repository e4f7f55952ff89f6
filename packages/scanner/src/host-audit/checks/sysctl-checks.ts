// CIS 1.5 and 3.3: kernel parameters, read live from /proc/sys (or, for an offline root, from the
// sysctl.d configuration that would apply at boot). Process hardening first, then the network stack.

import type { Severity } from '@palisade/core';
import type { HostRoot } from '../host-root.js';
import { type CheckOutcome, type Evidence, fail, type HostCheck, notApplicable, pass } from '../types.js';
import { ev } from './check-helpers.js';

interface SysctlRule {
  n: number;
  cis: string;
  title: string;
  severity: Severity;
  /** Every key must hold one of its allowed values. */
  keys: [key: string, allowed: string[]][];
  rationale: string;
}

const both = (family: 'ipv4' | 'ipv6', name: string, allowed: string[]): [string, string[]][] => [
  [`net.${family}.conf.all.${name}`, allowed],
  [`net.${family}.conf.default.${name}`, allowed],
];

const RULES: SysctlRule[] = [
  {
    n: 1,
    cis: '1.5.1',
    title: 'Ensure address space layout randomization is enabled',
    severity: 'HIGH',
    keys: [['kernel.randomize_va_space', ['2']]],
    rationale: 'Randomized memory layout makes memory-corruption exploits much harder to write reliably.',
  },
  {
    n: 2,
    cis: '1.5.2',
    title: 'Ensure ptrace_scope is restricted',
    severity: 'MEDIUM',
    keys: [['kernel.yama.ptrace_scope', ['1', '2', '3']]],
    rationale:
      'Unrestricted ptrace lets any process read the memory (and secrets) of every other process of the same user.',
  },
  {
    n: 3,
    cis: '1.5.3',
    title: 'Ensure setuid programs do not dump core',
    severity: 'MEDIUM',
    keys: [['fs.suid_dumpable', ['0']]],
    rationale: 'Core dumps of privileged programs can leak password hashes and keys to unprivileged users.',
  },
  {
    n: 4,
    cis: '1.5',
    title: 'Ensure kernel log access is restricted (dmesg_restrict)',
    severity: 'LOW',
    keys: [['kernel.dmesg_restrict', ['1']]],
    rationale: 'The kernel log reveals addresses and hardware details useful to exploit the kernel.',
  },
  {
    n: 5,
    cis: '1.5',
    title: 'Ensure kernel pointers are hidden (kptr_restrict)',
    severity: 'LOW',
    keys: [['kernel.kptr_restrict', ['1', '2']]],
    rationale: 'Exposed kernel pointers defeat kernel address space randomization.',
  },
  {
    n: 6,
    cis: '1.5',
    title: 'Ensure unprivileged eBPF is disabled',
    severity: 'MEDIUM',
    keys: [['kernel.unprivileged_bpf_disabled', ['1', '2']]],
    rationale: 'Unprivileged BPF programs have been a repeated source of local privilege escalation.',
  },
  {
    n: 7,
    cis: '3.3.1',
    title: 'Ensure IP forwarding is disabled',
    severity: 'MEDIUM',
    keys: [
      ['net.ipv4.ip_forward', ['0']],
      ['net.ipv6.conf.all.forwarding', ['0']],
    ],
    rationale:
      'A host that forwards packets can be used to route around network controls (not for routers or container hosts).',
  },
  {
    n: 8,
    cis: '3.3.2',
    title: 'Ensure packet redirect sending is disabled',
    severity: 'LOW',
    keys: both('ipv4', 'send_redirects', ['0']),
    rationale: 'Only routers send ICMP redirects; a compromised host could use them to reroute traffic.',
  },
  {
    n: 9,
    cis: '3.3.3',
    title: 'Ensure bogus ICMP responses are ignored',
    severity: 'LOW',
    keys: [['net.ipv4.icmp_ignore_bogus_error_responses', ['1']]],
    rationale: 'Logging bogus ICMP error responses can fill the logs.',
  },
  {
    n: 10,
    cis: '3.3.4',
    title: 'Ensure broadcast ICMP requests are ignored',
    severity: 'LOW',
    keys: [['net.ipv4.icmp_echo_ignore_broadcasts', ['1']]],
    rationale: 'Answering broadcast pings makes the host an amplifier in smurf attacks.',
  },
  {
    n: 11,
    cis: '3.3.5',
    title: 'Ensure ICMP redirects are not accepted',
    severity: 'MEDIUM',
    keys: [...both('ipv4', 'accept_redirects', ['0']), ...both('ipv6', 'accept_redirects', ['0'])],
    rationale: 'Accepted redirects let an attacker on the network rewrite the routing table.',
  },
  {
    n: 12,
    cis: '3.3.6',
    title: 'Ensure secure ICMP redirects are not accepted',
    severity: 'MEDIUM',
    keys: both('ipv4', 'secure_redirects', ['0']),
    rationale: 'Redirects from a compromised gateway can still reroute traffic.',
  },
  {
    n: 13,
    cis: '3.3.7',
    title: 'Ensure reverse path filtering is enabled',
    severity: 'MEDIUM',
    keys: both('ipv4', 'rp_filter', ['1']),
    rationale: 'Dropping packets whose source could not be routed back defeats address spoofing.',
  },
  {
    n: 14,
    cis: '3.3.8',
    title: 'Ensure source routed packets are not accepted',
    severity: 'MEDIUM',
    keys: [...both('ipv4', 'accept_source_route', ['0']), ...both('ipv6', 'accept_source_route', ['0'])],
    rationale: 'Source routing lets a sender choose the path and reach networks that should be unreachable.',
  },
  {
    n: 15,
    cis: '3.3.9',
    title: 'Ensure suspicious packets are logged',
    severity: 'LOW',
    keys: both('ipv4', 'log_martians', ['1']),
    rationale: 'Logging martian packets shows spoofing attempts.',
  },
  {
    n: 16,
    cis: '3.3.10',
    title: 'Ensure TCP SYN cookies are enabled',
    severity: 'MEDIUM',
    keys: [['net.ipv4.tcp_syncookies', ['1']]],
    rationale: 'SYN cookies keep the host answering during a SYN flood.',
  },
  {
    n: 17,
    cis: '3.3.11',
    title: 'Ensure IPv6 router advertisements are not accepted',
    severity: 'LOW',
    keys: both('ipv6', 'accept_ra', ['0']),
    rationale: 'Rogue router advertisements can redirect all IPv6 traffic.',
  },
];

export async function checkSysctls(host: HostRoot, keys: [string, string[]][]): Promise<CheckOutcome> {
  const good: Evidence[] = [];
  const bad: Evidence[] = [];
  let missing = 0;
  for (const [key, allowed] of keys) {
    const v = await host.sysctl(key);
    if (!v) {
      missing++;
      continue;
    }
    const e = ev(`${key} = ${v.value}${v.source === 'configured' ? ' (configured)' : ''}`, v.file, v.line);
    (allowed.includes(v.value) ? good : bad).push(e);
  }
  if (bad.length > 0) return fail(...bad, ...good);
  // IPv6 keys vanish when IPv6 is disabled, which satisfies the IPv6 half of a rule.
  if (good.length > 0) return pass(...good);
  return missing === keys.length
    ? notApplicable(ev(`${keys.map((k) => k[0]).join(', ')}: not set and no live kernel values visible`))
    : pass(...good);
}

export const sysctlChecks: HostCheck[] = RULES.map((r) => ({
  id: `PAL-HOST-SYSCTL-${String(r.n).padStart(2, '0')}`,
  family: 'sysctl',
  cis: { debian12: r.cis },
  title: r.title,
  severity: r.severity,
  rationale: r.rationale,
  remediation: `Set ${r.keys.map(([k, v]) => `${k} = ${v[0]}`).join(', ')} in a file under /etc/sysctl.d/ and run "sysctl --system".`,
  run: (host) => checkSysctls(host, r.keys),
}));
