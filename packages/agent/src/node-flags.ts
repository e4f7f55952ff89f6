// The V8 settings the agent daemon runs with, shared by the systemd unit (NODE_OPTIONS), the CLI
// (which re-executes node with them when they are missing) and the benchmark, so what is measured
// is what ships; and a watch that reports what they gave.

import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * Semi-spaces of 4 MiB instead of V8's 16: every event is garbage within microseconds, so a
 * scavenge finds almost nothing alive and costs the same at any young-generation size, while the
 * larger one holds ~25 MB more resident at 250,000 events/s (measured: same CPU, 117 vs 127+ MB).
 */
export const AGENT_SEMI_SPACE_MB = 4;
export const AGENT_NODE_OPTIONS = `--max-semi-space-size=${AGENT_SEMI_SPACE_MB}`;

const MIB = 1024 * 1024;
const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(=|$)/;

/** Whether node was started with a semi-space limit, on its command line or in NODE_OPTIONS. */
export function semiSpaceFlagGiven(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => SEMI_SPACE_FLAG.test(a));
}

/** The young generation's reserved size (both semi-spaces), in MiB. */
export function newSpaceMb(): number {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space ? space.space_size / MIB : 0;
}

export interface YoungGenerationWatch {
  /** Whether node was started with the semi-space limit (else V8's 16 MiB default applies). */
  readonly flagGiven: boolean;
  /** The largest young generation seen after a garbage collection, in MiB (both semi-spaces). */
  peakMb(): number;
  stop(): void;
}

/**
 * Records the young generation's size after each garbage collection, so that the agent can report
 * what its V8 settings gave. It only watches: V8 reads --max-semi-space-size when the heap is
 * created and ignores it set later, and holding the size at run time through
 * --semi-space-growth-factor does not survive the agent's bursts (measured: 32 MiB under an
 * openat storm), which is why `palisade agent` re-executes node with the flag instead.
 */
export function watchYoungGeneration(): YoungGenerationWatch {
  let peak = newSpaceMb();
  const observer = new PerformanceObserver(() => {
    peak = Math.max(peak, newSpaceMb());
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    flagGiven: semiSpaceFlagGiven(),
    peakMb: () => Math.max(peak, newSpaceMb()),
    stop: () => observer.disconnect(),
  };
}
