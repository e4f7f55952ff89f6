// Parser for modprobe.d files: which modules are made unloadable ("install NAME /bin/false") or
// blacklisted. Module names treat '-' and '_' as the same character, as modprobe does.

export interface ModprobeDirective {
  kind: 'install' | 'blacklist';
  module: string;
  /** For install: the command run instead of loading ("/bin/false"). */
  command?: string;
  line: number;
}

export function normalizeModuleName(name: string): string {
  return name.replaceAll('-', '_');
}

export function parseModprobeConfig(text: string): ModprobeDirective[] {
  const out: ModprobeDirective[] = [];
  // Lines ending in '\' continue on the next line; keep the first line's number.
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let raw = lines[i] ?? '';
    while (raw.endsWith('\\') && i + 1 < lines.length) raw = `${raw.slice(0, -1)} ${lines[++i] ?? ''}`;
    const words = raw.trim().split(/\s+/);
    const [kind, module, ...rest] = words;
    if (!module || kind?.startsWith('#')) continue;
    if (kind === 'blacklist') out.push({ kind, module: normalizeModuleName(module), line: start + 1 });
    else if (kind === 'install')
      out.push({ kind, module: normalizeModuleName(module), command: rest.join(' '), line: start + 1 });
  }
  return out;
}
