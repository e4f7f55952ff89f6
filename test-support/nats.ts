// A throwaway nats-server with JetStream for tests: its own port on 127.0.0.1 and its own store
// directory, stopped and deleted by stop(). restart() keeps the port and the store, as an operator's
// restart would. Needs the Debian package nats-server (scripts/install-deps.sh installs it).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { freePort } from './free-port.js';

export interface NatsServerFixture {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Stops the server (store kept) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the server without deleting its store (a later restart() brings it back). */
  kill(): Promise<void>;
  /** Stops the server and deletes its store. */
  stop(): Promise<void>;
}

export function natsServerBinary(): string {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('nats-server not found: install the Debian package nats-server (bash scripts/install-deps.sh)');
}

/** Starts nats-server and resolves once it logs that it is ready (JetStream included). */
function launch(binary: string, port: number, storeDir: string, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(binary, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += String(d);
      if (log.includes('Server is ready')) {
        child.stderr?.off('data', onData);
        // Keep draining stderr so a chatty server never blocks on a full pipe.
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `extraArgs` go to nats-server as they are, e.g. ['--auth', TOKEN] to require a token. */
export async function startNatsServer(extraArgs: string[] = []): Promise<NatsServerFixture> {
  const binary = natsServerBinary();
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'h3-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(binary, port, storeDir, extraArgs);
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c) return;
    c.kill('SIGTERM');
    await exited(c);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    kill,
    async restart() {
      await kill();
      child = await launch(binary, port, storeDir, extraArgs);
    },
    async stop() {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** A plain client connection for tests that look at the server directly (streams, subscribers). */
export function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url });
}
