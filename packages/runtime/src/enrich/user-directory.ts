// User and group names from /etc/passwd and /etc/group (of the host or of a container's root),
// parsed once and re-read only when the file changes, so a lookup per event is a Map hit.

import { readFileSync, statSync } from 'node:fs';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** `name:x:uid:gid:gecos:home:shell` lines; malformed lines are skipped, like getpwent(3) does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[0] === '') continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]!, shell: f[6]! });
  }
  return out;
}

/** `name:x:gid:members` lines → gid → name. */
export function parseGroup(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || f[0] === '') continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid) && !out.has(gid)) out.set(gid, f[0]!);
  }
  return out;
}

interface Cached<T> {
  mtimeMs: number;
  size: number;
  checkedAt: number;
  value: T;
}

export class UserDirectory {
  private users?: Cached<Map<number, PasswdEntry>>;
  private groups?: Cached<Map<number, string>>;

  constructor(
    private readonly passwdPath = '/etc/passwd',
    private readonly groupPath = '/etc/group',
    /** How often to stat the files for changes. */
    private readonly recheckMs = 5000,
  ) {}

  user(uid: number): PasswdEntry | undefined {
    this.users = this.refresh(this.users, this.passwdPath, (t) => {
      const m = new Map<number, PasswdEntry>();
      for (const e of parsePasswd(t)) if (!m.has(e.uid)) m.set(e.uid, e);
      return m;
    });
    return this.users.value.get(uid);
  }

  groupName(gid: number): string | undefined {
    this.groups = this.refresh(this.groups, this.groupPath, parseGroup);
    return this.groups.value.get(gid);
  }

  private refresh<T extends Map<number, unknown>>(
    cur: Cached<T> | undefined,
    file: string,
    parse: (text: string) => T,
  ): Cached<T> {
    const now = Date.now();
    if (cur && now - cur.checkedAt < this.recheckMs) return cur;
    try {
      const st = statSync(file);
      if (cur && cur.mtimeMs === st.mtimeMs && cur.size === st.size) {
        cur.checkedAt = now;
        return cur;
      }
      return { mtimeMs: st.mtimeMs, size: st.size, checkedAt: now, value: parse(readFileSync(file, 'utf8')) };
    } catch {
      return { mtimeMs: -1, size: -1, checkedAt: now, value: new Map() as T };
    }
  }
}
