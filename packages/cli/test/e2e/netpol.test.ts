// `palisade netpol` through the built CLI on the network package's example policy set.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import { runPalisade } from './cli-harness.js';

const shop = path.join(repoRoot, 'packages/network/test/fixtures/shop.yaml');

describe('palisade netpol', () => {
  it('test: allows frontend → api:8080 and says which policy decided; denies another port with exit 1', async () => {
    const allowed = await runPalisade([
      'netpol',
      'test',
      '-f',
      shop,
      '--from',
      'frontend',
      '--to',
      'shop/api:8080/tcp',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/ALLOW/);
    expect(allowed.stdout).toMatch(/api-ingress/);
    const denied = await runPalisade(['netpol', 'test', '-f', shop, '--from', 'frontend', '--to', 'api:9000/tcp']);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/DENY/);
  });

  it('validate: rejects a bad selector with its position and exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-netpol-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: x }\nspec:\n  selector: "app == "\n',
    );
    const r = await runPalisade(['netpol', 'validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml.*selector.*position/);
  });

  it('compile: prints one inet palisade table with fail-safe rules', async () => {
    const r = await runPalisade(['netpol', 'compile', '-f', shop]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/table inet palisade/);
    expect(r.stdout).toMatch(/ct state established,related accept|established,related/);
  });

  it('compile --mode audit: would-be denies are logged as "A <id>" and accepted; a bad mode is a usage error', async () => {
    const r = await runPalisade(['netpol', 'compile', '-f', shop, '--mode', 'audit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/log prefix "A \d+ " group 1 accept/);
    expect(r.stdout).not.toMatch(/log prefix "D \d+ "/);
    const bad = await runPalisade(['netpol', 'compile', '-f', shop, '--mode', 'lenient']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/enforce, audit/);
  });
});
