// A bounded memo for version parsers: the matcher compares the same installed version against
// many ranges, so parsing once per distinct string pays; the bound keeps memory flat.

const DEFAULT_LIMIT = 8192;

/**
 * Wraps a pure parser so repeated strings are parsed once. Two generations: when the current map
 * fills it becomes the previous one, so strings in steady use survive the turnover.
 */
export function cachedParser<T>(parse: (v: string) => T, limit = DEFAULT_LIMIT): (v: string) => T {
  let current = new Map<string, T>();
  let previous = new Map<string, T>();
  return (v: string): T => {
    let parsed = current.get(v);
    if (parsed !== undefined) return parsed;
    parsed = previous.get(v) ?? parse(v);
    if (current.size >= limit) {
      previous = current;
      current = new Map();
    }
    current.set(v, parsed);
    return parsed;
  };
}
