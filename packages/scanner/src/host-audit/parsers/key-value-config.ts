// Parser for the "KEY VALUE" and "key = value" files that login.defs, pwquality.conf, faillock.conf,
// auditd.conf and /etc/default/useradd use: comments, blank lines, last assignment wins.

export interface ConfigEntry {
  key: string;
  value: string;
  line: number;
}

/** Keys keep their case; `lowerKeys` folds them (pwquality/faillock/auditd are case-insensitive). */
export function parseKeyValueConfig(text: string, opts: { lowerKeys?: boolean } = {}): Map<string, ConfigEntry> {
  const out = new Map<string, ConfigEntry>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#')) continue;
    const m = /^([A-Za-z_][\w.-]*)\s*(?:=\s*|\s+)(.*)$/.exec(raw) ?? /^([A-Za-z_][\w.-]*)$/.exec(raw);
    if (!m?.[1]) continue;
    const key = opts.lowerKeys ? m[1].toLowerCase() : m[1];
    // Values may be quoted (useradd INACTIVE="30"); trailing comments are not part of the value.
    const value = (m[2] ?? '')
      .replace(/\s+#.*$/, '')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    out.set(key, { key, value, line: i + 1 });
  }
  return out;
}
