// Parsers for /etc/passwd, /etc/group and /etc/shadow: colon-separated records with line numbers.
// Malformed lines are skipped (and counted), never fatal: an audit reports what it can read.

export interface PasswdEntry {
  name: string;
  password: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  line: number;
}

export interface GroupEntry {
  name: string;
  password: string;
  gid: number;
  members: string[];
  line: number;
}

export interface ShadowEntry {
  name: string;
  hash: string;
  /** Days since the epoch of the last change; undefined when empty. */
  lastChange?: number;
  line: number;
}

function records(text: string, fields: number): { parts: string[]; line: number }[] {
  const out: { parts: string[]; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (!raw.trim() || raw.startsWith('#') || raw.startsWith('+') || raw.startsWith('-')) continue;
    const parts = raw.split(':');
    if (parts.length < fields) continue;
    out.push({ parts, line: i + 1 });
  }
  return out;
}

const toId = (s: string | undefined): number => (s && /^\d+$/.test(s) ? Number(s) : Number.NaN);

export function parsePasswd(text: string): PasswdEntry[] {
  return records(text, 7)
    .map(({ parts, line }) => ({
      name: parts[0] ?? '',
      password: parts[1] ?? '',
      uid: toId(parts[2]),
      gid: toId(parts[3]),
      home: parts[5] ?? '',
      shell: parts[6] ?? '',
      line,
    }))
    .filter((e) => e.name && Number.isFinite(e.uid) && Number.isFinite(e.gid));
}

export function parseGroup(text: string): GroupEntry[] {
  return records(text, 4)
    .map(({ parts, line }) => ({
      name: parts[0] ?? '',
      password: parts[1] ?? '',
      gid: toId(parts[2]),
      members: (parts[3] ?? '').split(',').filter(Boolean),
      line,
    }))
    .filter((e) => e.name && Number.isFinite(e.gid));
}

export function parseShadow(text: string): ShadowEntry[] {
  return records(text, 2)
    .map(({ parts, line }) => {
      const e: ShadowEntry = { name: parts[0] ?? '', hash: parts[1] ?? '', line };
      const last = toId(parts[2]);
      if (Number.isFinite(last)) e.lastChange = last;
      return e;
    })
    .filter((e) => e.name);
}
