// PyPI versions per PEP 440 (epochs, pre/post/dev releases, local versions, normalised spellings),
// with pre-PEP 440 "legacy" strings ordered below every valid version as setuptools once did.

import { compareDigits, compareStrings, isAllDigits } from './compare-primitives.js';
import { cachedParser } from './parse-cache.js';
import type { VersionScheme } from './types.js';

// PEP 440 appendix B's pattern, anchored, with the spellings it normalises.
const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

// Pre-release kinds in order; "no pre-release" ranks above them all, a bare dev release below.
const PRE_RANK: Record<string, number> = { a: 1, alpha: 1, b: 2, beta: 2, c: 3, rc: 3, pre: 3, preview: 3 };
const DEV_ONLY_RANK = 0;
const NO_PRE_RANK = 4;

interface Pep440Version {
  kind: 'pep440';
  epoch: string;
  release: string[];
  preRank: number;
  pre: string;
  post: string | undefined;
  dev: string | undefined;
  local: string[] | undefined;
}

interface LegacyVersion {
  kind: 'legacy';
  parts: string[];
}

type PyVersion = Pep440Version | LegacyVersion;

function parsePep440(m: RegExpExecArray): Pep440Version {
  const release = (m[2] as string).split('.');
  while (release.length > 1 && /^0+$/.test(release[release.length - 1] as string)) release.pop();
  const preKind = m[3]?.toLowerCase();
  const post = m[5] ?? (m[6] !== undefined ? (m[7] ?? '0') : undefined);
  const dev = m[8] !== undefined ? (m[9] ?? '0') : undefined;
  let preRank = NO_PRE_RANK;
  if (preKind !== undefined) preRank = PRE_RANK[preKind] as number;
  else if (post === undefined && dev !== undefined) preRank = DEV_ONLY_RANK;
  return {
    kind: 'pep440',
    epoch: m[1] ?? '0',
    release,
    preRank,
    pre: m[4] ?? '0',
    post,
    dev,
    local: m[10]?.toLowerCase().split(/[-_.]/),
  };
}

// setuptools' LegacyVersion key: runs of digits, letters, "." and "-", with some renamings.
const LEGACY_TOKEN = /(\d+|[a-z]+|\.|-)/;
const LEGACY_RENAME: Record<string, string> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

function parseLegacy(v: string): LegacyVersion {
  const parts: string[] = [];
  for (const raw of v.toLowerCase().split(LEGACY_TOKEN)) {
    const token = LEGACY_RENAME[raw] ?? raw;
    if (token === '' || token === '.') continue;
    const part = token.charCodeAt(0) >= 48 && token.charCodeAt(0) <= 57 ? token.padStart(8, '0') : `*${token}`;
    if (part.startsWith('*')) {
      if (part < '*final') while (parts[parts.length - 1] === '*final-') parts.pop();
      while (parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  parts.push('*final');
  return { kind: 'legacy', parts };
}

export function parsePythonVersion(v: string): PyVersion {
  const m = PEP440.exec(v);
  return m ? parsePep440(m) : parseLegacy(v);
}

function compareOptionalDigits(a: string | undefined, b: string | undefined, absentIsLow: boolean): number {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return (a === undefined) === absentIsLow ? -1 : 1;
  }
  return compareDigits(a, b);
}

function compareRelease(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const c = compareDigits(a[k] as string, b[k] as string);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// Local segments: numbers above strings, numbers numerically, strings lexically.
function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a[k] as string;
    const y = b[k] as string;
    const xn = isAllDigits(x);
    const yn = isAllDigits(y);
    const c = xn && yn ? compareDigits(x, y) : xn ? 1 : yn ? -1 : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareLegacy(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const c = compareStrings(a[k] as string, b[k] as string);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const parse = cachedParser(parsePythonVersion);

export function comparePep440(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (x.kind === 'legacy' || y.kind === 'legacy') {
    if (x.kind !== y.kind) return x.kind === 'legacy' ? -1 : 1;
    return compareLegacy((x as LegacyVersion).parts, (y as LegacyVersion).parts);
  }
  return (
    compareDigits(x.epoch, y.epoch) ||
    compareRelease(x.release, y.release) ||
    (x.preRank !== y.preRank ? (x.preRank < y.preRank ? -1 : 1) : 0) ||
    (x.preRank > DEV_ONLY_RANK && x.preRank < NO_PRE_RANK ? compareDigits(x.pre, y.pre) : 0) ||
    compareOptionalDigits(x.post, y.post, true) ||
    compareOptionalDigits(x.dev, y.dev, false) ||
    compareLocal(x.local, y.local)
  );
}

export const pep440Scheme: VersionScheme = {
  ecosystems: ['PyPI'],
  compare: comparePep440,
  isValid: (v) => PEP440.test(v),
};
