#!/usr/bin/env node
// bench/netpol-recommend: policy recommendation from a large flow log (generated: workloads in
// namespaces talking to each other and to external addresses), and the Cilium export of the
// result. Prints flow records per second and the time of each step. Asserts nothing.
//   npx tsc -b packages/network && node bench/netpol-recommend.mjs

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './lib/measure.mjs';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 2_000);
const APPS = 200;
const NAMESPACES = 20;

const net = await import(pathToFileURL(path.join(repoRoot, 'packages/network/dist/index.js')).href);

const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({
  ip: ipOf(i + 256),
  // Deployment-style replica names; app and namespace decide the group.
  name: `app-${i % APPS}-5d8f7c9b6-${i.toString(36).padStart(5, '0')}`,
  kind: 'WorkloadEndpoint',
  namespace: `ns-${(i % APPS) % NAMESPACES}`,
  labels: { app: `app-${i % APPS}`, 'pod-template-hash': '5d8f7c9b6' },
}));
// Each app talks to a few others on a few ports, and to some external addresses.
const lines = [];
for (let r = 0; r < RECORDS; r++) {
  const src = endpoints[(r * 7919) % ENDPOINTS];
  const app = Number(src.labels.app.slice(4));
  const external = r % 10 === 0;
  const dst = external
    ? { ip: `203.0.${(r >> 8) & 255}.${r & 255}`, ...(r % 20 === 0 ? { domain: `api${app % 5}.partner.test` } : {}) }
    : endpoints[(((app * 3 + (r % 4)) % APPS) + APPS * ((r >> 2) % Math.floor(ENDPOINTS / APPS))) % ENDPOINTS];
  const record = {
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: '2026-01-01T00:00:15.000Z',
    source: src,
    destination: dst,
    protocol: r % 13 === 0 ? 'UDP' : 'TCP',
    destinationPort: external ? 443 : 8000 + (r % 5),
    action: 'allow',
    policies: [],
    flows: 1,
    packetsOut: 5,
    bytesOut: 400,
    packetsIn: 4,
    bytesIn: 900,
  };
  lines.push(JSON.stringify(record));
}
const text = `${lines.join('\n')}\n`;
const model = net.loadPolicyModel([]);

const time = (fn) => {
  const t = performance.now();
  const value = fn();
  return [value, performance.now() - t];
};
const [records, parseMs] = time(() => net.parseFlowLog(text, 'bench'));
const [rec, recommendMs] = time(() => net.recommendPolicies(records, model, { cidrPrefix: { v4: 24 } }));
const rules = rec.policies.reduce((n, p) => n + p.ingress.length + p.egress.length, 0);
const recommended = net.loadPolicyModel([
  { path: 'recommended.yaml', text: rec.documents.map((d) => JSON.stringify(d)).join('\n---\n') },
]);
const promoted = { ...recommended, policies: recommended.policies.map((p) => ({ ...p, staged: false })) };
const [cilium, ciliumMs] = time(() => net.exportCiliumPolicies(promoted));

console.log(
  `flow log: ${RECORDS} records (${(text.length / 1e6).toFixed(1)} MB), ${ENDPOINTS} endpoints, ${APPS} apps`,
);
console.log(`parse + validate: ${parseMs.toFixed(0)} ms (${Math.round(RECORDS / (parseMs / 1000))} records/s)`);
console.log(
  `recommend (with the evaluator check of every distinct flow): ${recommendMs.toFixed(0)} ms (${Math.round(RECORDS / (recommendMs / 1000))} records/s) → ${rec.policies.length} policies, ${rules} rules, ${rec.report.stillDenied.length} still denied`,
);
console.log(
  `Cilium export of the promoted policies: ${ciliumMs.toFixed(0)} ms, ${cilium.exported} documents, ${cilium.notes.length} fidelity notes`,
);
