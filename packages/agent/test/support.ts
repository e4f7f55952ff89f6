// Test helpers for the agent: an output that keeps what it is given, event builders, and a poll
// loop with a generous deadline (tests wait for behaviour, never assert timings).

import type { RuntimeEvent } from '@palisade/core';
import type { AlertOutput, AlertRecord } from '../src/outputs/alert-output.js';

export class MemoryOutput implements AlertOutput {
  readonly name = 'memory';
  readonly records: AlertRecord[] = [];
  readonly batches: number[] = [];
  closed = false;
  write(batch: readonly AlertRecord[]): void {
    this.batches.push(batch.length);
    this.records.push(...batch);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  rules(): string[] {
    return this.records.map((r) => r.alert.rule);
  }
}

let seq = 0;

export function execEvent(comm: string, over: Partial<RuntimeEvent> = {}): RuntimeEvent {
  seq++;
  return {
    ts: 1_796_000_000_000_000_000 + seq * 1000,
    host: 'test-host',
    type: 'execve',
    proc: { pid: 10_000 + seq, ppid: 1, uid: 0, gid: 0, exe: comm, comm, args: [], cwd: '/', tty: 0 },
    res: 0,
    num: seq,
    ...over,
  };
}

export function openEvent(file: string): RuntimeEvent {
  const ev = execEvent('cat');
  return { ...ev, type: 'openat', fd: { name: file, type: 'file', openFlags: 0 }, res: 3 };
}

export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
