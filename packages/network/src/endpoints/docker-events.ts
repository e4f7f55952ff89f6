// Docker's event stream: `GET /events?filters={"type":["container"]}` on the API socket answers with
// one JSON object per event for as long as the connection stays open. Endpoint discovery follows it
// so a container started or removed under docker is seen at once, not at the next resync.

import http from 'node:http';

export interface DockerEvent {
  /** The container's id. */
  readonly id: string;
  /** What happened: start, die, destroy, rename … ("exec_start: sh" for an exec). */
  readonly action: string;
}

/** Actions after which a container's addresses, labels or existence may have changed. */
const CHURN_ACTIONS = new Set(['start', 'restart', 'die', 'stop', 'kill', 'destroy', 'remove', 'rename', 'update']);

export function isDockerChurn(ev: DockerEvent): boolean {
  return CHURN_ACTIONS.has(ev.action);
}

/**
 * Splits a stream of concatenated JSON objects (newline-separated or not, cut anywhere by the
 * transport) into the text of each complete top-level object. Text outside objects is skipped.
 */
export class JsonObjectSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where in `buf` the object being read starts. */
  private start = -1;
  /** Largest object kept while waiting for its end; a stream that never closes one is cut off. */
  constructor(private readonly maxObjectChars = 1 << 20) {}

  push(chunk: string): string[] {
    const out: string[] = [];
    let i = this.buf.length;
    this.buf += chunk;
    for (; i < this.buf.length; i++) {
      const ch = this.buf[i];
      if (this.depth === 0) {
        if (ch === '{') {
          this.depth = 1;
          this.start = i;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{') this.depth++;
      else if (ch === '}' && --this.depth === 0) {
        out.push(this.buf.slice(this.start, i + 1));
        this.start = -1;
      }
    }
    // Keep only the unfinished object (or nothing), so the buffer does not grow with the stream.
    if (this.depth === 0) this.buf = '';
    else if (this.buf.length - this.start > this.maxObjectChars) this.reset();
    else {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
    return out;
  }

  reset(): void {
    this.buf = '';
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.start = -1;
  }
}

/**
 * One event object of the stream → the container and its action; undefined for another type or a
 * malformed object. Docker (and podman's compatible API) send `Type`, `Action` and `Actor.ID`;
 * older daemons only `status` and `id`.
 */
export function parseDockerEvent(text: string): DockerEvent | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const e = doc as Record<string, unknown>;
  const type = typeof e.Type === 'string' ? e.Type : 'container';
  if (type !== 'container') return undefined;
  const actor = typeof e.Actor === 'object' && e.Actor !== null ? (e.Actor as Record<string, unknown>) : {};
  const id = typeof actor.ID === 'string' && actor.ID !== '' ? actor.ID : typeof e.id === 'string' ? e.id : '';
  const action =
    typeof e.Action === 'string' && e.Action !== '' ? e.Action : typeof e.status === 'string' ? e.status : '';
  if (id === '' || action === '') return undefined;
  return { id, action };
}

export const DOCKER_EVENTS_PATH = `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'] }))}`;

export interface DockerEventsOptions {
  /** Called with every container event. */
  readonly onEvent: (ev: DockerEvent) => void;
  /**
   * Called when a stream that had been connected is connected again (the daemon restarted):
   * events may have been missed, so the caller should look at everything afresh.
   */
  readonly onResync?: () => void;
  /** Called each time the daemon has accepted the subscription (its response headers arrived). */
  readonly onConnect?: () => void;
  /** Wait between connection attempts; default 2 s. */
  readonly reconnectMs?: number;
}

/** Follows the container events of the Docker API at `socketPath`, reconnecting; returns a stopper. */
export function followDockerEvents(socketPath: string, opts: DockerEventsOptions): () => void {
  let stopped = false;
  let request: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wasConnected = false;
  const retry = (): void => {
    if (stopped) return;
    timer = setTimeout(connect, opts.reconnectMs ?? 2000);
    timer.unref();
  };
  const connect = (): void => {
    if (stopped) return;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      retry();
    };
    const splitter = new JsonObjectSplitter();
    const req = http.get({ socketPath, path: DOCKER_EVENTS_PATH }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', end);
        return;
      }
      if (wasConnected) opts.onResync?.();
      wasConnected = true;
      opts.onConnect?.();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const text of splitter.push(chunk)) {
          const ev = parseDockerEvent(text);
          if (ev) opts.onEvent(ev);
        }
      });
      res.on('end', end);
      res.on('error', end);
      res.on('close', end);
    });
    req.on('error', end); // no daemon (yet): try again later
    request = req;
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    request?.destroy();
  };
}
