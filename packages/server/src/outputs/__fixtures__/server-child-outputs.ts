// Child-process entry for the outbox crash test: starts a server with an outputs file on the given
// data dir (and PostgreSQL URL, if any) and prints its URL as one JSON line.

import { startServer } from '../../start-server.js';

const [dataDir, bootstrapToken, outputsConfig, db] = process.argv.slice(2);
if (!dataDir || !outputsConfig) throw new Error('usage: server-child-outputs DATA_DIR TOKEN OUTPUTS_YAML [DB_URL]');
const server = await startServer({
  dataDir,
  db: db || undefined,
  port: 0,
  bootstrapToken,
  outputsConfig,
  logLevel: 'silent',
  rateLimit: false,
  printBootstrapToken: false,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
