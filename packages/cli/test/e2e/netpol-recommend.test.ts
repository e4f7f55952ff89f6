// `palisade netpol recommend` and `netpol export --to cilium` through the built CLI.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../../../../test-support/paths.js';
import { runPalisade } from './cli-harness.js';

const shop = path.join(repoRoot, 'packages/network/test/fixtures/shop.yaml');

const endpoint = (name: string, ip: string, app: string) => ({
  ip,
  name,
  kind: 'WorkloadEndpoint',
  namespace: 'shop',
  labels: { app },
});
const record = (src: object, dst: object, port: number, action = 'allow') => ({
  startTime: '2026-01-01T00:00:00.000Z',
  endTime: '2026-01-01T00:00:15.000Z',
  source: src,
  destination: dst,
  protocol: 'TCP',
  destinationPort: port,
  action,
  policies: [],
  flows: 1,
  packetsOut: 3,
  bytesOut: 180,
  packetsIn: 2,
  bytesIn: 120,
});
const fe = endpoint('frontend', '10.10.1.2', 'frontend');
const api = endpoint('api', '10.10.2.2', 'api');
const db = endpoint('db', '10.10.3.2', 'db');

function flowsFile(records: object[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-recommend-'));
  const file = path.join(dir, 'flows.jsonl');
  writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return file;
}

describe('palisade netpol recommend', () => {
  it('prints staged policies for the observed flows and a summary on stderr', async () => {
    const file = flowsFile([record(fe, api, 8080), record(api, db, 5432), record(fe, db, 5432, 'deny')]);
    const r = await runPalisade(['netpol', 'recommend', '--flows', file]);
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => (Array.isArray(d) ? undefined : d.toJS()));
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'StagedNetworkPolicy shop/recommended-api',
      'StagedNetworkPolicy shop/recommended-db',
      'StagedNetworkPolicy shop/recommended-frontend',
    ]);
    expect(r.stderr).toContain('recommend: 3 flow records, 2 used (1 denied');
  });

  it('json output, --enforced, --tier; exit 1 and the reason when an existing policy would still deny a flow', async () => {
    const file = flowsFile([record(fe, db, 5432)]);
    // A Deny in an earlier tier decides before any recommended Allow in the default tier.
    const blockDb = path.join(path.dirname(file), 'block-db.yaml');
    writeFileSync(
      blockDb,
      `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: security.block-db }
spec:
  tier: security
  order: 1
  selector: app == 'db'
  types: [Ingress]
  ingress: [{ action: Deny, protocol: TCP, destination: { ports: [5432] } }]
`,
    );
    const args = ['netpol', 'recommend', '--flows', file, '-f', shop, blockDb];
    const r = await runPalisade([...args, '--enforced', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { documents: { kind: string }[]; report: { stillDenied: unknown[] } };
    expect(out.documents.map((d) => d.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy']);
    expect(out.report.stillDenied).toEqual([
      {
        source: 'frontend',
        destination: 'db',
        protocol: 'TCP',
        destinationPort: 5432,
        deniedBy: 'GlobalNetworkPolicy/security.block-db: deny',
      },
    ]);
    expect(r.stderr).toContain('still denied: frontend -> db:5432/tcp by GlobalNetworkPolicy/security.block-db: deny');
    const tiered = await runPalisade([...args, '--tier', 'security']);
    expect(tiered.stdout).toContain('name: security.recommended-db');
  });

  it('rejects a bad flow record with its line, and a bad option, with exit 2', async () => {
    const file = flowsFile([record(fe, api, 8080), { source: {} }]);
    const r = await runPalisade(['netpol', 'recommend', '--flows', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/flows\.jsonl:2: not a flow log record/);
    const good = flowsFile([record(fe, api, 8080)]);
    const p = await runPalisade(['netpol', 'recommend', '--flows', good, '--cidr-prefix', '40']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('--cidr-prefix must be at most 32');
  });
});

describe('palisade netpol export --to cilium', () => {
  it('writes cilium.io/v2 documents and the fidelity report, exit 1 when something was lost', async () => {
    const r = await runPalisade(['netpol', 'export', '-f', shop, '--to', 'cilium']);
    expect(r.code).toBe(1);
    const kinds = parseAllDocuments(r.stdout).map((d) => (Array.isArray(d) ? undefined : d.toJS().kind));
    expect(kinds).toContain('CiliumNetworkPolicy');
    expect(kinds).toContain('CiliumClusterwideNetworkPolicy');
    expect(r.stderr).toMatch(
      /^fidelity: GlobalNetworkPolicy\/security\.quarantine \/spec\/ingress\/1: Pass has no Cilium equivalent/m,
    );
    expect(parse(r.stdout.split('---\n')[0]!)).toMatchObject({ apiVersion: 'cilium.io/v2' });
  });
});
