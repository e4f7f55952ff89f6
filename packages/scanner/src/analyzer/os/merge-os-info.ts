// Combines the OS identities several files report (os-release, debian_version, *-release …) into
// one, whatever order the walker meets them in: derivatives beat their base, precise versions win.

import type { OsFamily, OsInfo } from '@palisade/core';

/** A derivative ships its base's release file too (Ubuntu has etc/debian_version, Rocky etc/redhat-release). */
const BASE_OF: Partial<Record<OsFamily, OsFamily>> = {
  ubuntu: 'debian',
  wolfi: 'alpine',
  chainguard: 'alpine',
  centos: 'redhat',
  rocky: 'redhat',
  alma: 'redhat',
  oracle: 'redhat',
  fedora: 'redhat',
  amazon: 'redhat',
};

export function mergeOsInfo(current: OsInfo | undefined, next: OsInfo): OsInfo {
  if (!current || current.family === 'unknown') return next;
  if (next.family === 'unknown') return current;
  if (current.family !== next.family) {
    if (BASE_OF[next.family] === current.family) return withDistroless(next, current);
    return current;
  }
  const merged: OsInfo = { ...current, version: morePrecise(current.version, next.version) };
  if (!merged.name && next.name) merged.name = next.name;
  if (!merged.codename && next.codename) merged.codename = next.codename;
  return withDistroless(merged, next);
}

function withDistroless(a: OsInfo, b: OsInfo): OsInfo {
  return a.distroless || !b.distroless ? a : { ...a, distroless: true };
}

/** "12" vs "12.5" → "12.5"; an empty version yields to any; unrelated versions keep the first. */
function morePrecise(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return b.startsWith(`${a}.`) ? b : a;
}
