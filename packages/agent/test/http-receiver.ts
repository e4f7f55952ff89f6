// A loopback HTTP receiver for output tests: records every request and can be told to fail
// (status code or dropped connection) so retries and the disk queue can be exercised.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status to answer with; 'drop' destroys the socket. */
  mode: number | 'drop' = 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (this.mode === 'drop') {
        req.socket.destroy();
        return;
      }
      if (this.mode >= 200 && this.mode < 300)
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(this.mode, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: this.mode < 300 }));
    });
  });

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Every NDJSON line of every accepted request, parsed. */
  lines(): Record<string, unknown>[] {
    return this.requests.flatMap((r) =>
      r.body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }
}
