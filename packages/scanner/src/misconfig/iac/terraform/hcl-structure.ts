// Recovers line numbers for Terraform: hcl2json gives values but no positions, so this scans the
// source once for blocks, object attributes and arguments (skipping strings, heredocs, comments).

/** A block (`resource "t" "n" {`) or an object value (`tags = {`) and where its parts start. */
export interface HclNode {
  line: number;
  /** Block type or attribute name → each occurrence, in order (nested blocks repeat). */
  children: Map<string, HclNode[]>;
  /** Argument name → line, for scalar and list arguments. */
  args: Map<string, number>;
  /** Block labels (`resource "aws_s3_bucket" "b"` → ["aws_s3_bucket", "b"]). */
  labels: string[];
}

function newNode(line: number, labels: string[] = []): HclNode {
  return { line, children: new Map(), args: new Map(), labels };
}

const BLOCK_HEADER = /([A-Za-z_][\w-]*)((?:\s+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*))*)\s*$/;
const ATTR_OPEN = /([A-Za-z_][\w-]*|"[^"]*")\s*[=:]\s*$/;
// Sticky: tried at the start of a statement only, without slicing the text.
const ARG = /([A-Za-z_][\w-]*)[ \t]*[=:](?!=)/y;

function unquote(s: string): string {
  return s.startsWith('"') ? s.slice(1, -1) : s;
}

/**
 * The block tree of one file. Tolerant: on text it does not understand it still returns the
 * lines it did find, because the values come from the real parser and only positions from here.
 */
export function scanHclStructure(text: string): HclNode {
  const root = newNode(1);
  const stack: (HclNode | null)[] = [root];
  let line = 1;
  let i = 0;
  const n = text.length;
  // Text of the current line before the current position, outside strings: decides what `{` opens.
  let pending = '';
  // True until the current statement has shown a non-blank character: where an argument may start.
  let atStatementStart = true;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      pending = '';
      atStatementStart = true;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_]\w*)[ \t]*\n/.exec(text.slice(i, i + 80));
      if (m) {
        const marker = m[1]!;
        i += m[0].length;
        line++;
        // The heredoc ends at a line holding only the marker (indented for <<-).
        while (i < n) {
          const eol = text.indexOf('\n', i);
          const l = text.slice(i, eol < 0 ? n : eol);
          i = eol < 0 ? n : eol + 1;
          if (l.trim() === marker) break;
          line++;
        }
        line++;
        pending = '';
        atStatementStart = true;
        continue;
      }
    }
    if (c === '"') {
      const end = skipString(text, i, () => line++);
      // Keep the quoted text: block labels are strings.
      pending += text.slice(i, end);
      atStatementStart = false;
      i = end;
      continue;
    }
    if (c === '{') {
      const top = stack[stack.length - 1] ?? null;
      const before = pending.trimEnd();
      let child: HclNode | null = null;
      if (top) {
        const attr = ATTR_OPEN.exec(before);
        const header = attr ? null : BLOCK_HEADER.exec(before);
        if (attr && attr.index + attr[0].length === before.length) {
          child = newNode(line);
          addChild(top, unquote(attr[1]!), child);
        } else if (header && before.trimStart() === header[0].trimStart()) {
          const labels = [...(header[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w-]*)/g)].map(
            (m) => m[1] ?? m[2]!,
          );
          child = newNode(line, labels);
          addChild(top, header[1]!, child);
        }
      }
      stack.push(child);
      pending = '';
      atStatementStart = true;
      i++;
      continue;
    }
    if (c === '}') {
      if (stack.length > 1) stack.pop();
      pending = '';
      atStatementStart = false;
      i++;
      continue;
    }
    if (atStatementStart && /[A-Za-z_]/.test(c)) {
      ARG.lastIndex = i;
      const m = ARG.exec(text);
      const top = stack[stack.length - 1];
      if (m && top && !top.args.has(m[1]!)) top.args.set(m[1]!, line);
    }
    if (c === ',') atStatementStart = true;
    else if (c !== ' ' && c !== '\t' && c !== '\r') atStatementStart = false;
    pending += c;
    i++;
  }
  return root;
}

function addChild(parent: HclNode, name: string, child: HclNode): void {
  const list = parent.children.get(name);
  if (list) list.push(child);
  else parent.children.set(name, [child]);
}

/** Index after the closing quote; interpolations `${ … }` may hold nested strings. */
function skipString(text: string, start: number, newline: () => void): number {
  let i = start + 1;
  let depth = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '\n') {
      // Strings do not span lines in HCL: stop here so one bad quote cannot swallow the file.
      if (depth === 0) return i;
      newline();
    }
    if (c === '$' && text[i + 1] === '{') {
      depth++;
      i += 2;
      continue;
    }
    if (depth > 0 && c === '}') depth--;
    else if (depth > 0 && c === '"') {
      i = skipString(text, i, newline);
      continue;
    } else if (depth === 0 && c === '"') return i + 1;
    i++;
  }
  return i;
}

/** Line of `path` under a block node: nested blocks by name and index, then arguments. */
export function hclLineOf(block: HclNode, path: readonly (string | number)[]): number {
  let node = block;
  let best = block.line;
  for (let k = 0; k < path.length; k++) {
    const key = path[k]!;
    if (typeof key === 'number') continue;
    const kids = node.children.get(key) ?? [];
    const next = path[k + 1];
    let pick = kids[typeof next === 'number' ? next : 0];
    if (!pick) {
      // Blocks generated by `dynamic "key" { content { … } }` come after the written ones.
      const dyn = node.children.get('dynamic')?.find((d) => d.labels[0] === key);
      pick = dyn?.children.get('content')?.[0] ?? dyn ?? kids[0];
    }
    if (pick) {
      node = pick;
      best = pick.line;
      continue;
    }
    const argLine = node.args.get(key);
    if (argLine !== undefined) best = argLine;
    break;
  }
  return best;
}
