// Alerts on stdout: `json` is one Falco-shaped alert per line (what `falco -o json_output=true`
// prints, so Falco tooling can read it), `text` is Falco's text line (time: Priority output).

import type { Writable } from 'node:stream';
import type { AlertOutput, AlertRecord } from './alert-output.js';

export type StdoutFormat = 'json' | 'text';

export function formatAlertLine(rec: AlertRecord, format: StdoutFormat): string {
  return format === 'json' ? JSON.stringify(rec.alert) : rec.alert.output;
}

export function stdoutOutput(format: StdoutFormat, stream: Writable = process.stdout): AlertOutput {
  return {
    name: `stdout-${format}`,
    write(batch) {
      if (batch.length === 0) return;
      let text = '';
      for (const rec of batch) text += `${formatAlertLine(rec, format)}\n`;
      // One write per batch; a slow reader (a pipe) buffers in the stream rather than in our loop.
      stream.write(text);
    },
    async close() {
      if (stream === process.stdout || stream === process.stderr) return;
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}
