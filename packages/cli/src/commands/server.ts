// `palisade server`: the control plane on the embedded SQLite store (or PostgreSQL with --db).

import os from 'node:os';
import path from 'node:path';
import { startServer } from '@palisade/server';
import { Command, Option } from 'commander';
import { applyConfigFile, loadConfigFile } from '../config.js';

interface ServerFlags {
  dataDir: string;
  db?: string;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  config?: string;
  outputs?: string;
  bus?: string;
}

export function serverCommand(): Command {
  return new Command('server')
    .description(
      'run the Palisade server: REST API under /api/v1, OpenAPI at /api/v1/openapi.json, Swagger UI at /docs',
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the embedded SQLite database lives')
        .default(path.join(os.homedir(), '.palisade'))
        .env('PALISADE_DATA_DIR'),
    )
    .addOption(
      new Option('--db <url>', 'postgres://user:pass@host/db to use PostgreSQL instead of SQLite').env('PALISADE_DB'),
    )
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1').env('PALISADE_HOST'))
    .addOption(
      new Option('--port <port>', 'port to listen on')
        .default(8470)
        .argParser((v) => Number.parseInt(v, 10))
        .env('PALISADE_PORT'),
    )
    .addOption(
      new Option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)').env('PALISADE_TLS_CERT'),
    )
    .addOption(new Option('--tls-key <file>', 'PEM private key for --tls-cert').env('PALISADE_TLS_KEY'))
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info')
        .env('PALISADE_LOG_LEVEL'),
    )
    .addOption(
      new Option('--config <file>', 'configuration file (default ./palisade.yaml when present)').env('PALISADE_CONFIG'),
    )
    .addOption(
      new Option('--outputs <file>', 'YAML file of alert outputs (webhook, slack, elasticsearch, syslog)').env(
        'PALISADE_OUTPUTS',
      ),
    )
    .addOption(
      new Option(
        '--bus <url>',
        'event bus shared by server replicas: nats://[user:pass@|token@]host:4222[?creds=FILE] (NATS JetStream), ' +
          'tls://… for TLS; default the in-process bus of one server (memory:)',
      ).env('PALISADE_BUS'),
    )
    .action(async (_o, cmd: Command) => {
      applyConfigFile(cmd, loadConfigFile(cmd.opts<ServerFlags>().config));
      const flags = cmd.opts<ServerFlags>();
      const server = await startServer({
        dataDir: flags.dataDir,
        db: flags.db,
        host: flags.host,
        port: flags.port,
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        logLevel: flags.logLevel,
        outputsConfig: flags.outputs,
        bus: flags.bus,
        printBootstrapToken: false,
      });
      process.stderr.write(
        `palisade: server listening on ${server.url} (API ${server.url}/api/v1, docs ${server.url}/docs)\n`,
      );
      if (server.bootstrapToken) {
        // Shown once, on the first start only: the token is stored hashed.
        process.stderr.write(`palisade: bootstrap admin token (shown once, keep it safe): ${server.bootstrapToken}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
