// Normalises paths found inside archives (tar layers, zips) to the one form analyzers see:
// relative, '/'-separated, no '.', no '..'. Entries that would climb above the root are refused.

/**
 * "./etc/x" → "etc/x", "/etc/x" → "etc/x", "a/../b" → "b", "." → "" (the root itself).
 * Returns undefined for entries that escape the root ("../x", "a/../../x") or hold a NUL byte.
 */
export function normalizeEntryPath(raw: string): string | undefined {
  if (raw.includes('\0')) return undefined;
  const parts: string[] = [];
  // Backslashes are separators in zips written on Windows; treating them as such keeps "..\\x" from slipping through.
  for (const part of raw.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts.join('/');
}

/** The directory part of a normalised path ("" for top-level entries). */
export function parentDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The last component of a normalised path. */
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Joins a normalised directory and a name ("" is the root). */
export function joinEntryPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
