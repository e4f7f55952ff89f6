// `startServer({ outputsConfig })` on a real port: alerts sent through the client reach a webhook;
// what is still being retried at shutdown stays in the outbox and goes out after a restart; bad
// files fail early.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@palisade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { PalisadeClient } from '../client.js';
import { startServer } from '../start-server.js';
import { HttpReceiver, verifyWebhook, waitUntil } from './__fixtures__/receivers.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'palisade-outputs-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const alert = (id: string) => ({
  id,
  ts: '2026-11-27T03:40:00Z',
  type: 'execve',
  host: 'web-1',
  rule: 'Read sensitive file untrusted',
  priority: 'Warning',
  output: 'Sensitive file opened for reading (file=/etc/shadow)',
});

describe('startServer with an outputs file', () => {
  it('delivers alerts, and resumes after a restart what was still being retried', async () => {
    const hook = new HttpReceiver();
    const url = await hook.start();
    let up = true;
    const delivered: string[] = [];
    hook.respond = (req) => {
      if (!up) return { status: 503 };
      if (verifyWebhook(req, 'from-the-environment-0123', Math.floor(Date.now() / 1000))) return { status: 401 };
      delivered.push((JSON.parse(req.body) as { uuid: string }).uuid);
      return { status: 200 };
    };
    const dir = tempDir();
    const file = path.join(dir, 'outputs.yaml');
    writeFileSync(
      file,
      `outputs:
  - name: soc
    type: webhook
    url: ${url}
    secret: \${H15_TEST_WEBHOOK_SECRET}
    retry: { attempts: 20, initialDelayMs: 200, maxDelayMs: 200 }
`,
    );
    process.env.H15_TEST_WEBHOOK_SECRET = 'from-the-environment-0123';
    try {
      const dataDir = path.join(dir, 'data');
      const s1 = await startServer({
        dataDir,
        port: 0,
        logLevel: 'silent',
        printBootstrapToken: false,
        outputsConfig: file,
      });
      const admin = s1.bootstrapToken ?? '';
      const client = new PalisadeClient(s1.url, admin);
      await client.sendEvents([alert('a1')]);
      await waitUntil(() => hook.requests.length === 1, 'the first delivery');
      expect(hook.requests[0]?.headers['x-palisade-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);

      up = false;
      await client.sendEvents([alert('a2')]);
      await waitUntil(() => hook.requests.length >= 2, 'a failing attempt');
      await s1.close();

      const s2 = await startServer({ dataDir, port: 0, logLevel: 'silent', outputsConfig: file });
      const c2 = new PalisadeClient(s2.url, admin);
      up = true;
      await waitUntil(() => delivered.length === 2, 'the resumed delivery');
      expect(delivered).toEqual(['a1', 'a2']);
      expect((await c2.listDeadLetters({ output: 'soc' })).items).toEqual([]);
      await s2.close();
    } finally {
      delete process.env.H15_TEST_WEBHOOK_SECRET;
      await hook.stop();
    }
  });

  it('refuses a broken outputs file before opening the store', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'outputs.yaml');
    writeFileSync(file, 'outputs:\n  - { name: x, type: webhook }\n');
    const dataDir = path.join(dir, 'data');
    const err = await startServer({ dataDir, port: 0, logLevel: 'silent', outputsConfig: file }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`outputs config ${file}: outputs[0] (x)`);
    expect(existsSync(dataDir)).toBe(false);
    await expect(
      startServer({ dataDir, port: 0, logLevel: 'silent', outputsConfig: path.join(dir, 'missing.yaml') }),
    ).rejects.toThrow(/cannot read outputs config .*missing\.yaml/);
  });
});
