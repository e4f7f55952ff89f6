// Parser for sysctl.conf and sysctl.d/*.conf: "net.ipv4.ip_forward = 0" lines, '#' and ';' comments,
// keys with '/' or '.' separators (both are valid), an optional leading '-' (ignore errors).

export interface SysctlSetting {
  key: string;
  value: string;
  line: number;
}

export function parseSysctlConfig(text: string): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#') || raw.startsWith(';')) continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    const key = raw.slice(0, eq).trim().replace(/^-/, '').replaceAll('/', '.');
    if (!key) continue;
    out.push({
      key,
      value: raw
        .slice(eq + 1)
        .trim()
        .replace(/\s+/g, ' '),
      line: i + 1,
    });
  }
  return out;
}
