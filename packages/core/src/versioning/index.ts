// Registry of version schemes by OSV ecosystem. A new ecosystem is one file plus one line here.

import type { VersionScheme } from './types.js';

export type { VersionScheme } from './types.js';

const schemes: VersionScheme[] = [];

const byEcosystem = new Map<string, VersionScheme>();
for (const s of schemes) for (const e of s.ecosystems) byEcosystem.set(e, s);

/** The scheme for an OSV ecosystem; "Debian:12" and "Debian" resolve alike. */
export function versionSchemeFor(ecosystem: string): VersionScheme | undefined {
  return byEcosystem.get(ecosystem) ?? byEcosystem.get(ecosystem.split(':')[0] ?? '');
}

export function compareVersions(ecosystem: string, a: string, b: string): number {
  const s = versionSchemeFor(ecosystem);
  if (!s) throw new Error(`no version scheme for ecosystem "${ecosystem}"`);
  return s.compare(a, b);
}
