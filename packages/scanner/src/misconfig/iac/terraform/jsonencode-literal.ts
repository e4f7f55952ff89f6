// Reads the object literal inside a Terraform `jsonencode({ … })` (as hcl2json returns it, a
// `${…}` string) into plain data, so IAM rules can judge policies written the usual way.

interface Token {
  kind: 'str' | 'num' | 'ident' | 'punct';
  text: string;
}

function tokenize(src: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '"') {
      let j = i + 1;
      let depth = 0;
      while (j < src.length) {
        if (src[j] === '\\') j += 2;
        else if (src[j] === '$' && src[j + 1] === '{') {
          depth++;
          j += 2;
        } else if (depth > 0 && src[j] === '}') {
          depth--;
          j++;
        } else if (depth === 0 && src[j] === '"') break;
        else j++;
      }
      if (j >= src.length) return undefined;
      out.push({ kind: 'str', text: src.slice(i, j + 1) });
      i = j + 1;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) return undefined;
      out.push({ kind: 'num', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w.-]*(\[\d+\])*/.exec(src.slice(i))!;
      out.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if ('{}[]=:,'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else {
      // Operators, function calls, for-expressions: not a literal we can read.
      return undefined;
    }
  }
  return out;
}

const VALUE_END = new Set(['}', ']']);

/** The data of `jsonencode(<literal>)`, or undefined when the argument is not a plain literal. */
export function readJsonencode(expr: string): unknown {
  const m = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/.exec(expr.trim());
  if (!m) return undefined;
  const tokens = tokenize(m[1]!);
  if (!tokens) return undefined;
  let json = '';
  let prevEndsValue = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const next = tokens[k + 1];
    const isKey =
      (t.kind === 'ident' || t.kind === 'str') && next?.kind === 'punct' && (next.text === '=' || next.text === ':');
    const startsValue = t.kind !== 'punct' || t.text === '{' || t.text === '[';
    // Newline-separated items have no commas in HCL; JSON needs them.
    if (prevEndsValue && startsValue) json += ',';
    if (t.kind === 'punct') {
      if (t.text === '=' || t.text === ':') json += ':';
      else if (t.text === ',') {
        if (next && next.kind === 'punct' && (next.text === '}' || next.text === ']')) continue;
        json += ',';
        prevEndsValue = false;
        continue;
      } else json += t.text;
      prevEndsValue = VALUE_END.has(t.text);
      continue;
    }
    if (t.kind === 'str') json += t.text.replace(/\\(?!["\\/bfnrtu])/g, '\\\\');
    else if (t.kind === 'num') json += t.text;
    else if (isKey) json += JSON.stringify(t.text);
    else if (t.text === 'true' || t.text === 'false' || t.text === 'null') json += t.text;
    else json += JSON.stringify(`\${${t.text}}`);
    prevEndsValue = !isKey;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
