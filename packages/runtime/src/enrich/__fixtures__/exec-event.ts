// An execve event for a live process as a test would feed it to the enricher: the process's own
// facts from /proc, uid and gid 0, with any field replaced by `extra`.

import type { RuntimeEvent } from '@palisade/core';
import { readProc } from '../proc-reader.js';

export function execEvent(pid: number, extra: Partial<RuntimeEvent['proc']> = {}): RuntimeEvent {
  const snap = readProc(pid);
  if (!snap) throw new Error(`process ${pid} is gone`);
  return {
    ts: Date.now() * 1e6,
    host: 'node-1',
    type: 'execve',
    proc: {
      pid,
      ppid: snap.ppid,
      uid: 0,
      gid: 0,
      exe: snap.exe,
      comm: snap.comm,
      args: snap.args,
      cwd: '/',
      tty: 0,
      ...extra,
    },
  };
}
