#!/usr/bin/env node
// bench/netpol: policy at scale: 10,000 workload endpoints and 1,000 policies, generated. Prints
// load, compile and render time, atomic apply time in a private network namespace (root only),
// a single endpoint added (incremental element adds), and evaluator throughput. Asserts nothing.
//   npx tsc -b packages/network && node bench/netpol.mjs

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, repoRoot } from './lib/measure.mjs';

const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 10_000);
const POLICIES = Number(process.env.BENCH_POLICIES ?? 1_000);
const NAMESPACES = 50;
const APPS = 200;

const net = await import(pathToFileURL(path.join(repoRoot, 'packages/network/dist/index.js')).href);

const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 0}`;

function endpointDoc(i) {
  return `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: pod-${i}, namespace: ns-${i % NAMESPACES}, labels: { app: app-${i % APPS}, tier: t${i % 3} } }
spec: { interfaceName: cali${i.toString(16).padStart(8, '0')}, ipNetworks: [${ipOf(i + 256)}/32], ports: [{ name: http, port: 8080, protocol: TCP }] }`;
}

function policyDoc(i) {
  const app = `app-${i % APPS}`;
  const peer = `app-${(i * 7 + 3) % APPS}`;
  if (i % 10 === 0)
    return `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: gnp-${i} }
spec:
  order: ${i}
  selector: tier == 't${i % 3}' && app in {'${app}', '${peer}'}
  types: [Ingress, Egress]
  ingress:
    - { action: Deny, source: { nets: [192.0.2.0/24, 198.51.100.${i % 256}] } }
    - { action: Allow, protocol: TCP, source: { selector: app == '${peer}' }, destination: { ports: [443, '8000:8100'] } }
  egress:
    - { action: Allow, protocol: UDP, destination: { ports: [53] } }
    - { action: Pass }`;
  return `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: np-${i}, namespace: ns-${i % NAMESPACES} }
spec:
  order: ${100 + (i % 50)}
  selector: app == '${app}'
  ingress:
    - { action: Allow, protocol: TCP, source: { selector: app == '${peer}' }, destination: { ports: [http] } }
    - { action: Allow, protocol: TCP, source: { namespaceSelector: has(team) }, destination: { ports: [9090] } }`;
}

const time = (fn) => {
  const t = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
};

const endpointsText = Array.from({ length: ENDPOINTS }, (_, i) => endpointDoc(i)).join('\n---\n');
const policiesText = Array.from({ length: POLICIES }, (_, i) => policyDoc(i)).join('\n---\n');
const inputs = [
  { path: 'endpoints.yaml', text: endpointsText },
  { path: 'policies.yaml', text: policiesText },
];

const [model, loadMs] = time(() => net.loadPolicyModel(inputs));
const [ruleset, compileMs] = time(() => net.compileRuleset(model));
const [script, renderMs] = time(() => net.renderReplace(ruleset, undefined));
console.log(`netpol: ${ENDPOINTS} endpoints, ${POLICIES} policies`);
console.log(`  load + validate YAML      ${fmt(loadMs, 0)} ms`);
console.log(`  compile                   ${fmt(compileMs, 0)} ms  (target < 500 ms with render)`);
console.log(
  `  render nft script         ${fmt(renderMs, 0)} ms  (${(script.length / 1e6).toFixed(1)} MB, ${ruleset.chains.length} chains, ${ruleset.sets.length} sets)`,
);
console.log(`  compile + render          ${fmt(compileMs + renderMs, 0)} ms`);

const flows = Array.from({ length: 20_000 }, (_, i) => ({
  src: ipOf(((i * 31) % ENDPOINTS) + 256),
  dst: ipOf(((i * 17) % ENDPOINTS) + 256),
  protocol: 6,
  srcPort: 40000,
  dstPort: 8080,
}));
net.evaluate(flows[0], model);
const [, evalMs] = time(() => {
  for (const f of flows) net.evaluate(f, model);
});
console.log(`  evaluate                  ${fmt((flows.length / evalMs) * 1000, 0)} flows/s`);

if (process.getuid?.() === 0) {
  const ns = `pnb${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const [, firstMs] = time(() => execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script }));
    const t0 = process.hrtime.bigint();
    await net.applyRuleset(ruleset, { netns: ns }); // lists the table, then one flush-and-define transaction
    const applyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`  atomic apply (first)      ${fmt(firstMs, 0)} ms`);
    console.log(`  atomic apply (replace)    ${fmt(applyMs, 0)} ms  (target < 1500 ms)`);
    // A new pod of an existing app (same labels as pod-0): element adds in one transaction.
    const [endpointModel] = time(() =>
      net.loadPolicyModel([
        {
          path: 'one.yaml',
          text: endpointDoc(ENDPOINTS)
            .replace(/app: app-\d+, tier: t\d+/, 'app: app-0, tier: t0')
            .replace(/ns-\d+/, 'ns-0'),
        },
      ]),
    );
    const newPod = endpointModel.endpoints[0];
    let computeMs = 0;
    const [added, addMs] = time(() => {
      const [add, ms] = time(() => net.addEndpointIncrementally(ruleset, newPod));
      computeMs = ms;
      if (!add) return undefined;
      execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
        input: net.renderElementAdds('palisade', add.adds),
      });
      return add;
    });
    if (added)
      console.log(
        `  one endpoint added        ${fmt(addMs, 1)} ms  (compute ${fmt(computeMs, 1)} ms + one nft -f of ${added.adds.length} element batches; target < 50 ms)`,
      );
    else console.log('  one endpoint added        needs a recompile (not incremental for this endpoint)');
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
} else {
  console.log('  atomic apply              skipped (needs root for a private network namespace)');
}
