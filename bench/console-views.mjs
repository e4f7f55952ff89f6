// Console views and login on the embedded SQLite store (and PostgreSQL when PALISADE_BENCH_PG_URL
// names an empty database): 2,000 workloads on 200 images with 50 findings each (100,000
// findings), 20,000 alerts; prints the latency of top risks, images, an image's vulnerabilities,
// a 30-day trend, a snapshot, and a login (scrypt). Run after `npm run build`.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@palisade/store';

const WORKLOADS = 2000;
const IMAGES = 200;
const FINDINGS_PER_WORKLOAD = 50;
const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

async function time(fn, runs = 5) {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

async function bench(label, db) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'h2-bench-'));
  const store = await openStore({ dataDir, db });
  await store.tenants.createRoot('bench');
  const started = Date.now();
  const digest = (i) => `sha256:${(i % IMAGES).toString(16).padStart(64, '0')}`;
  for (let w = 0; w < WORKLOADS; w++) {
    const wl = await store.workloads.upsert('root', {
      kind: 'pod',
      name: `pod-${w}`,
      imageDigest: digest(w),
      namespace: `ns-${w % 10}`,
    });
    const findings = [];
    for (let f = 0; f < FINDINGS_PER_WORKLOAD; f++) {
      const ruleId = `CVE-2024-${(w % IMAGES) * 7 + f}`;
      findings.push({
        id: `fp-${ruleId}`,
        type: f % 25 === 0 ? 'exposure' : 'vulnerability',
        ruleId,
        severity: SEVERITIES[(w + f) % 4],
        title: ruleId,
        target: {},
        package: { name: `pkg-${f}`, version: '1.0' },
        references: [],
        status: 'open',
      });
    }
    await store.findings.ingestScan({
      tenantId: 'root',
      workloadId: wl.id,
      report: {
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        artifact: { name: `img-${w}`, type: 'image' },
        results: [{ target: 'os', class: 'os-pkgs', type: 'dpkg', packages: [], findings }],
        warnings: [],
      },
    });
    if (w % 10 === 0) {
      const agent = await store.agents.register('root', { name: `agent-${w}`, workloadId: wl.id });
      const now = Date.now();
      await store.events.insertBatch(
        'root',
        agent.id,
        Array.from({ length: 100 }, (_, i) => ({
          id: `e-${w}-${i}`,
          ts: new Date(now - i * 60_000).toISOString(),
          type: 'exec',
          rule: 'Terminal shell in container',
          priority: i % 2 ? 'Warning' : 'Critical',
        })),
      );
    }
  }
  const loadSeconds = (Date.now() - started) / 1000;
  await store.users.create({ tenantId: 'root', name: 'bench', role: 'analyst', password: 'bench password 1234' });

  const figures = {
    'top risks (limit 10)': await time(() => store.posture.topRisks('/root/', {}, { limit: 10 })),
    'images (limit 50)': await time(() => store.images.list('/root/', {}, { limit: 50 })),
    "an image's vulnerabilities (limit 50)": await time(() =>
      store.images.vulnerabilities(digest(7), '/root/', {}, { limit: 50 }),
    ),
    'snapshot of a tenant': await time(() => store.posture.recordSnapshot('root')),
    'trend, 30 days': await time(() => store.posture.trends('/root/', 30)),
    'login (scrypt N=2^15)': await time(() => store.users.login('bench', 'bench password 1234')),
  };
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `\n${label}: ${WORKLOADS} workloads, ${WORKLOADS * FINDINGS_PER_WORKLOAD} findings, loaded in ${loadSeconds.toFixed(1)} s`,
  );
  for (const [what, ms] of Object.entries(figures))
    console.log(`  ${what.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms (best of 5)`);
}

await bench('SQLite', undefined);
if (process.env.PALISADE_BENCH_PG_URL) await bench('PostgreSQL', process.env.PALISADE_BENCH_PG_URL);
