// Reads sshd_config the way sshd does: keywords are case-insensitive, the first value wins,
// `Include` globs are read in place (relative to /etc/ssh), and `Match` blocks are conditional.

export interface SshdSetting {
  keyword: string;
  value: string;
  file: string;
  line: number;
}

export interface SshdMatchBlock {
  criteria: string;
  file: string;
  line: number;
  settings: SshdSetting[];
}

export interface SshdConfig {
  /** Global settings (outside Match), first occurrence of each keyword, keyed by lower-case keyword. */
  settings: Map<string, SshdSetting>;
  /** Keywords sshd accumulates (AllowUsers, DenyGroups, HostKey …): every occurrence. */
  lists: Map<string, SshdSetting[]>;
  matchBlocks: SshdMatchBlock[];
  /** Files read, in order (the main file first). */
  files: string[];
  /** Include globs that matched nothing or files that could not be read: not fatal, sshd ignores them too. */
  problems: string[];
}

/** The file system the parser reads through: absolute paths inside the audited root. */
export interface SshdConfigSource {
  read(path: string): Promise<string | undefined>;
  list(dir: string): Promise<string[]>;
}

const ACCUMULATING = new Set([
  'allowusers',
  'denyusers',
  'allowgroups',
  'denygroups',
  'hostkey',
  'listenaddress',
  'port',
  'acceptenv',
  'subsystem',
]);
const MAX_INCLUDE_DEPTH = 16;
/** Bound on files read in total: includes fan out, and a hostile tree must not blow up. */
const MAX_FILES_READ = 256;

/** Splits one line into keyword and value; handles "Key=value", "Key value" and quoted values. */
export function splitSshdLine(raw: string): { keyword: string; value: string } | undefined {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return undefined;
  const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m?.[1]) return undefined;
  const value = (m[2] ?? '').replace(/\s+#.*$/, '').trim();
  return { keyword: m[1], value: value.replace(/^"(.*)"$/, '$1') };
}

export async function parseSshdConfig(mainFile: string, source: SshdConfigSource): Promise<SshdConfig> {
  const cfg: SshdConfig = { settings: new Map(), lists: new Map(), matchBlocks: [], files: [], problems: [] };
  const text = await source.read(mainFile);
  if (text === undefined) {
    cfg.problems.push(`${mainFile}: cannot be read`);
    return cfg;
  }
  await readInto(cfg, mainFile, text, source, undefined, [mainFile]);
  return cfg;
}

async function readInto(
  cfg: SshdConfig,
  file: string,
  text: string,
  source: SshdConfigSource,
  inheritedMatch: SshdMatchBlock | undefined,
  stack: string[],
): Promise<void> {
  const depth = stack.length - 1;
  cfg.files.push(file);
  let match = inheritedMatch;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const kv = splitSshdLine(lines[i] ?? '');
    if (!kv) continue;
    const key = kv.keyword.toLowerCase();
    const setting: SshdSetting = { keyword: kv.keyword, value: kv.value, file, line: i + 1 };
    if (key === 'match') {
      match = kv.value.toLowerCase() === 'all' ? undefined : { criteria: kv.value, file, line: i + 1, settings: [] };
      if (match) cfg.matchBlocks.push(match);
      continue;
    }
    if (key === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) {
        cfg.problems.push(`${file}:${i + 1}: Include nested deeper than ${MAX_INCLUDE_DEPTH} levels, not followed`);
        continue;
      }
      for (const pattern of kv.value.split(/\s+/).filter(Boolean)) {
        const files = await expandInclude(pattern, source);
        if (files.length === 0) cfg.problems.push(`${file}:${i + 1}: Include ${pattern} matched no file`);
        for (const inc of files) {
          // sshd refuses recursive includes; so do we, and we stop at a total budget of reads.
          if (stack.includes(inc)) {
            cfg.problems.push(`${file}:${i + 1}: Include of ${inc} is recursive, not followed`);
            continue;
          }
          if (cfg.files.length >= MAX_FILES_READ) {
            cfg.problems.push(`${file}:${i + 1}: more than ${MAX_FILES_READ} files included, stopped`);
            break;
          }
          const incText = await source.read(inc);
          if (incText === undefined) cfg.problems.push(`${inc}: cannot be read`);
          else await readInto(cfg, inc, incText, source, match, [...stack, inc]);
        }
      }
      continue;
    }
    if (match) {
      match.settings.push(setting);
      continue;
    }
    if (ACCUMULATING.has(key)) {
      const list = cfg.lists.get(key) ?? [];
      list.push(setting);
      cfg.lists.set(key, list);
    }
    if (!cfg.settings.has(key)) cfg.settings.set(key, setting);
  }
}

/** Include takes globs; relative ones are relative to /etc/ssh. Wildcards are honoured in the last component. */
async function expandInclude(pattern: string, source: SshdConfigSource): Promise<string[]> {
  const abs = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
  const slash = abs.lastIndexOf('/');
  const dir = abs.slice(0, slash) || '/';
  const base = abs.slice(slash + 1);
  if (!/[*?[]/.test(base)) return [abs];
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replaceAll('*', '[^/]*')
      .replaceAll('?', '[^/]')}$`,
  );
  const names = await source.list(dir);
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => `${dir === '/' ? '' : dir}/${n}`);
}
