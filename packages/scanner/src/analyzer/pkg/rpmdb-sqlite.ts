// Reads the header blobs of rpm's SQLite package database (`rpmdb.sqlite`, table
// `Packages(hnum, blob)`), deserialized from memory so nothing touches the disk.

import { InputError } from '@palisade/core';
import Database from 'better-sqlite3';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

export function readSqliteBlobs(db: Buffer, file: string): Buffer[] {
  if (db.length < 100 || db.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new InputError(`${file}: not an SQLite database`);
  }
  let conn: Database.Database | undefined;
  try {
    // A WAL-mode header (bytes 18/19 = 2) makes an in-memory copy unreadable; read it as rollback mode.
    const copy = Buffer.from(db);
    if (copy[18] === 2) copy[18] = 1;
    if (copy[19] === 2) copy[19] = 1;
    conn = new Database(copy, { readonly: true });
    const rows = conn.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().all() as unknown[][];
    const blobs: Buffer[] = [];
    for (const [blob] of rows) {
      if (!Buffer.isBuffer(blob)) throw new InputError(`${file}: Packages row holds no blob`);
      blobs.push(blob);
    }
    return blobs;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(
      `${file}: cannot read rpm SQLite database: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    conn?.close();
  }
}
