// `palisade server --bus`: the bus URL reaches the server from the flag, PALISADE_BUS or
// palisade.yaml; a NATS that is down stops the start with exit 2 and a message naming the server
// (never its credentials); a running one gets the server's stream.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test-support/free-port.js';
import { type NatsServerFixture, natsClient, startNatsServer } from '../../../../test-support/nats.js';
import { palisadeBin, runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'h3-server-bus-'));
let nats: NatsServerFixture | undefined;
let server: ChildProcess | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  server?.kill('SIGTERM');
  await nats?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('palisade server --bus', () => {
  it('exits 2 naming the NATS server, without its password, when NATS is down (flag and env)', async () => {
    const port = await freePort();
    const args = ['server', '--data-dir', path.join(work, 'down'), '--port', '0'];
    const byFlag = await runPalisade([...args, '--bus', `nats://ops:pw-h3-secret@127.0.0.1:${port}`]);
    expect(byFlag.code).toBe(2);
    expect(byFlag.stderr).toContain(`cannot connect to NATS at nats://127.0.0.1:${port}: connection refused`);
    expect(byFlag.stderr).not.toContain('pw-h3-secret');
    const byEnv = await runPalisade(args, { env: { PALISADE_BUS: `nats://127.0.0.1:${port}` } });
    expect(byEnv.code).toBe(2);
    expect(byEnv.stderr).toContain(`nats://127.0.0.1:${port}`);
  });

  it('takes the bus from palisade.yaml and creates its JetStream stream on start', async () => {
    const url = (nats as NatsServerFixture).url;
    writeFileSync(path.join(work, 'palisade.yaml'), `bus: ${url}\n`);
    server = spawn(
      process.execPath,
      [palisadeBin, 'server', '--data-dir', path.join(work, 'data'), '--port', '0', '--log-level', 'warn'],
      { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let text = '';
      server?.stderr?.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        if (/listening on \S+/.test(text)) resolve();
      });
      server?.once('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
    });
    const nc = await natsClient(url);
    try {
      const info = await (await nc.jetstreamManager()).streams.info('PALISADE');
      expect(info.config.subjects).toEqual(['palisade.>']);
    } finally {
      await nc.close();
    }
  });
});
