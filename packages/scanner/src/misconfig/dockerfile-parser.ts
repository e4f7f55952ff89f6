// Parses a Dockerfile/Containerfile into instructions with line numbers, following BuildKit's
// reading rules: parser directives, escape character, continuations, comments, simple heredocs.

export interface DockerInstruction {
  /** Upper-cased keyword: FROM, RUN, COPY … */
  keyword: string;
  /** Everything after the keyword and its flags, continuations joined with a space. */
  args: string;
  /** Leading `--name=value` flags (`--from`, `--chown`, `--platform` …); a bare flag has value "". */
  flags: Record<string, string>;
  /** The exec (JSON array) form's elements, when the instruction uses it. */
  json?: string[];
  /** Bodies of `<<EOF` heredocs attached to this instruction. */
  heredocs: string[];
  /** 1-based line of the keyword. */
  line: number;
  endLine: number;
  /** Index of the build stage; -1 for ARGs before the first FROM. */
  stage: number;
}

export interface DockerStage {
  index: number;
  /** `AS name`, lower-cased as BuildKit compares it. */
  name?: string;
  /** The base image reference as written. */
  image: string;
  from: DockerInstruction;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  instructions: DockerInstruction[];
  stages: DockerStage[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const HEREDOC = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const FLAG_KEYWORDS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);
const JSON_FORM_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME', 'HEALTHCHECK']);

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  // Parser directives are only recognised before anything else, even a blank line.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key in directives) break;
    directives[key] = m[2]!;
  }
  const escapeChar = directives.escape === '`' ? '`' : '\\';
  const instructions: DockerInstruction[] = [];
  const stages: DockerStage[] = [];
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    let logical = '';
    let current = raw;
    for (;;) {
      const body = current.replace(/\s+$/, '');
      if (body.endsWith(escapeChar)) {
        logical += `${body.slice(0, -1)} `;
        i++;
        // Comment and empty lines inside a continuation are dropped, as BuildKit does.
        while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
        if (i >= lines.length) break;
        current = lines[i]!;
      } else {
        logical += body;
        i++;
        break;
      }
    }
    // A trailing `# palisade:ignore=…` is our suppression comment, never part of the arguments.
    const inst = parseInstruction(
      logical.replace(/\s+#\s*palisade:ignore=.*$/, '').trim(),
      start + 1,
      i,
      stages.length - 1,
    );
    if (HEREDOC_KEYWORDS.has(inst.keyword)) {
      for (const m of logical.matchAll(HEREDOC)) {
        const stripTabs = m[1] === '-';
        const end = m[3]!;
        const body: string[] = [];
        while (i < lines.length) {
          const l = lines[i]!;
          i++;
          if ((stripTabs ? l.replace(/^\t+/, '') : l) === end) break;
          body.push(stripTabs ? l.replace(/^\t+/, '') : l);
        }
        inst.heredocs.push(body.join('\n'));
      }
      inst.endLine = i;
    }
    instructions.push(inst);
    if (inst.keyword === 'FROM') {
      const [image = '', as, name] = inst.args.split(/\s+/);
      stages.push({
        index: stages.length,
        name: as?.toLowerCase() === 'as' && name ? name.toLowerCase() : undefined,
        image,
        from: inst,
        instructions: [inst],
      });
      inst.stage = stages.length - 1;
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(inst);
    }
  }
  return { directives, instructions, stages };
}

function parseInstruction(text: string, line: number, endLine: number, stage: number): DockerInstruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  const keyword = (m?.[1] ?? '').toUpperCase();
  let rest = m?.[2] ?? '';
  const flags: Record<string, string> = {};
  if (FLAG_KEYWORDS.has(keyword)) {
    for (;;) {
      const f = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      flags[f[1]!.toLowerCase()] = f[2] ?? '';
      rest = rest.slice(f[0].length);
    }
  }
  const inst: DockerInstruction = { keyword, args: rest, flags, heredocs: [], line, endLine, stage };
  if (JSON_FORM_KEYWORDS.has(keyword) && rest.startsWith('[')) {
    const json = parseJsonArray(rest);
    if (json) inst.json = json;
  }
  return inst;
}

function parseJsonArray(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The command a RUN executes, as one shell string (exec form joined, heredoc bodies appended). */
export function runCommandText(inst: DockerInstruction): string {
  const base = inst.json ? inst.json.join(' ') : inst.args;
  return inst.heredocs.length > 0 ? `${base}\n${inst.heredocs.join('\n')}` : base;
}

/** Substitutes `$NAME` / `${NAME}` / `${NAME:-default}` from `vars`; unknown names become "". */
export function expandArgs(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a, def, b) => {
      const name = (a ?? b) as string;
      return vars.get(name) ?? (def as string | undefined) ?? '';
    },
  );
}
