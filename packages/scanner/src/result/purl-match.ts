// Purl matching for ignore rules and VEX statements: a pattern purl matches a package purl when
// type, namespace and name agree, and its version and qualifiers (only those it states) agree too.

import { type PurlParts, parsePurl } from '@palisade/core';

const cache = new Map<string, PurlParts | null>();

function parsed(purl: string): PurlParts | null {
  let p = cache.get(purl);
  if (p === undefined) {
    try {
      p = parsePurl(purl);
    } catch {
      p = null;
    }
    // Bounded so a long-running agent does not grow it without limit.
    if (cache.size > 50_000) cache.clear();
    cache.set(purl, p);
  }
  return p;
}

export function isValidPurl(purl: string): boolean {
  return parsed(purl) !== null;
}

export function purlMatches(pattern: string, actual: string): boolean {
  if (pattern === actual) return true;
  const a = parsed(pattern);
  const b = parsed(actual);
  if (!a || !b) return false;
  if (a.type.toLowerCase() !== b.type.toLowerCase()) return false;
  if ((a.namespace ?? '') !== (b.namespace ?? '') || a.name !== b.name) return false;
  if (a.version !== undefined && a.version !== b.version) return false;
  if (a.subpath !== undefined && a.subpath !== b.subpath) return false;
  for (const [k, v] of Object.entries(a.qualifiers ?? {})) if (b.qualifiers?.[k] !== v) return false;
  return true;
}
