// OS identity from os-release (`etc/os-release`, `usr/lib/os-release`): the ID → family table for
// every distro Palisade knows, and Google distroless, recognised by PRETTY_NAME "Distroless".

import { InputError, type OsFamily, type OsInfo } from '@palisade/core';
import type { Analyzer } from '../types.js';

const OS_RELEASE_PATHS = new Set(['etc/os-release', 'usr/lib/os-release']);

/** os-release ID → family. IDs not listed give family "unknown". */
export const OS_RELEASE_IDS: ReadonlyMap<string, OsFamily> = new Map<string, OsFamily>([
  ['debian', 'debian'],
  ['ubuntu', 'ubuntu'],
  ['alpine', 'alpine'],
  ['wolfi', 'wolfi'],
  ['chainguard', 'chainguard'],
  ['rhel', 'redhat'],
  ['centos', 'centos'],
  ['rocky', 'rocky'],
  ['almalinux', 'alma'],
  ['fedora', 'fedora'],
  ['ol', 'oracle'],
  ['amzn', 'amazon'],
  ['opensuse', 'opensuse'],
  ['opensuse-leap', 'opensuse'],
  ['opensuse-tumbleweed', 'opensuse'],
  ['opensuse-microos', 'opensuse'],
  ['sles', 'sles'],
  ['sles_sap', 'sles'],
  ['sled', 'sles'],
  ['sle-micro', 'sles'],
  ['sl-micro', 'sles'],
  ['photon', 'photon'],
]);

/** Parses os-release's shell-like KEY=value lines (quotes and backslash escapes per os-release(5)). */
export function parseOsRelease(text: string, filePath: string): Map<string, string> {
  const fields = new Map<string, string>();
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) continue;
    const eq = s.indexOf('=');
    if (eq <= 0) throw new InputError(`${filePath}:${line}: expected KEY=value, got "${s.slice(0, 60)}"`);
    fields.set(s.slice(0, eq), unquote(s.slice(eq + 1)));
  }
  return fields;
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\([\\"$`])/g, '$1') : inner;
  }
  return v;
}

export function osInfoFromOsRelease(fields: Map<string, string>): OsInfo | undefined {
  const id = fields.get('ID')?.toLowerCase();
  if (!id) return undefined;
  const info: OsInfo = { family: OS_RELEASE_IDS.get(id) ?? 'unknown', version: fields.get('VERSION_ID') ?? '' };
  const pretty = fields.get('PRETTY_NAME') ?? fields.get('NAME');
  if (pretty) info.name = pretty;
  const codename = fields.get('VERSION_CODENAME') ?? fields.get('UBUNTU_CODENAME');
  if (codename) info.codename = codename;
  // Distroless keeps Debian's ID (its packages are Debian's) and says so only in PRETTY_NAME.
  if (fields.get('PRETTY_NAME')?.startsWith('Distroless')) info.distroless = true;
  return info;
}

export const osReleaseAnalyzer: Analyzer = {
  name: 'os-release',
  category: 'os',
  required: (path) => OS_RELEASE_PATHS.has(path),
  async analyze(input) {
    const os = osInfoFromOsRelease(parseOsRelease(input.content.toString('utf8'), input.path));
    return os ? { os } : undefined;
  },
};
