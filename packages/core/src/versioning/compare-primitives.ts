// Small comparison primitives every version scheme shares: arbitrary-length digit strings and
// plain code-unit string order. Kept allocation-free because they run in the matcher's hot loop.

/** Orders two strings of ASCII digits by numeric value, at any length (leading zeros ignored). */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Orders the digit runs a[as..ae) and b[bs..be) numerically without slicing; an empty run reads
 * as 0. The hot loops of dpkg and rpm ordering use this on every numeric segment.
 */
export function compareDigitRanges(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  while (as < ae && a.charCodeAt(as) === 48) as++;
  while (bs < be && b.charCodeAt(bs) === 48) bs++;
  const la = ae - as;
  const lb = be - bs;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; as < ae; as++, bs++) {
    const d = a.charCodeAt(as) - b.charCodeAt(bs);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Code-unit order of a[as..ae) and b[bs..be) without slicing. */
export function compareStringRanges(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  for (; as < ae && bs < be; as++, bs++) {
    const d = a.charCodeAt(as) - b.charCodeAt(bs);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const la = ae - as;
  const lb = be - bs;
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/** Code-unit order, as C's strcmp and Go's strings.Compare give for ASCII. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAsciiLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True when s is non-empty and made of ASCII digits only. */
export function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return true;
}

/** Collapses any comparator result to -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares lists of digit strings lexicographically, a proper prefix sorting first. */
export function compareNumberLists(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const c = compareDigits(a[k] as string, b[k] as string);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
