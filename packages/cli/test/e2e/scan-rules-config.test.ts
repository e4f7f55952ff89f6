// `palisade scan fs --scanners config --rules-config FILE…` through the built CLI: user CEL rules
// report beside the built-in ones, and a broken rule file stops the scan with exit code 2.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanReport } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPalisade } from './cli-harness.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'palisade-rules-'));
const app = path.join(work, 'app');
const rules = path.join(work, 'rules.yaml');
const broken = path.join(work, 'broken.yaml');
const env = { PALISADE_CACHE_DIR: path.join(work, 'cache') };

beforeAll(() => {
  mkdirSync(app, { recursive: true });
  writeFileSync(
    path.join(app, 'deploy.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 30\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n',
  );
  writeFileSync(
    rules,
    `apiVersion: palisade.dev/v1
kind: ConfigRule
id: ACME-REPLICAS
severity: HIGH
title: Replica count within budget
match: {kinds: [Deployment], apiGroups: [apps]}
params: {max: 10}
validations:
  - expression: object.spec.replicas <= params.max
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' over budget'"
`,
  );
  writeFileSync(
    broken,
    'apiVersion: palisade.dev/v1\nkind: ConfigRule\nid: ACME-BAD\nseverity: HIGH\ntitle: x\nmatch: {kinds: [Pod]}\nvalidations:\n  - expression: object.spec.(\n',
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('palisade scan --rules-config', () => {
  it('reports a failing user rule at the resource line beside the built-in rules', async () => {
    const r = await runPalisade(['scan', 'fs', app, '--scanners', 'config', '--rules-config', rules, '-f', 'json'], {
      env,
    });
    expect(r.code, r.stderr).toBe(1);
    const rep = JSON.parse(r.stdout) as ScanReport;
    const findings = rep.results.flatMap((x) => x.findings);
    const mine = findings.find((f) => f.ruleId === 'ACME-REPLICAS');
    expect(mine).toMatchObject({ severity: 'HIGH', target: { path: 'deploy.yaml', line: 1 } });
    expect(mine?.description).toMatch(/^replicas 30 over budget\./);
    expect(findings.some((f) => f.ruleId.startsWith('PAL-K8S-'))).toBe(true);
  });

  it('exits 2 naming the file, rule, field and expression position when a rule does not compile', async () => {
    const r = await runPalisade(['scan', 'fs', app, '--scanners', 'config', '--rules-config', broken, '-f', 'json'], {
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${broken}: rule ACME-BAD: /validations/0/expression: CEL error at line 1, column 13`);
    expect(r.stdout).toBe('');
  });
});
