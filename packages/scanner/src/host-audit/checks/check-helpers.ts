// Small builders the check families share: evidence, file permission checks and "package or
// service not in use" checks, so each family file reads as a table of CIS recommendations.

import type { HostRoot } from '../host-root.js';
import { type CheckOutcome, type Evidence, fail, notApplicable, pass } from '../types.js';

export function ev(value: string, file?: string, line?: number): Evidence {
  const e: Evidence = { value };
  if (file) e.file = file;
  if (line !== undefined) e.line = line;
  return e;
}

export const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/** Lists at most `max` items and says how many more there were (evidence stays readable). */
export function capped<T>(items: T[], max: number, show: (t: T) => Evidence): Evidence[] {
  const out = items.slice(0, max).map(show);
  if (items.length > max) out.push(ev(`… and ${items.length - max} more`));
  return out;
}

export interface PermissionRule {
  path: string;
  /** Most permissive mode allowed, e.g. 0o644: any bit outside it fails. */
  maxMode: number;
  /** Allowed group names (the owner must be root). */
  groups?: string[];
  /** A missing file passes (nothing to protect) unless this is set. */
  required?: boolean;
}

export async function checkPermissions(host: HostRoot, rule: PermissionRule): Promise<CheckOutcome> {
  const st = await host.stat(rule.path);
  if (!st) {
    return rule.required ? fail(ev('missing', rule.path)) : notApplicable(ev('file does not exist', rule.path));
  }
  const groups = await host.groups();
  const groupName = groups.find((g) => g.gid === st.gid)?.name ?? String(st.gid);
  const allowedGroups = rule.groups ?? ['root'];
  const problems: string[] = [];
  if ((st.mode & 0o7777 & ~rule.maxMode) !== 0)
    problems.push(`mode ${octal(st.mode)} is more permissive than ${octal(rule.maxMode)}`);
  if (st.uid !== 0) problems.push(`owner uid ${st.uid} is not root`);
  if (!allowedGroups.includes(groupName) && !(st.gid === 0 && allowedGroups.includes('root')))
    problems.push(`group ${groupName} is not ${allowedGroups.join(' or ')}`);
  const value = `mode ${octal(st.mode)} uid ${st.uid} group ${groupName}`;
  return problems.length ? fail(ev(`${value}: ${problems.join('; ')}`, rule.path)) : pass(ev(value, rule.path));
}

/** Passes when none of the packages is installed, or when installed but none of the units is enabled. */
export async function checkNotInUse(host: HostRoot, packages: string[], units: string[]): Promise<CheckOutcome> {
  const installed = await host.packages();
  const enabled = await host.enabledUnits();
  const present = packages.filter((p) => installed.has(p));
  const on = units.filter((u) => enabled.has(u));
  if (on.length > 0) return fail(...on.map((u) => ev(`${u} is enabled`, enabled.get(u))));
  if (present.length === 0) {
    if (!(await host.hasPackageDb())) return notApplicable(ev('no dpkg database', '/var/lib/dpkg/status'));
    return pass(ev(`not installed: ${packages.join(', ')}`, '/var/lib/dpkg/status'));
  }
  return pass(ev(`installed but not enabled: ${present.join(', ')}`, '/var/lib/dpkg/status'));
}

export async function checkNotInstalled(host: HostRoot, packages: string[]): Promise<CheckOutcome> {
  if (!(await host.hasPackageDb())) return notApplicable(ev('no dpkg database', '/var/lib/dpkg/status'));
  const installed = await host.packages();
  const present = packages.filter((p) => installed.has(p));
  return present.length
    ? fail(...present.map((p) => ev(`${p} ${installed.get(p)} is installed`, '/var/lib/dpkg/status')))
    : pass(ev(`not installed: ${packages.join(', ')}`, '/var/lib/dpkg/status'));
}

export async function checkInstalled(host: HostRoot, anyOf: string[]): Promise<CheckOutcome> {
  if (!(await host.hasPackageDb())) return notApplicable(ev('no dpkg database', '/var/lib/dpkg/status'));
  const installed = await host.packages();
  const found = anyOf.find((p) => installed.has(p));
  return found
    ? pass(ev(`${found} ${installed.get(found)} is installed`, '/var/lib/dpkg/status'))
    : fail(ev(`none installed: ${anyOf.join(', ')}`, '/var/lib/dpkg/status'));
}

/** Lines of the files in a directory plus an optional main file, with their file and line numbers. */
export async function configLines(
  host: HostRoot,
  files: string[],
  dirs: { dir: string; suffix?: string }[] = [],
): Promise<{ text: string; file: string; line: number }[]> {
  const all = [...files];
  for (const d of dirs) all.push(...(await host.listFiles(d.dir, (n) => !d.suffix || n.endsWith(d.suffix))));
  const out: { text: string; file: string; line: number }[] = [];
  for (const file of all) {
    const text = await host.readText(file);
    if (text === undefined) continue;
    text.split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (t && !t.startsWith('#')) out.push({ text: t, file, line: i + 1 });
    });
  }
  return out;
}
