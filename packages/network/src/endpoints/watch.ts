// Follows endpoint churn: container engine event streams (`podman events`, `ctr events`, Docker's
// API /events) and a periodic resync trigger a new discovery, debounced; the difference is
// reported as adds/removes.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { followPodmanEventsFile, PODMAN_EVENTS_FILE, podmanEventsFileUsable } from '@palisade/core';
import type { Endpoint } from '../model/types.js';
import { type Discovery, type DiscoveryOptions, discoverEndpoints, endpointKey, presentEngines } from './discover.js';
import { DEFAULT_DOCKER_SOCKET } from './docker.js';
import { followDockerEvents, isDockerChurn } from './docker-events.js';

export interface EndpointChange {
  /** New workloads (and changed ones, with their new form). */
  readonly added: readonly Endpoint[];
  /** Workloads gone (and changed ones, with their old form). */
  readonly removed: readonly Endpoint[];
  readonly current: readonly Endpoint[];
  readonly errors: readonly string[];
}

export interface EndpointWatchOptions extends DiscoveryOptions {
  readonly onChange: (change: EndpointChange) => void;
  /** Rediscover this often even without events (engines without an event stream); default 30 s. */
  readonly resyncMs?: number;
  /** Wait this long after an event for its siblings (a start is several events); default 200 ms. */
  readonly debounceMs?: number;
  /** Discovery itself, replaceable (tests, other sources); default discoverEndpoints(options). */
  readonly discover?: () => Promise<Discovery>;
  /** Follow engine event streams; default true. */
  readonly events?: boolean;
}

export interface EndpointWatch {
  /** Resolves with the first discovery (reported through onChange too). */
  readonly first: Promise<readonly Endpoint[]>;
  /** Rediscover now (e.g. after a configuration change). */
  refresh(): void;
  stop(): void;
}

/** Identity plus everything the compiler looks at, so a changed label or address counts as a change. */
function fingerprint(e: Endpoint): string {
  const labels = Object.entries(e.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([endpointKey(e), [...e.ips].sort(), e.interfaceName ?? '', labels]);
}

export function diffEndpoints(
  before: readonly Endpoint[],
  after: readonly Endpoint[],
): { added: Endpoint[]; removed: Endpoint[] } {
  const old = new Map(before.map((e) => [fingerprint(e), e]));
  const now = new Map(after.map((e) => [fingerprint(e), e]));
  return {
    added: [...now].filter(([k]) => !old.has(k)).map(([, e]) => e),
    removed: [...old].filter(([k]) => !now.has(k)).map(([, e]) => e),
  };
}

/** Container lifecycle events that change what is reachable where. */
const CHURN = new Set(['start', 'init', 'died', 'stop', 'remove', 'cleanup', 'kill', 'connect', 'disconnect']);

export function isChurnEvent(line: string): boolean {
  try {
    const ev = JSON.parse(line) as { Status?: unknown; status?: unknown };
    const status = ev.Status ?? ev.status;
    return typeof status === 'string' && CHURN.has(status);
  } catch {
    return false;
  }
}

export function watchEndpoints(opts: EndpointWatchOptions): EndpointWatch {
  const discover = opts.discover ?? (() => discoverEndpoints(opts));
  let current: readonly Endpoint[] = [];
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;
  const children: ChildProcess[] = [];
  const unfollow: (() => void)[] = [];
  let markFirst: (e: readonly Endpoint[]) => void = () => {};
  const first = new Promise<readonly Endpoint[]>((resolve) => {
    markFirst = resolve;
  });
  let isFirst = true;

  const runOnce = async (): Promise<void> => {
    let found: Discovery;
    try {
      found = await discover();
    } catch (err) {
      found = { endpoints: current, errors: [(err as Error).message] };
    }
    if (stopped) return;
    const { added, removed } = diffEndpoints(current, found.endpoints);
    current = found.endpoints;
    if (isFirst || added.length > 0 || removed.length > 0 || found.errors.length > 0)
      opts.onChange({ added, removed, current, errors: found.errors });
    if (isFirst) {
      isFirst = false;
      markFirst(current);
    }
  };

  // One discovery at a time; events during one schedule exactly one more.
  const refresh = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        refresh();
      }
    });
  };
  const soon = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(refresh, opts.debounceMs ?? 200);
  };

  if (opts.events !== false) {
    const engines = opts.engines ?? presentEngines(opts);
    const streams: [string, string[]][] = [];
    // podman's events log file when it has one (no 33 MB `podman events` child), else its CLI.
    if (engines.includes('podman') && podmanEventsFileUsable()) {
      unfollow.push(
        followPodmanEventsFile(PODMAN_EVENTS_FILE, (e) => {
          if (CHURN.has(e.status)) soon();
        }),
      );
    } else if (engines.includes('podman')) {
      streams.push(['podman', ['events', '--format', 'json', '--filter', 'type=container']]);
    }
    if (engines.includes('containerd'))
      streams.push(['ctr', [...(opts.containerdSocket ? ['--address', opts.containerdSocket] : []), 'events']]);
    for (const [cmd, args] of streams) {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      child.on('error', () => {}); // the resync still covers this engine
      children.push(child);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        // ctr prints one text line per event: any of them may be a task start or exit.
        if (cmd === 'ctr' ? /\/tasks\/(start|exit|delete)/.test(line) : isChurnEvent(line)) soon();
      });
    }
    // Docker's API streams its events over the socket itself (no CLI needed).
    if (engines.includes('docker'))
      unfollow.push(
        followDockerEvents(opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET, {
          onEvent: (ev) => {
            if (isDockerChurn(ev)) soon();
          },
          onResync: soon,
        }),
      );
  }
  const resync = setInterval(refresh, opts.resyncMs ?? 30_000);
  resync.unref();
  refresh();

  return {
    first,
    refresh,
    stop() {
      stopped = true;
      clearTimeout(debounce);
      clearInterval(resync);
      for (const c of children) c.kill();
      for (const stop of unfollow) stop();
    },
  };
}
