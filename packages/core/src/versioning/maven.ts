// Maven versions with ComparableVersion's semantics: "."/"-" and digit/letter boundaries split
// items, "-" opens a sub-list, known qualifiers (alpha…sp) order before unknown ones.

import { compareDigits, compareStrings, isDigitCode } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

type Item = { kind: 'int'; value: string } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_RANK = String(QUALIFIERS.indexOf(''));

/** The sortable key of a qualifier: its index if known, else "7-name" (after all known ones). */
function qualifierRank(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function stringItem(text: string, followedByDigit: boolean): Item {
  let q = text;
  if (followedByDigit && q.length === 1) {
    // "1a1" means alpha-1, "1b2" beta-2, "1m3" milestone-3.
    if (q === 'a') q = 'alpha';
    else if (q === 'b') q = 'beta';
    else if (q === 'm') q = 'milestone';
  }
  q = ALIASES[q] ?? q;
  return { kind: 'str', value: qualifierRank(q) };
}

function numberItem(digits: string): Item {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return { kind: 'int', value: digits.slice(i) };
}

function isNullItem(item: Item): boolean {
  if (item.kind === 'int') return item.value === '0';
  if (item.kind === 'str') return item.value === RELEASE_RANK;
  return item.items.length === 0;
}

/**
 * Drops trailing "null" items (0, "", ga, empty lists) up to the last non-list item, and reads a
 * release qualifier that opens a sub-list as absent ("1-ga-1" is "1-1", as Maven 3.9 has it).
 */
function normalize(list: Item[]): void {
  for (let i = list.length - 2; i >= 0; i--) {
    const item = list[i] as Item;
    const next = list[i + 1];
    if (item.kind === 'str' && item.value === RELEASE_RANK && next?.kind === 'list') list.splice(i, 2, ...next.items);
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i] as Item;
    if (isNullItem(item)) list.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

// Each "-" nests one level deeper and comparison recurses per level, so absurdly long strings
// are cut here rather than risk the stack; real versions are far shorter.
const MAX_VERSION_LENGTH = 1024;

export function parseMavenVersion(input: string): Item {
  const version = input.trim().slice(0, MAX_VERSION_LENGTH).toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const openSubList = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    list = sub;
    stack.push(sub);
  };
  const item = (text: string, digit: boolean): Item => (digit ? numberItem(text) : stringItem(text, false));
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? { kind: 'int', value: '0' } : item(version.slice(start, i), isDigit));
      start = i + 1;
      if (c === 45) openSubList();
    } else if (isDigitCode(c)) {
      if (!isDigit && i > start) {
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        openSubList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(numberItem(version.slice(start, i)));
        start = i;
        openSubList();
      }
      isDigit = false;
    }
  }
  if (version.length > start) list.push(item(version.slice(start), isDigit));
  for (let k = stack.length - 1; k >= 0; k--) normalize(stack[k] as Item[]);
  return { kind: 'list', items: root };
}

/** Compares an item with "nothing", as when one list runs out before the other. */
function compareWithNothing(a: Item): number {
  if (a.kind === 'int') return a.value === '0' ? 0 : 1;
  if (a.kind === 'str') return compareStrings(a.value, RELEASE_RANK);
  const first = a.items[0];
  return first === undefined ? 0 : compareWithNothing(first);
}

function compareItems(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -compareWithNothing(b);
  if (b === undefined) return compareWithNothing(a);
  if (a.kind === 'int') return b.kind === 'int' ? compareDigits(a.value, b.value) : 1;
  if (a.kind === 'str') {
    // A qualifier sorts below both a number and a sub-list.
    return b.kind === 'str' ? compareStrings(a.value, b.value) : -1;
  }
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  const n = Math.max(a.items.length, b.items.length);
  for (let k = 0; k < n; k++) {
    const c = compareItems(a.items[k], b.items[k]);
    if (c !== 0) return c;
  }
  return 0;
}

const parse = cachedParser(parseMavenVersion);

export function compareMaven(a: string, b: string): number {
  if (a === b) return 0;
  return compareItems(parse(a), parse(b));
}

export const mavenScheme: VersionScheme = {
  ecosystems: ['Maven'],
  compare: compareMaven,
  // ComparableVersion orders any string; only blank ones say nothing.
  isValid: (v) => v.trim().length > 0,
};
