// OS identity from the older per-distro release files, used where os-release is missing or too
// coarse: Debian's point release, Alpine's, the RHEL family's *-release and Ubuntu's lsb-release.

import type { OsFamily, OsInfo } from '@palisade/core';
import type { Analyzer } from '../types.js';

/** `etc/debian_version`: "12.5", or "trixie/sid" on testing. */
export function parseDebianVersion(text: string): OsInfo | undefined {
  const version = firstLine(text);
  return version ? { family: 'debian', version } : undefined;
}

/** `etc/alpine-release`: "3.19.1". */
export function parseAlpineRelease(text: string): OsInfo | undefined {
  const version = firstLine(text);
  return version ? { family: 'alpine', version } : undefined;
}

// Checked in order: the first name prefix that matches decides the family.
const RHEL_NAMES: [string, OsFamily][] = [
  ['red hat enterprise linux', 'redhat'],
  ['centos', 'centos'],
  ['rocky linux', 'rocky'],
  ['almalinux', 'alma'],
  ['fedora', 'fedora'],
  ['oracle linux', 'oracle'],
];

/** `etc/redhat-release` and its siblings: "Rocky Linux release 9.3 (Blue Onyx)". */
export function parseRedhatRelease(text: string): OsInfo | undefined {
  const line = firstLine(text);
  const at = line.indexOf(' release ');
  if (at < 0) return undefined;
  const name = line.slice(0, at);
  const lower = name.toLowerCase();
  const family = RHEL_NAMES.find(([prefix]) => lower.startsWith(prefix))?.[1];
  if (!family) return undefined;
  const rest = line.slice(at + ' release '.length).trim();
  const space = rest.indexOf(' ');
  const version = space < 0 ? rest : rest.slice(0, space);
  const info: OsInfo = { family, version, name: line };
  const open = rest.indexOf('(');
  const close = rest.lastIndexOf(')');
  if (open >= 0 && close > open) info.codename = rest.slice(open + 1, close);
  return info;
}

/** `etc/lsb-release` (DISTRIB_ID=Ubuntu …); only Ubuntu is trusted from it. */
export function parseLsbRelease(text: string): OsInfo | undefined {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const eq = raw.indexOf('=');
    if (eq > 0)
      fields.set(
        raw.slice(0, eq).trim(),
        raw
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
  }
  if (fields.get('DISTRIB_ID')?.toLowerCase() !== 'ubuntu') return undefined;
  const version = fields.get('DISTRIB_RELEASE');
  if (!version) return undefined;
  const info: OsInfo = { family: 'ubuntu', version };
  const name = fields.get('DISTRIB_DESCRIPTION');
  if (name) info.name = name;
  const codename = fields.get('DISTRIB_CODENAME');
  if (codename) info.codename = codename;
  return info;
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

function releaseFileAnalyzer(name: string, paths: string[], parse: (text: string) => OsInfo | undefined): Analyzer {
  const wanted = new Set(paths);
  return {
    name,
    category: 'os',
    // These files are one line; anything large is not one of them.
    required: (path, info) => wanted.has(path) && info.size < 4096,
    async analyze(input) {
      const os = parse(input.content.toString('utf8'));
      return os ? { os } : undefined;
    },
  };
}

export const debianVersionAnalyzer = releaseFileAnalyzer('debian-version', ['etc/debian_version'], parseDebianVersion);
export const alpineReleaseAnalyzer = releaseFileAnalyzer('alpine-release', ['etc/alpine-release'], parseAlpineRelease);
export const redhatReleaseAnalyzer = releaseFileAnalyzer(
  'redhat-release',
  [
    'etc/redhat-release',
    'etc/centos-release',
    'etc/rocky-release',
    'etc/almalinux-release',
    'etc/fedora-release',
    'etc/oracle-release',
  ],
  parseRedhatRelease,
);
export const lsbReleaseAnalyzer = releaseFileAnalyzer('lsb-release', ['etc/lsb-release'], parseLsbRelease);
