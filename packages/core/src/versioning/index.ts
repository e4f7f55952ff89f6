// Registry of version schemes by OSV ecosystem. A new ecosystem is one file plus one line here.

import { InputError } from '../errors.js';
import { apkScheme } from './alpine.js';
import { cranScheme } from './cran.js';
import { debianScheme } from './debian.js';
import { goScheme } from './go.js';
import { hackageScheme } from './hackage.js';
import { mavenScheme } from './maven.js';
import { npmScheme } from './npm.js';
import { nugetScheme } from './nuget.js';
import { packagistScheme } from './packagist.js';
import { pep440Scheme } from './pep440.js';
import { pubScheme } from './pub.js';
import { rpmScheme } from './rpm.js';
import { rubygemsScheme } from './rubygems.js';
import { semverScheme } from './semver.js';
import type { VersionScheme } from './types.js';

export { semverScheme } from './semver.js';
export type { VersionScheme } from './types.js';

const schemes: VersionScheme[] = [
  semverScheme,
  goScheme,
  npmScheme,
  rpmScheme,
  debianScheme,
  apkScheme,
  pep440Scheme,
  mavenScheme,
  rubygemsScheme,
  packagistScheme,
  nugetScheme,
  pubScheme,
  cranScheme,
  hackageScheme,
];

const byEcosystem = new Map<string, VersionScheme>();
for (const s of schemes) for (const e of s.ecosystems) byEcosystem.set(e, s);

/** The scheme for an OSV ecosystem; "Debian:12" and "Debian" resolve alike. */
export function versionSchemeFor(ecosystem: string): VersionScheme | undefined {
  return byEcosystem.get(ecosystem) ?? byEcosystem.get(ecosystem.split(':')[0] ?? '');
}

/** True when versions of this OSV ecosystem (with or without ":release") can be ordered. */
export function isVersionSupported(ecosystem: string): boolean {
  return versionSchemeFor(ecosystem) !== undefined;
}

/** Every OSV ecosystem name with a version scheme, for listings and docs. */
export function supportedEcosystems(): string[] {
  return [...byEcosystem.keys()].sort();
}

/** Orders two versions of one ecosystem; in hot loops, look the scheme up once instead. */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  const s = versionSchemeFor(ecosystem);
  if (!s) throw new InputError(`no version scheme for ecosystem "${ecosystem}"`);
  return s.compare(a, b);
}
