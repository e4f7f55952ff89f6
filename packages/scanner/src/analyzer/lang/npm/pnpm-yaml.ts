// A reader for the YAML subset pnpm writes (block mappings, flow maps, plain and quoted scalars):
// the general-purpose YAML library is 50x slower on a 1,000-package lockfile. Lists are skipped.

type YamlValue = string | boolean | YamlMap;
export interface YamlMap {
  [key: string]: YamlValue;
}

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replaceAll("''", "'");
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

function scalar(raw: string, depth = 0): YamlValue {
  const s = raw.trim();
  // pnpm nests flow maps two deep at most; a deeper one is hostile input, kept as text.
  if (s.startsWith('{') && depth < 8) return flowMap(s, depth + 1);
  if (s === 'true') return true;
  if (s === 'false') return false;
  return unquote(s);
}

/** Index of the end of a quoted run starting at i (the closing quote), or the string end. */
function skipQuoted(s: string, i: number): number {
  const q = s[i];
  let j = i + 1;
  while (j < s.length) {
    if (s[j] === q) {
      if (q === "'" && s[j + 1] === "'") j += 2;
      else return j;
    } else j += q === '"' && s[j] === '\\' ? 2 : 1;
  }
  return s.length;
}

/** "{a: 1, b: {c: 2}}" → {a: '1', b: {c: '2'}}; sequences inside are kept as raw text. */
function flowMap(s: string, depth: number): YamlMap {
  const out: YamlMap = {};
  const body = s.slice(1, s.endsWith('}') ? -1 : undefined);
  let nesting = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "'" || c === '"') i = skipQuoted(body, i);
    else if (c === '{' || c === '[') nesting++;
    else if (c === '}' || c === ']') nesting--;
    else if (c === ',' && nesting === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  for (const part of parts) {
    const kv = splitKey(part.trim(), 0);
    if (kv) out[kv[0]] = scalar(kv[1], depth);
  }
  return out;
}

/** "key: value" or "'quoted key': value" from position `at`; [key, rest] or undefined. */
function splitKey(line: string, at: number): [string, string] | undefined {
  const c = line[at];
  if (c === "'" || c === '"') {
    const end = skipQuoted(line, at);
    if (line[end + 1] !== ':') return undefined;
    return [unquote(line.slice(at, end + 1)), line.slice(end + 2).trim()];
  }
  const sep = line.indexOf(': ', at);
  if (sep >= 0) return [line.slice(at, sep), line.slice(sep + 2).trim()];
  if (line.endsWith(':')) return [line.slice(at, -1), ''];
  return undefined;
}

export function parsePnpmYaml(text: string): YamlMap {
  const root: YamlMap = {};
  const stack: { indent: number; map: YamlMap }[] = [{ indent: -1, map: root }];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length) continue;
    const first = line[indent];
    if (first === '#' || first === '-') continue; // comments and list items carry nothing we read
    const kv = splitKey(line, indent);
    if (!kv) continue;
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!.map;
    if (kv[1] === '') {
      const child: YamlMap = {};
      parent[kv[0]] = child;
      stack.push({ indent, map: child });
    } else {
      parent[kv[0]] = scalar(kv[1]);
    }
  }
  return root;
}
