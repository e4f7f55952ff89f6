// Package URLs of OS packages (deb, rpm, apk), per the purl spec as Trivy writes them: the epoch
// moves from the version into an `epoch` qualifier, the distro goes into `distro`.

import { errorMessage, formatPurl, InputError } from '@palisade/core';

export type OsPurlType = 'deb' | 'rpm' | 'apk';

export interface OsPurlInput {
  name: string;
  /** "[epoch:]rest" as the package database prints it. */
  version: string;
  arch?: string;
}

export function osPackagePurl(
  type: OsPurlType,
  namespace: string | undefined,
  pkg: OsPurlInput,
  distro: string | undefined,
): string {
  const qualifiers: Record<string, string> = {};
  if (pkg.arch) qualifiers.arch = pkg.arch;
  let version = pkg.version;
  if (type !== 'apk') {
    const { epoch, rest } = splitEpoch(pkg.version);
    version = rest;
    if (epoch) qualifiers.epoch = epoch;
  }
  if (distro) qualifiers.distro = distro;
  try {
    return formatPurl({ type, namespace, name: pkg.name, version, qualifiers });
  } catch (err) {
    // packageurl-js rejects blank names and the like: that is bad input, not a crash.
    throw new InputError(`package "${pkg.name}" ${pkg.version} has no valid purl: ${errorMessage(err)}`);
  }
}

/** "2:1.0-1" → epoch "2", rest "1.0-1"; an epoch of 0 is dropped as dpkg and rpm print it. */
export function splitEpoch(version: string): { epoch?: string; rest: string } {
  const colon = version.indexOf(':');
  if (colon <= 0) return { rest: version };
  const epoch = version.slice(0, colon);
  for (let i = 0; i < epoch.length; i++) {
    const c = epoch.charCodeAt(i);
    if (c < 48 || c > 57) return { rest: version };
  }
  const rest = version.slice(colon + 1);
  return Number(epoch) > 0 ? { epoch: String(Number(epoch)), rest } : { rest };
}
