// Packagist (Composer) versions, ordered like PHP's version_compare after Composer's trimming of
// a leading "v": dev < alpha < beta < RC < numbers < patch-level ("pl"/"p").

import { compareDigits, isDigitCode } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

// version_compare's special forms, matched by prefix in this order.
const SPECIAL_FORMS: ReadonlyArray<readonly [string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];
const NUMBER_FORM = '#';

function specialFormRank(form: string): number {
  for (const [prefix, rank] of SPECIAL_FORMS) if (form.startsWith(prefix)) return rank;
  return -1;
}

function isNumber(part: string): boolean {
  return part.length > 0 && isDigitCode(part.charCodeAt(0));
}

/** PHP's canonical form: "-", "_", "+" become ".", and digit/non-digit boundaries get a ".". */
export function canonicalizePhpVersion(input: string): string[] {
  let v = input.trim();
  if (v[0] === 'v' || v[0] === 'V') v = v.slice(1);
  let out = '';
  let prev = -1;
  for (let i = 0; i < v.length; i++) {
    let c = v.charCodeAt(i);
    if (c === 45 || c === 95 || c === 43) c = 46;
    if (c !== 46 && prev !== -1 && prev !== 46 && isDigitCode(c) !== isDigitCode(prev)) out += '.';
    out += String.fromCharCode(c);
    prev = c;
  }
  return out.split('.');
}

function comparePart(a: string, b: string): number {
  const an = isNumber(a);
  const bn = isNumber(b);
  if (an && bn) return compareDigits(a, b);
  const ra = specialFormRank(an ? NUMBER_FORM : a);
  const rb = specialFormRank(bn ? NUMBER_FORM : b);
  return ra === rb ? 0 : ra < rb ? -1 : 1;
}

function compareParts(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const c = comparePart(a[k] as string, b[k] as string);
    if (c !== 0) return c;
  }
  // The longer one wins if it goes on with a number; otherwise its tail is weighed part by part
  // against a number's rank, as version_compare does with its "#N#" stand-in.
  for (let k = n; k < a.length; k++) {
    if (isNumber(a[k] as string)) return 1;
    const c = comparePart(a[k] as string, NUMBER_FORM);
    if (c !== 0) return c;
  }
  for (let k = n; k < b.length; k++) {
    if (isNumber(b[k] as string)) return -1;
    const c = comparePart(NUMBER_FORM, b[k] as string);
    if (c !== 0) return c;
  }
  return 0;
}

const parse = cachedParser(canonicalizePhpVersion);

export function comparePackagist(a: string, b: string): number {
  if (a === b) return 0;
  return compareParts(parse(a), parse(b));
}

export const packagistScheme: VersionScheme = {
  ecosystems: ['Packagist'],
  compare: comparePackagist,
  isValid: (v) => /^\s*[vV]?\d/.test(v) || /^\s*dev-/.test(v),
};
