// The one seam every alert destination implements (stdout, file, HTTP, the Palisade server); the
// agent picks the set at start-up and hands each the same batches, in order.

import type { Alert } from '@palisade/core';

/** An alert with the agent's stable id for it (see alert-id.ts). */
export interface AlertRecord {
  id: string;
  alert: Alert;
}

export interface AlertOutput {
  readonly name: string;
  /** Takes one batch; resolves when the batch is written (or, for queued outputs, durably queued). */
  write(batch: readonly AlertRecord[]): void | Promise<void>;
  /** Reopens files after log rotation (SIGUSR1). */
  reopen?(): void;
  /** Numbers for `stats()`, e.g. the server queue's depth. */
  stats?(): Record<string, number>;
  /** Flushes what it holds and releases its resources. */
  close(): Promise<void>;
}
