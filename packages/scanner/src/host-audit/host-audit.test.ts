import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostRoot } from './host-root.js';
import { HOST_CHECKS } from './registry.js';
import { renderHostAuditTable } from './render-host-table.js';
import { hostAuditScanReport, runHostAudit, selectChecks } from './run-audit.js';
import type { CheckResult } from './types.js';

let root: string;

function put(rel: string, text: string, mode = 0o644): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
}

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n';
const GROUP = 'root:x:0:\ndaemon:x:1:\nshadow:x:42:\nalice:x:1000:\n';

/** A root with good settings everywhere the tests below flip one thing at a time. */
function hardenedRoot(): void {
  put('etc/passwd', PASSWD);
  put('etc/group', GROUP);
  put(
    'etc/shadow',
    'root:$y$j9T$abc:19000:0:99999:7:::\ndaemon:*:19000::::::\nalice:$y$j9T$def:19000:1:365:7:::\n',
    0o640,
  );
  for (const [key, value] of [
    ['kernel/randomize_va_space', '2'],
    ['kernel/yama/ptrace_scope', '1'],
    ['fs/suid_dumpable', '0'],
    ['net/ipv4/ip_forward', '0'],
    ['net/ipv6/conf/all/forwarding', '0'],
    ['net/ipv4/tcp_syncookies', '1'],
  ]) {
    put(`proc/sys/${key}`, `${value}\n`);
  }
  put('proc/modules', 'ext4 1000 1 - Live 0x0\n');
  put('etc/modprobe.d/cis.conf', 'install cramfs /bin/false\nblacklist cramfs\ninstall usb-storage /bin/false\n');
  put(
    'etc/login.defs',
    '# defaults\nPASS_MAX_DAYS\t365\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 7\nENCRYPT_METHOD YESCRYPT\nUMASK 027\n',
  );
  put(
    'etc/ssh/sshd_config',
    'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nMaxAuthTries 3\nX11Forwarding yes\n',
    0o600,
  );
  put('etc/ssh/sshd_config.d/50-cis.conf', 'PermitRootLogin no\nLoginGraceTime 1m\n', 0o600);
  put(
    'proc/self/mountinfo',
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n30 22 0:30 / /tmp rw,nosuid,nodev,noexec shared:2 - tmpfs tmpfs rw\n31 22 0:31 / /home rw,nodev shared:3 - ext4 /dev/sda2 rw\n',
  );
}

const byId = (results: CheckResult[], id: string): CheckResult => {
  const r = results.find((x) => x.id === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
};

async function audit(only: string[]) {
  return (await runHostAudit({ root, only, container: false })).results;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'palisade-host-'));
  hardenedRoot();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('host audit registry', () => {
  it('has at least 80 checks with unique ids, a CIS section and metadata', () => {
    expect(HOST_CHECKS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(HOST_CHECKS.map((c) => c.id)).size).toBe(HOST_CHECKS.length);
    for (const c of HOST_CHECKS) {
      expect(c.cis.debian12).toMatch(/^\d+(\.\d+)+$/);
      expect(c.title && c.rationale && c.remediation).toBeTruthy();
    }
  });
  it('selects by id, section prefix and glob, and skips', () => {
    expect(selectChecks(HOST_CHECKS, ['5.1.20']).map((c) => c.id)).toEqual(['PAL-HOST-SSH-20']);
    expect(selectChecks(HOST_CHECKS, ['5.1.*']).every((c) => c.cis.debian12.startsWith('5.1.'))).toBe(true);
    expect(selectChecks(HOST_CHECKS, ['3.3']).length).toBeGreaterThan(5);
    expect(selectChecks(HOST_CHECKS, ['PAL-HOST-SSH-*'], ['5.1.20']).some((c) => c.id === 'PAL-HOST-SSH-20')).toBe(
      false,
    );
    expect(() => selectChecks(HOST_CHECKS, ['9.9.9'])).toThrow(/matches no check/);
  });
  it('rejects a root that is not a directory with an InputError naming it', async () => {
    await expect(runHostAudit({ root: path.join(root, 'missing') })).rejects.toThrow(
      /missing: not a readable directory/,
    );
    await expect(runHostAudit({ root: path.join(root, 'etc/passwd') })).rejects.toThrow(InputError);
  });
});

describe('sysctl checks', () => {
  it('passes on good live values and fails with the file as evidence', async () => {
    let r = await audit(['1.5.1', '1.5.2', '3.3.10']);
    expect(r.map((x) => x.status)).toEqual(['pass', 'pass', 'pass']);
    put('proc/sys/kernel/randomize_va_space', '0\n');
    r = await audit(['1.5.1']);
    expect(byId(r, 'PAL-HOST-SYSCTL-01')).toMatchObject({
      status: 'fail',
      evidence: [{ file: '/proc/sys/kernel/randomize_va_space', value: 'kernel.randomize_va_space = 0' }],
    });
  });
  it('reads sysctl.d configuration when no live kernel is visible', async () => {
    rmSync(path.join(root, 'proc'), { recursive: true });
    put('etc/sysctl.d/10-a.conf', 'net.ipv4.tcp_syncookies = 0\n');
    put('etc/sysctl.d/99-b.conf', '# later file wins\nnet/ipv4/tcp_syncookies=1\n');
    const r = byId(await audit(['3.3.10']), 'PAL-HOST-SYSCTL-16');
    expect(r).toMatchObject({ status: 'pass', evidence: [{ file: '/etc/sysctl.d/99-b.conf', line: 2 }] });
    expect(byId(await audit(['3.3.11']), 'PAL-HOST-SYSCTL-17').status).toBe('not-applicable');
  });
});

describe('sshd checks', () => {
  it('follows Include: the included file overrides the main file (first value wins)', async () => {
    const r = byId(await audit(['5.1.20']), 'PAL-HOST-SSH-20');
    expect(r).toMatchObject({
      status: 'pass',
      evidence: [{ file: '/etc/ssh/sshd_config.d/50-cis.conf', line: 1, value: 'PermitRootLogin no' }],
    });
  });
  it('fails on the main file value when no include sets it, and uses OpenSSH defaults when unset', async () => {
    const r = await audit(['5.1.8', '5.1.13', '5.1.16', '5.1.19', '5.1.15']);
    expect(byId(r, 'PAL-HOST-SSH-23')).toMatchObject({
      status: 'fail',
      evidence: [{ file: '/etc/ssh/sshd_config', line: 4 }],
    });
    expect(byId(r, 'PAL-HOST-SSH-13').status).toBe('pass');
    expect(byId(r, 'PAL-HOST-SSH-16')).toMatchObject({ status: 'pass', evidence: [{ line: 3 }] });
    expect(byId(r, 'PAL-HOST-SSH-19').evidence[0]?.value).toMatch(/not set \(OpenSSH default: no\)/);
    expect(byId(r, 'PAL-HOST-SSH-15').status).toBe('fail');
  });
  it('ignores settings inside Match blocks for the global value', async () => {
    put('etc/ssh/sshd_config.d/50-cis.conf', 'Match User backup\n  PermitRootLogin no\n', 0o600);
    expect(byId(await audit(['5.1.20']), 'PAL-HOST-SSH-20')).toMatchObject({ status: 'fail', evidence: [{ line: 2 }] });
  });
  it('checks the mode of every config file read and is not applicable without sshd', async () => {
    chmodSync(path.join(root, 'etc/ssh/sshd_config.d/50-cis.conf'), 0o644);
    expect(byId(await audit(['5.1.1']), 'PAL-HOST-SSH-01').status).toBe('fail');
    rmSync(path.join(root, 'etc/ssh'), { recursive: true });
    expect(byId(await audit(['5.1.20']), 'PAL-HOST-SSH-20').status).toBe('not-applicable');
  });
});

describe('file permission and account checks', () => {
  it('passes on 0640 root:shadow and fails on a world-readable shadow', async () => {
    expect(byId(await audit(['7.1.5']), 'PAL-HOST-PERM-SHADOW').status).toBe('pass');
    chmodSync(path.join(root, 'etc/shadow'), 0o644);
    const r = byId(await audit(['7.1.5']), 'PAL-HOST-PERM-SHADOW');
    expect(r.status).toBe('fail');
    expect(r.evidence[0]).toMatchObject({
      file: '/etc/shadow',
      value: expect.stringMatching(/mode 0644 .*more permissive than 0640/),
    });
  });
  it('finds a second UID 0 account and an empty password with their lines', async () => {
    put('etc/passwd', `${PASSWD}toor:x:0:0::/root:/bin/sh\n`);
    put('etc/shadow', 'root:$y$abc:19000::::::\nalice::19000::::::\n', 0o640);
    const r = await audit(['5.4.2.1', '7.2.2']);
    expect(byId(r, 'PAL-HOST-ACCT-01')).toMatchObject({ status: 'fail', evidence: [{ file: '/etc/passwd', line: 4 }] });
    expect(byId(r, 'PAL-HOST-ACCT-06')).toMatchObject({ status: 'fail', evidence: [{ file: '/etc/shadow', line: 2 }] });
  });
});

describe('kernel module and mount checks', () => {
  it('passes for a module disabled with install /bin/false and fails for one only blacklisted or loaded', async () => {
    put('etc/modprobe.d/other.conf', 'blacklist hfs\n');
    put('proc/modules', 'usb_storage 1000 0 - Live 0x0\n');
    const r = await audit(['1.1.1.1', '1.1.1.3', '1.1.1.9']);
    expect(byId(r, 'PAL-HOST-MOD-01')).toMatchObject({
      status: 'pass',
      evidence: [{ file: '/etc/modprobe.d/cis.conf', line: 1 }, expect.anything()],
    });
    expect(byId(r, 'PAL-HOST-MOD-03').evidence[0]?.value).toMatch(/blacklisted at \/etc\/modprobe.d\/other.conf:1/);
    expect(byId(r, 'PAL-HOST-MOD-07')).toMatchObject({ status: 'fail', evidence: [{ file: '/proc/modules' }] });
  });
  it('reads mount options; options of a non-separate mount are not applicable', async () => {
    const r = await audit(['1.1.2.1', '1.1.2.3', '1.1.2.5.4']);
    expect(byId(r, 'PAL-HOST-MNT-TMP-NOEXEC')).toMatchObject({ status: 'pass', evidence: [{ line: 2 }] });
    expect(byId(r, 'PAL-HOST-MNT-HOME-NOSUID')).toMatchObject({ status: 'fail', evidence: [{ line: 3 }] });
    expect(byId(r, 'PAL-HOST-MNT-VARTMP-NOEXEC').status).toBe('not-applicable');
  });
});

describe('password policy, services and auditd', () => {
  it('reads login.defs and pwquality with file and line', async () => {
    put('etc/security/pwquality.conf', 'minlen = 8\n');
    put('etc/pam.d/common-password', 'password requisite pam_pwquality.so retry=3\n');
    const r = await audit(['5.4.1.1', '5.4.1.4', '5.3.3.2.2', '5.3.3.1.1']);
    expect(byId(r, 'PAL-HOST-PASS-01')).toMatchObject({
      status: 'pass',
      evidence: [{ file: '/etc/login.defs', line: 2 }],
    });
    expect(byId(r, 'PAL-HOST-PASS-04').status).toBe('pass');
    expect(byId(r, 'PAL-HOST-PASS-08').evidence[0]?.value).toMatch(/pam_faillock.so is not enabled/);
    expect(byId(r, 'PAL-HOST-PASS-06')).toMatchObject({
      status: 'fail',
      evidence: [{ file: '/etc/security/pwquality.conf', line: 1, value: '8' }],
    });
  });
  it('fails a service whose unit is enabled and passes when the package is absent', async () => {
    put(
      'var/lib/dpkg/status',
      'Package: cups\nStatus: install ok installed\nVersion: 2.4\n\nPackage: rsync\nStatus: deinstall ok config-files\nVersion: 3\n',
    );
    mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    symlinkSync(
      '/lib/systemd/system/cups.service',
      path.join(root, 'etc/systemd/system/multi-user.target.wants/cups.service'),
    );
    const r = await audit(['2.1.11', '2.1.13']);
    expect(byId(r, 'PAL-HOST-SVC-11')).toMatchObject({
      status: 'fail',
      evidence: [{ file: '/etc/systemd/system/multi-user.target.wants/cups.service' }],
    });
    expect(byId(r, 'PAL-HOST-SVC-13').status).toBe('pass');
  });
  it('finds CIS audit rules in rules.d and requires -e 2 last', async () => {
    put(
      'etc/audit/rules.d/50-identity.rules',
      '-w /etc/group -p wa -k identity\n-w /etc/passwd -p wa -k identity\n-w /etc/shadow -p wa -k identity\n-w /etc/gshadow -p wa -k identity\n',
    );
    put('etc/audit/rules.d/99-finalize.rules', '-e 2\n');
    const r = await audit(['6.2.3.8', '6.2.3.20', '6.2.3.19']);
    expect(byId(r, 'PAL-HOST-AUDIT-15').status).toBe('pass');
    expect(byId(r, 'PAL-HOST-AUDIT-05')).toMatchObject({
      status: 'pass',
      evidence: [{ file: '/etc/audit/rules.d/99-finalize.rules', line: 1 }],
    });
    expect(byId(r, 'PAL-HOST-AUDIT-22').status).toBe('fail');
  });
});

describe('file system walk checks', () => {
  it('reports world-writable files, sticky-less directories, unowned files and unknown SUID programs', async () => {
    put('srv/open.txt', 'x', 0o666);
    mkdirSync(path.join(root, 'srv/shared'));
    chmodSync(path.join(root, 'srv/shared'), 0o777);
    mkdirSync(path.join(root, 'srv/sticky'));
    chmodSync(path.join(root, 'srv/sticky'), 0o1777);
    put('usr/local/bin/backdoor', '#!/bin/sh\n', 0o4755);
    put('usr/bin/passwd', 'ELF', 0o4755);
    const r = await audit(['7.1.11', '7.1.13']);
    const ww = byId(r, 'PAL-HOST-FS-01').evidence.map((e) => e.file);
    expect(ww).toEqual(expect.arrayContaining(['/srv/open.txt', '/srv/shared']));
    expect(ww).not.toContain('/srv/sticky');
    const suid = byId(r, 'PAL-HOST-FS-03');
    expect(suid.status).toBe('fail');
    expect(suid.evidence.map((e) => e.file)).toEqual(['/usr/local/bin/backdoor']);
  });
  it('gives the same answers with GNU find and with the built-in walk', async () => {
    put('srv/open.txt', 'x', 0o666);
    put('usr/local/bin/backdoor', '#!/bin/sh\n', 0o2755);
    put('srv/orphan', 'x');
    chownSync(path.join(root, 'srv/orphan'), 4242, 4242);
    const viaFind = await new HostRoot(root).walk();
    const viaNode = await new HostRoot(root, { maxWalkEntries: 1_000_000 }).walk();
    expect(viaFind.walker).toBe('find');
    expect(viaNode.walker).toBe('node');
    for (const key of ['worldWritable', 'unowned', 'setid'] as const) {
      const paths = (w: typeof viaFind) => w[key].map((f) => f.path).sort();
      expect(paths(viaFind)).toEqual(paths(viaNode));
    }
    expect(viaFind.unowned.map((f) => f.path)).toEqual(['/srv/orphan']);
  });
});

describe('container detection', () => {
  it('detects /.dockerenv, /run/.containerenv and container cgroups', async () => {
    expect((await new HostRoot(root).container()).container).toBe(false);
    put('proc/1/cgroup', '0::/system.slice/docker-abc.scope\n');
    expect(await new HostRoot(root).container()).toMatchObject({
      container: true,
      evidence: expect.stringMatching(/docker-abc/),
    });
    rmSync(path.join(root, 'proc/1/cgroup'));
    put('run/.containerenv', '');
    expect((await new HostRoot(root).container()).evidence).toMatch(/containerenv/);
  });
  it('marks kernel, mount and boot checks not applicable inside a container', async () => {
    put('.dockerenv', '');
    const r = (await runHostAudit({ root, only: ['1.1.1.1', '1.1.2.1.4', '1.5.1'] })).results;
    expect(byId(r, 'PAL-HOST-MOD-01').status).toBe('not-applicable');
    expect(byId(r, 'PAL-HOST-MNT-TMP-NOEXEC').status).toBe('not-applicable');
    expect(byId(r, 'PAL-HOST-SYSCTL-01').status).toBe('pass');
  });
});

describe('benchmark numbering', () => {
  it('carries Ubuntu 22.04 sections where they differ and selects by either', async () => {
    const byCheck = new Map(HOST_CHECKS.map((c) => [c.id, c.cis]));
    expect(byCheck.get('PAL-HOST-MOD-07')).toEqual({ debian12: '1.1.1.9', ubuntu2204: '1.1.1.8' });
    expect(byCheck.get('PAL-HOST-AUDIT-05')).toEqual({ debian12: '6.2.3.20', ubuntu2204: '6.3.3.20' });
    expect(byCheck.get('PAL-HOST-AIDE-01')).toEqual({ debian12: '6.3.1', ubuntu2204: '6.1.1' });
    expect(selectChecks(HOST_CHECKS, ['6.3.3.20']).map((c) => c.id)).toEqual(['PAL-HOST-AUDIT-05']);
  });
  it('shows Ubuntu numbers in the table when os-release says Ubuntu', async () => {
    put('etc/os-release', 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n');
    const report = await runHostAudit({ root, only: ['PAL-HOST-MOD-07'], container: false });
    expect(report.benchmark).toBe('ubuntu2204');
    const table = renderHostAuditTable(report);
    expect(table).toMatch(/CIS Ubuntu 22\.04/);
    expect(table).toMatch(/PASS\s+1\.1\.1\.8\s+PAL-HOST-MOD-07/);
  });
});

describe('findings', () => {
  it('turns failures into misconfiguration findings with CIS references and file:line', async () => {
    put('proc/sys/kernel/randomize_va_space', '1\n');
    const report = await runHostAudit({ root, only: ['1.5.1', '1.5.2'], container: false });
    const scan = hostAuditScanReport(report);
    const findings = scan.results[0]?.findings ?? [];
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      type: 'misconfiguration',
      ruleId: 'PAL-HOST-SYSCTL-01',
      severity: 'HIGH',
      target: { path: '/proc/sys/kernel/randomize_va_space' },
      frameworks: {
        cis: [expect.stringMatching(/Debian Linux 12 .* 1\.5\.1$/), expect.stringMatching(/Ubuntu .* 1\.5\.1$/)],
      },
    });
    expect(hostAuditScanReport(report, new Set(['LOW'])).results[0]?.findings).toHaveLength(0);
  });
});
