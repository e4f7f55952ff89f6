// The agent's durable outbox for the server: records are committed to SQLite before the pipeline
// moves on, read back in order, and deleted only once the server has acknowledged them.

import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@palisade/core';
import Database from 'better-sqlite3';

export interface QueuedRecord {
  seq: number;
  id: string;
  body: string;
}

export class DiskQueue {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, string]>;
  private readonly selectHead: Database.Statement<[number]>;
  private readonly deleteUpTo: Database.Statement<[number]>;
  private readonly count: Database.Statement<[]>;
  private readonly insertMany: (items: readonly { id: string; body: string }[]) => number;
  private cachedDepth: number;

  constructor(readonly dir: string) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.db = new Database(path.join(dir, 'outbox.sqlite'));
    } catch (err) {
      throw new InputError(`cannot open the agent queue in ${dir}: ${(err as Error).message}`);
    }
    // WAL + FULL: a committed enqueue survives a crash or power loss, and readers never block the writer.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)',
    );
    this.insert = this.db.prepare('INSERT OR IGNORE INTO outbox (id, body) VALUES (?, ?)');
    this.selectHead = this.db.prepare('SELECT seq, id, body FROM outbox ORDER BY seq LIMIT ?');
    this.deleteUpTo = this.db.prepare('DELETE FROM outbox WHERE seq <= ?');
    this.count = this.db.prepare('SELECT count(*) AS n FROM outbox');
    // One transaction per batch: one fsync for hundreds of alerts, and a batch is all-or-nothing.
    this.insertMany = this.db.transaction((items: readonly { id: string; body: string }[]) => {
      let n = 0;
      for (const it of items) n += this.insert.run(it.id, it.body).changes;
      return n;
    });
    this.cachedDepth = (this.count.get() as { n: number }).n;
  }

  /** Commits the records; an id already queued is ignored (the same alert is never queued twice). Returns how many were new. */
  enqueue(items: readonly { id: string; body: string }[]): number {
    if (items.length === 0) return 0;
    const n = this.insertMany(items);
    this.cachedDepth += n;
    return n;
  }

  /** The oldest records, in order. */
  head(limit: number): QueuedRecord[] {
    return this.selectHead.all(limit) as QueuedRecord[];
  }

  /** Removes every record up to and including `seq` (after the server acknowledged them). */
  ack(seq: number): void {
    const { changes } = this.deleteUpTo.run(seq);
    this.cachedDepth = Math.max(0, this.cachedDepth - changes);
  }

  depth(): number {
    return this.cachedDepth;
  }

  close(): void {
    this.db.close();
  }
}
