// Follows podman's container events by reading its events log file, where podman writes them when
// its events logger is "file" (the default without journald, and the case on most servers and VMs
// that run podman as root). Shared by the runtime's enricher and the network's endpoint watch. A long-running `podman events` child costs ~33 MB of resident
// memory for the agent's whole life; reading the file costs a few kilobytes.

import { closeSync, existsSync, type FSWatcher, fstatSync, openSync, readSync, statSync, watch } from 'node:fs';
import path from 'node:path';

/** Where root's podman keeps its events log (`events_logfile_path` in containers.conf). */
export const PODMAN_EVENTS_FILE = '/run/libpod/events/events.log';

export interface PodmanFileEvent {
  id: string;
  status: string;
  /** Event time in ms since the epoch (NaN when the line has none). */
  time: number;
}

/** One line of the events log → a container event; anything else (image events, junk) → undefined. */
export function parsePodmanEventLine(line: string): PodmanFileEvent | undefined {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (e === null || typeof e !== 'object') return undefined;
  const r = e as Record<string, unknown>;
  if (r.Type !== 'container' || typeof r.ID !== 'string' || r.ID === '') return undefined;
  return {
    id: r.ID,
    status: typeof r.Status === 'string' ? r.Status : '',
    time: typeof r.Time === 'string' ? Date.parse(r.Time) : Number.NaN,
  };
}

// After a rotation, events up to this long before the last one reported are reported again.
const ROTATION_MARGIN_MS = 5000;

// A line longer than this is not a podman event; skipping it keeps a corrupt file from growing
// the agent's buffer without bound.
const MAX_LINE = 1 << 20;

/**
 * Calls `onEvent` for every container event appended to `file` from now on, and for those already
 * in it that happened at or after `since` (so nothing between the caller's snapshot and this call
 * is missed). Podman rotates the file by rewriting it smaller; the reader then starts over from the
 * top and skips what it reported before by time, with a margin: lines are not strictly in time
 * order, and reporting an event twice is harmless to callers that forget cached metadata, whereas
 * missing one is not. Returns a stopper.
 */
export function followPodmanEventsFile(file: string, onEvent: (e: PodmanFileEvent) => void, since?: Date): () => void {
  // Without `since`, what the file holds already is history: start at its end.
  let offset = since ? 0 : sizeOf(file);
  let partial = '';
  // Lines before this time are skipped (only while re-reading: at start with `since`, after a rotation).
  let skipBefore = since ? since.getTime() : Number.NEGATIVE_INFINITY;
  let lastTime = Date.now();
  let stopped = false;
  const buf = Buffer.alloc(64 * 1024);

  const drain = (): void => {
    if (stopped) return;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // removed meanwhile: podman recreates it on its next event
    }
    try {
      if (fstatSync(fd).size < offset) {
        offset = 0; // rotated
        partial = '';
        skipBefore = lastTime - ROTATION_MARGIN_MS;
      }
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.toString('utf8', 0, n);
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        if (partial.length > MAX_LINE) partial = '';
        for (const line of lines) {
          const e = parsePodmanEventLine(line);
          if (!e || e.time < skipBefore) continue;
          if (e.time > lastTime) lastTime = e.time;
          onEvent(e);
        }
      }
      skipBefore = Number.NEGATIVE_INFINITY; // caught up: everything appended from now on is new
    } finally {
      closeSync(fd);
    }
  };

  drain();
  // inotify on the directory sees both appends and the rewrite of a rotation; the slow timer is a
  // safety net for file systems where inotify says nothing.
  let watcher: FSWatcher | undefined;
  try {
    const name = path.basename(file);
    watcher = watch(path.dirname(file), { persistent: false }, (_type, changed) => {
      if (changed === null || changed === name) drain();
    });
    watcher.on('error', () => {});
  } catch {
    watcher = undefined;
  }
  const timer = setInterval(drain, 2000);
  timer.unref();
  return () => {
    stopped = true;
    watcher?.close();
    clearInterval(timer);
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** True when podman writes its events to `file` (it exists and is a regular file). */
export function podmanEventsFileUsable(file: string = PODMAN_EVENTS_FILE): boolean {
  try {
    return existsSync(file) && statSync(file).isFile();
  } catch {
    return false;
  }
}
