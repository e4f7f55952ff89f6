// CIS 1.1.1 and 3.2: kernel modules for rarely used file systems and network protocols must not be
// loadable (modprobe.d "install NAME /bin/false" or "blacklist NAME") and must not be loaded now.

import type { HostRoot } from '../host-root.js';
import { normalizeModuleName } from '../parsers/modprobe-config.js';
import { type CheckOutcome, fail, type HostCheck, pass } from '../types.js';
import { ev } from './check-helpers.js';

const MODULES: { module: string; cis: string; ubuntu?: string; kind: 'filesystem' | 'protocol'; n: number }[] = [
  { module: 'cramfs', cis: '1.1.1.1', kind: 'filesystem', n: 1 },
  { module: 'freevxfs', cis: '1.1.1.2', kind: 'filesystem', n: 2 },
  { module: 'hfs', cis: '1.1.1.3', kind: 'filesystem', n: 3 },
  { module: 'hfsplus', cis: '1.1.1.4', kind: 'filesystem', n: 4 },
  { module: 'jffs2', cis: '1.1.1.5', kind: 'filesystem', n: 5 },
  { module: 'udf', cis: '1.1.1.8', ubuntu: '1.1.1.7', kind: 'filesystem', n: 6 },
  { module: 'usb-storage', cis: '1.1.1.9', ubuntu: '1.1.1.8', kind: 'filesystem', n: 7 },
  { module: 'dccp', cis: '3.2.1', kind: 'protocol', n: 8 },
  { module: 'tipc', cis: '3.2.2', kind: 'protocol', n: 9 },
  { module: 'rds', cis: '3.2.3', kind: 'protocol', n: 10 },
  { module: 'sctp', cis: '3.2.4', kind: 'protocol', n: 11 },
];

/** Commands that make `modprobe NAME` fail instead of loading the module. */
const REFUSING = /^(\/usr)?\/bin\/(false|true)$/;

export async function checkModuleDisabled(host: HostRoot, module: string): Promise<CheckOutcome> {
  const name = normalizeModuleName(module);
  const loaded = await host.loadedModules();
  const directives = (await host.modprobeDirectives()).filter((d) => d.module === name);
  const refused = directives.find((d) => d.kind === 'install' && REFUSING.test(d.command ?? ''));
  const blacklisted = directives.find((d) => d.kind === 'blacklist');
  if (loaded?.has(name)) return fail(ev(`${module} is loaded`, '/proc/modules'));
  if (!refused) {
    const bl = blacklisted
      ? ` (blacklisted at ${blacklisted.file}:${blacklisted.line}, but still loadable by name)`
      : '';
    return fail(ev(`no "install ${module} /bin/false" in modprobe.d${bl}`, '/etc/modprobe.d'));
  }
  return pass(
    ev(`install ${module} ${refused.command}`, refused.file, refused.line),
    ev(loaded ? `${module} not loaded` : 'loaded modules not visible', '/proc/modules'),
  );
}

export const kernelModuleChecks: HostCheck[] = MODULES.map((m) => ({
  id: `PAL-HOST-MOD-${String(m.n).padStart(2, '0')}`,
  family: 'kernel-modules',
  cis: m.ubuntu ? { debian12: m.cis, ubuntu2204: m.ubuntu } : { debian12: m.cis },
  title: `Ensure ${m.module} kernel module is not available`,
  severity: m.kind === 'protocol' ? 'MEDIUM' : 'LOW',
  rationale:
    m.kind === 'filesystem'
      ? `Support for the ${m.module} ${m.module === 'usb-storage' ? 'USB mass storage driver' : 'file system'} is rarely needed; every loadable driver adds kernel attack surface reachable by mounting crafted media.`
      : `The ${m.module.toUpperCase()} protocol is rarely used and its kernel code has had remotely reachable vulnerabilities.`,
  remediation: `Add "install ${m.module} /bin/false" and "blacklist ${m.module}" to a file in /etc/modprobe.d/ and run "modprobe -r ${m.module}".`,
  hostOnly: true,
  run: (host) => checkModuleDisabled(host, m.module),
}));
