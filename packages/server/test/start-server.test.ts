// startServer on a real port: first-start bootstrap only once, the typed client against it,
// graceful close, TLS with a certificate made by openssl, and clear errors for bad options.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { AuthError, InputError, NotFoundError, UsageError } from '@palisade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test-support/tls.js';
import { finding, report } from '../../store/test/sample-report.js';
import { PalisadeClient } from '../src/client.js';
import { startServer } from '../src/start-server.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'palisade-start-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('startServer', () => {
  it('bootstraps an admin token on first start only, and the client drives the API with it', async () => {
    const dataDir = tempDir();
    const s1 = await startServer({ dataDir, port: 0, logLevel: 'silent', printBootstrapToken: false });
    expect(s1.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const admin = s1.bootstrapToken;
    if (!admin) throw new Error('no bootstrap token on first start');
    const client = new PalisadeClient(s1.url, admin);
    const ci = await client.createToken({ name: 'pipeline', role: 'ci' });
    const up = await new PalisadeClient(s1.url, ci.token).uploadScan(report('api:1', [finding('CVE-C1', 'CRITICAL')]), {
      kind: 'container',
      name: 'api',
    });
    expect(up).toMatchObject({ opened: 1, findings: 1 });
    const page = await client.listFindings({ severity: 'CRITICAL', status: 'open' });
    expect(page.items.map((f) => f.ruleId)).toEqual(['CVE-C1']);
    expect((await client.getFinding(page.items[0]?.id ?? '')).severity).toBe('CRITICAL');
    expect((await client.listWorkloads({ kind: 'container' })).items.map((w) => w.name)).toEqual(['api']);
    expect((await client.listTokens()).items.map((t) => t.name)).toEqual(
      expect.arrayContaining(['bootstrap admin', 'pipeline']),
    );
    await expect(client.getWorkload('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.listFindings({ severity: 'BAD' })).rejects.toBeInstanceOf(InputError);
    await expect(new PalisadeClient(s1.url, ci.token).listFindings()).rejects.toBeInstanceOf(AuthError);
    await s1.close();
    await expect(fetch(`${s1.url}/healthz`)).rejects.toThrow();

    const s2 = await startServer({ dataDir, port: 0, logLevel: 'silent' });
    expect(s2.bootstrapToken).toBeUndefined();
    expect((await new PalisadeClient(s2.url, admin).posture()).findings.bySeverity.CRITICAL).toBe(1);
    await s2.close();
  });

  it('takes the bootstrap token from PALISADE_BOOTSTRAP_TOKEN and refuses a malformed one', async () => {
    const preset = `pal_boot_${'a1'.repeat(32)}`;
    process.env.PALISADE_BOOTSTRAP_TOKEN = preset;
    try {
      const s = await startServer({ dataDir: tempDir(), port: 0, logLevel: 'silent', printBootstrapToken: false });
      expect(s.bootstrapToken).toBe(preset);
      expect((await new PalisadeClient(s.url, preset).listTenants()).items.map((t) => t.id)).toEqual(['root']);
      await s.close();
    } finally {
      delete process.env.PALISADE_BOOTSTRAP_TOKEN;
    }
    await expect(
      startServer({ dataDir: tempDir(), port: 0, logLevel: 'silent', bootstrapToken: 'hunter2' }),
    ).rejects.toBeInstanceOf(UsageError);
  });

  it('serves over TLS when given a certificate and key', async () => {
    const dir = tempDir();
    const { cert, key } = selfSignedCert(dir);
    const s = await startServer({
      dataDir: dir,
      port: 0,
      logLevel: 'silent',
      tlsCert: cert,
      tlsKey: key,
      printBootstrapToken: false,
    });
    try {
      expect(s.url).toMatch(/^https:/);
      // Verifies the chain against the certificate we made: the server really speaks TLS with it.
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${s.url}/healthz`, { ca: readFileSync(cert) }, (res) => {
            let data = '';
            res.on('data', (d) => {
              data += String(d);
            });
            res.on('end', () => resolve(data));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
    } finally {
      await s.close();
    }
  });

  it('names the problem with bad TLS options', async () => {
    await expect(startServer({ dataDir: tempDir(), port: 0, tlsCert: '/nonexistent/cert.pem' })).rejects.toThrow(
      /go together/,
    );
    await expect(
      startServer({ dataDir: tempDir(), port: 0, tlsCert: '/nonexistent/c.pem', tlsKey: '/nonexistent/k.pem' }),
    ).rejects.toThrow(/\/nonexistent\/c\.pem/);
  });
});
