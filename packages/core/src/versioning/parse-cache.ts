// A bounded memo for version parsers: the matcher compares the same installed version against
// many ranges, so parsing once per distinct string pays; the bound keeps memory flat.

const DEFAULT_LIMIT = 8192;

/** Wraps a pure parser so repeated strings are parsed once; the cache empties when full. */
export function cachedParser<T>(parse: (v: string) => T, limit = DEFAULT_LIMIT): (v: string) => T {
  const cache = new Map<string, T>();
  return (v: string): T => {
    let parsed = cache.get(v);
    if (parsed === undefined) {
      parsed = parse(v);
      if (cache.size >= limit) cache.clear();
      cache.set(v, parsed);
    }
    return parsed;
  };
}
