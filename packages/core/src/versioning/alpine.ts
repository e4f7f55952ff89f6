// Alpine apk versions (also Wolfi, Chainguard and other apk-based distributions):
// number{.number}[letter]{_suffix[number]}[~hash][-rN], with apk's suffix order.

import { compareDigits, compareStrings, isDigitCode } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

// Suffix names in apk's sort order; "no suffix" sits between the pre- and post-release ones.
const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
const NO_SUFFIX_WEIGHT = PRE_SUFFIXES.length;

interface ApkSuffix {
  weight: number;
  number: string;
}

interface ApkVersion {
  numbers: string[];
  letter: string;
  suffixes: ApkSuffix[];
  build: string;
  /** Text left over after "-r…" (or after an unparseable part); its presence sorts lower. */
  remainder: string;
  /** Something other than "-rN" followed the recognised parts. */
  invalid: boolean;
}

function readDigits(s: string, i: number): number {
  while (i < s.length && isDigitCode(s.charCodeAt(i))) i++;
  return i;
}

function suffixAt(s: string, i: number): { weight: number; end: number } | undefined {
  for (let k = 0; k < PRE_SUFFIXES.length; k++) {
    const name = PRE_SUFFIXES[k] as string;
    if (s.startsWith(name, i)) return { weight: k, end: i + name.length };
  }
  for (let k = 0; k < POST_SUFFIXES.length; k++) {
    const name = POST_SUFFIXES[k] as string;
    if (s.startsWith(name, i)) return { weight: NO_SUFFIX_WEIGHT + 1 + k, end: i + name.length };
  }
  return undefined;
}

function isHexCode(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 102);
}

export function parseApkVersion(s: string): ApkVersion {
  const v: ApkVersion = { numbers: [], letter: '', suffixes: [], build: '0', remainder: '', invalid: false };
  let i = 0;
  if (isDigitCode(s.charCodeAt(0))) {
    let end = readDigits(s, 0);
    v.numbers.push(s.slice(0, end));
    i = end;
    while (s[i] === '.' && isDigitCode(s.charCodeAt(i + 1))) {
      end = readDigits(s, i + 1);
      v.numbers.push(s.slice(i + 1, end));
      i = end;
    }
  }
  const c = s.charCodeAt(i);
  if (c >= 97 && c <= 122) {
    v.letter = s[i] as string;
    i++;
  }
  while (s[i] === '_') {
    const suffix = suffixAt(s, i + 1);
    if (!suffix) break;
    const end = readDigits(s, suffix.end);
    v.suffixes.push({ weight: suffix.weight, number: end > suffix.end ? s.slice(suffix.end, end) : '0' });
    i = end;
  }
  if (s[i] === '~' && isHexCode(s.charCodeAt(i + 1))) {
    i++;
    while (i < s.length && isHexCode(s.charCodeAt(i))) i++;
  }
  if (i < s.length) {
    if (s.startsWith('-r', i)) {
      const end = readDigits(s, i + 2);
      if (end > i + 2) v.build = s.slice(i + 2, end);
      i = end;
    } else v.invalid = true;
  }
  v.remainder = s.slice(i);
  return v;
}

function compareNumber(a: string | undefined, b: string | undefined, index: number): number {
  // apk reads later components with a leading zero as fractions: compare them as text.
  if (index > 0 && a !== undefined && b !== undefined && (a[0] === '0' || b[0] === '0')) return compareStrings(a, b);
  return compareDigits(a ?? '0', b ?? '0');
}

const parse = cachedParser(parseApkVersion);

export function compareApk(a: string, b: string): number {
  if (a === b) return 0;
  const x = parse(a);
  const y = parse(b);
  if (x.invalid && y.invalid) return compareStrings(a, b);
  const n = Math.max(x.numbers.length, y.numbers.length);
  for (let k = 0; k < n; k++) {
    const c = compareNumber(x.numbers[k], y.numbers[k], k);
    if (c !== 0) return c;
  }
  if (x.letter !== y.letter) {
    if (x.letter === '') return -1;
    if (y.letter === '') return 1;
    return compareStrings(x.letter, y.letter);
  }
  const m = Math.max(x.suffixes.length, y.suffixes.length);
  for (let k = 0; k < m; k++) {
    const sx = x.suffixes[k];
    const sy = y.suffixes[k];
    const wx = sx?.weight ?? NO_SUFFIX_WEIGHT;
    const wy = sy?.weight ?? NO_SUFFIX_WEIGHT;
    if (wx !== wy) return wx < wy ? -1 : 1;
    const c = compareDigits(sx?.number ?? '0', sy?.number ?? '0');
    if (c !== 0) return c;
  }
  const c = compareDigits(x.build, y.build);
  if (c !== 0) return c;
  if ((x.remainder === '') !== (y.remainder === '')) return x.remainder === '' ? 1 : -1;
  return 0;
}

const VALID_APK = /^\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*(?:~[0-9a-f]+)?(?:-r\d+)?$/;

export const apkScheme: VersionScheme = {
  ecosystems: ['Alpine', 'Wolfi', 'Chainguard', 'MinimOS', 'Alpaquita', 'BellSoft Hardened Containers'],
  compare: compareApk,
  isValid: (v) => VALID_APK.test(v),
};
