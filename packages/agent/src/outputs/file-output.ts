// Alerts appended to a file as NDJSON (Falco's file_output with json_output). The file is opened
// in append mode and reopened on request, so logrotate's move-then-SIGUSR1 works without copytruncate.

import fs from 'node:fs';
import { InputError } from '@palisade/core';
import type { AlertOutput } from './alert-output.js';

export function fileOutput(file: string): AlertOutput {
  const open = (): number => {
    try {
      return fs.openSync(file, 'a', 0o640);
    } catch (err) {
      throw new InputError(`cannot open alert output file ${file}: ${(err as Error).message}`);
    }
  };
  let fd = open();
  let written = 0;
  return {
    name: `file:${file}`,
    write(batch) {
      if (batch.length === 0) return;
      let text = '';
      for (const rec of batch) text += `${JSON.stringify(rec.alert)}\n`;
      // Synchronous append: the batch lands whole, and an O_APPEND write never interleaves mid-line.
      fs.writeSync(fd, text);
      written += batch.length;
    },
    reopen() {
      const next = open();
      fs.closeSync(fd);
      fd = next;
    },
    stats: () => ({ fileAlertsWritten: written }),
    async close() {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    },
  };
}
