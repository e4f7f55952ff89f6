// OSV's affected-version evaluation (schema "Evaluation"): per range, events sorted by version,
// introduced/fixed/last_affected toggling, limits bounding; plus the explicit `versions` list.

import type { VersionScheme } from '@palisade/core';
import type { OsvAffected, OsvEvent } from '../../vulndb/osv-record.js';

type EventKind = 'introduced' | 'fixed' | 'last_affected';

interface SortedEvent {
  kind: EventKind;
  version: string;
}

interface CompiledRange {
  events: SortedEvent[];
  limits: string[];
}

export interface CompiledAffected {
  ranges: CompiledRange[];
  versions: readonly string[];
}

export interface AffectedVerdict {
  /** For each range that makes the version vulnerable, the first fix above it (undefined: no fix). */
  fixes: (string | undefined)[];
  /** True when the version is affected (by a range or listed explicitly). */
  affected: boolean;
}

function safeCompare(scheme: VersionScheme, a: string, b: string): number {
  try {
    return scheme.compare(a, b);
  } catch {
    return 0;
  }
}

function eventOf(e: OsvEvent): { kind: EventKind | 'limit'; version: string } | undefined {
  if (e.introduced !== undefined) return { kind: 'introduced', version: e.introduced };
  if (e.fixed !== undefined) return { kind: 'fixed', version: e.fixed };
  if (e.last_affected !== undefined) return { kind: 'last_affected', version: e.last_affected };
  if (e.limit !== undefined) return { kind: 'limit', version: e.limit };
  return undefined;
}

/** Sorts each SEMVER/ECOSYSTEM range once (GIT ranges name commits, which installed packages lack). */
export function compileAffected(affected: OsvAffected, scheme: VersionScheme): CompiledAffected {
  const ranges: CompiledRange[] = [];
  for (const range of affected.ranges ?? []) {
    if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
    const events: SortedEvent[] = [];
    const limits: string[] = [];
    for (const raw of range.events) {
      const e = eventOf(raw);
      if (!e) continue;
      if (e.kind === 'limit') limits.push(e.version);
      else events.push({ kind: e.kind, version: e.version });
    }
    // "0" is below every version; Array#sort is stable, so equal versions keep the record's order.
    events.sort((a, b) => {
      const a0 = a.kind === 'introduced' && a.version === '0';
      const b0 = b.kind === 'introduced' && b.version === '0';
      if (a0 || b0) return a0 === b0 ? 0 : a0 ? -1 : 1;
      return safeCompare(scheme, a.version, b.version);
    });
    ranges.push({ events, limits });
  }
  return { ranges, versions: affected.versions ?? [] };
}

const NOT_AFFECTED: AffectedVerdict = Object.freeze({
  affected: false,
  fixes: Object.freeze([]) as unknown as string[],
});

/** Evaluates an installed version (valid in the scheme; the caller checks) against one compiled affected entry. */
export function evaluateAffected(compiled: CompiledAffected, scheme: VersionScheme, version: string): AffectedVerdict {
  // Plain loops and a shared "no" answer: this runs for every (package, candidate entry) pair.
  let fixes: (string | undefined)[] | undefined;
  for (const range of compiled.ranges) {
    if (range.limits.length > 0 && !range.limits.some((l) => l === '*' || safeCompare(scheme, version, l) < 0)) {
      continue;
    }
    const events = range.events;
    let vulnerable = false;
    let position = -1;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as SortedEvent;
      if (e.kind === 'introduced') {
        if (e.version === '0' || safeCompare(scheme, version, e.version) >= 0) {
          vulnerable = true;
          position = i;
        }
      } else if (e.kind === 'fixed') {
        if (safeCompare(scheme, version, e.version) >= 0) vulnerable = false;
      } else if (safeCompare(scheme, version, e.version) > 0) {
        vulnerable = false;
      }
    }
    if (!vulnerable) continue;
    // The fix for this branch is the first `fixed` event above the installed version.
    let fix: string | undefined;
    for (let i = position + 1; i < events.length; i++) {
      const e = events[i] as SortedEvent;
      if (e.kind === 'fixed' && safeCompare(scheme, version, e.version) < 0) {
        fix = e.version;
        break;
      }
    }
    fixes ??= [];
    fixes.push(fix);
  }
  if (fixes) return { affected: true, fixes };
  if (
    compiled.versions.length > 0 &&
    compiled.versions.some((v) => v === version || (scheme.isValid(v) && safeCompare(scheme, v, version) === 0))
  ) {
    return { affected: true, fixes: [] };
  }
  return NOT_AFFECTED;
}
