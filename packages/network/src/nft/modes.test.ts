import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, type Flow } from '../evaluate/evaluate.js';
import { loadPolicyModel } from '../model/load.js';
import type { PolicyModel } from '../model/types.js';
import { type CompileOptions, compileRuleset } from './compile.js';
import { addEndpointIncrementally } from './incremental.js';
import { type HookResult, runHook } from './interpret.js';
import { renderTable } from './render.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const load = (...extra: string[]) =>
  loadPolicyModel([{ path: 'shop.yaml', text: shop }, ...extra.map((text, i) => ({ path: `p${i}.yaml`, text }))]);

/** The forward hook on this node for a flow between the shop's workloads (or outside addresses). */
function forward(model: PolicyModel, flow: Flow, options: CompileOptions): HookResult {
  const rs = compileRuleset(model, options);
  const iface = (ip: string) => model.endpoints.find((e) => e.ips.includes(ip))?.interfaceName ?? 'ext0';
  return runHook(rs, 'forward', {
    saddr: flow.src,
    daddr: flow.dst,
    protocol: flow.protocol,
    ...(flow.srcPort !== undefined ? { sport: flow.srcPort } : {}),
    ...(flow.dstPort !== undefined ? { dport: flow.dstPort } : {}),
    iif: iface(flow.src),
    oif: iface(flow.dst),
  });
}

const ids = (logs: readonly string[], kind: 'D' | 'A' | 'S') =>
  logs.filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.split(' ')[1]));

const IPS = ['10.10.1.2', '10.10.2.2', '10.10.3.2', '10.10.4.2', '203.0.113.9'];
const selectorArb = fc.constantFrom("app == 'frontend'", "app == 'api'", "app != 'db'", 'all()', "kind == 'partner'");
const ruleArb = fc
  .record({
    action: fc.constantFrom('Allow', 'Deny', 'Pass', 'Log'),
    source: fc.option(selectorArb, { nil: undefined }),
    destination: fc.option(selectorArb, { nil: undefined }),
    port: fc.option(fc.constantFrom(80, 8080, 5432), { nil: undefined }),
  })
  .map((r) => ({
    action: r.action,
    ...(r.port !== undefined ? { protocol: 'TCP' } : {}),
    source: r.source ? { selector: r.source } : {},
    destination: { ...(r.destination ? { selector: r.destination } : {}), ...(r.port ? { ports: [r.port] } : {}) },
  }));
const policyArb = fc.record({
  kind: fc.constantFrom('GlobalNetworkPolicy', 'StagedGlobalNetworkPolicy', 'StagedNetworkPolicy', 'NetworkPolicy'),
  name: fc.constantFrom('a', 'b', 'api-ingress'),
  tier: fc.constantFrom('default', 'security'),
  selector: selectorArb,
  types: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.array(ruleArb, { maxLength: 3 }),
  egress: fc.array(ruleArb, { maxLength: 3 }),
  stagedAction: fc.constantFrom('Set', 'Set', 'Delete'),
});
const modelArb = fc.uniqueArray(policyArb, { maxLength: 4, selector: (p) => `${p.kind}/${p.name}` }).map((ps) =>
  ps
    .map((p) => {
      const namespaced = !p.kind.includes('Global');
      const staged = p.kind.startsWith('Staged');
      // Only a staged policy may reuse the fixture's name: it stages a change to that policy.
      const name = !staged && p.name === 'api-ingress' ? 'c' : p.name;
      return JSON.stringify({
        apiVersion: 'projectcalico.org/v3',
        kind: p.kind,
        metadata: namespaced ? { name, namespace: 'shop' } : { name },
        spec: {
          tier: p.tier,
          order: 50,
          selector: p.selector,
          types: p.types,
          ingress: p.ingress,
          egress: p.egress,
          ...(staged ? { stagedAction: p.stagedAction } : {}),
        },
      });
    })
    .join('\n---\n'),
);
const flowArb = fc.record({
  src: fc.constantFrom(...IPS),
  dst: fc.constantFrom(...IPS),
  protocol: fc.constant(6),
  srcPort: fc.constant(40000),
  dstPort: fc.constantFrom(80, 8080, 5432),
});

describe('enforcement modes', () => {
  it('audit accepts everything and logs exactly the deny enforce would have dropped on', () => {
    fc.assert(
      fc.property(modelArb, fc.array(flowArb, { minLength: 1, maxLength: 6 }), (yaml, flows) => {
        const model = load(yaml);
        for (const flow of flows) {
          if (flow.src === flow.dst) continue;
          const enforce = forward(model, flow, { mode: 'enforce' });
          const audit = forward(model, flow, { mode: 'audit' });
          expect(audit.verdict).toBe('accept');
          // Same table shape in both modes: the rule ids, and so the logged ids, are the same.
          expect(ids(audit.logs, 'A')).toEqual(enforce.verdict === 'drop' ? ids(enforce.logs, 'D') : []);
          expect(ids(audit.logs, 'D')).toEqual([]);
          expect(enforce.verdict === 'drop').toBe(evaluate(flow, model).verdict === 'deny');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('staged policies only log: the verdict is the enforced one, and a staged deny is logged as S', () => {
    let stagedDenies = 0;
    fc.assert(
      fc.property(modelArb, fc.array(flowArb, { minLength: 1, maxLength: 6 }), (yaml, flows) => {
        const model = load(yaml);
        for (const flow of flows) {
          if (flow.src === flow.dst) continue;
          const d = evaluate(flow, model);
          const r = forward(model, flow, {});
          expect(r.verdict === 'accept' ? 'allow' : 'deny', JSON.stringify(flow)).toBe(d.verdict);
          const logged = ids(r.logs, 'S').length > 0;
          // A packet the enforced policy lets through has crossed both shadows: the log is exact.
          if (d.verdict === 'allow') expect(logged, JSON.stringify(flow)).toBe(d.stagedVerdict === 'deny');
          // A dropped packet may have skipped the ingress shadow, but never logs a staged allow.
          else if (logged) expect(d.stagedVerdict).toBe('deny');
          if (logged) stagedDenies++;
        }
      }),
      { numRuns: 200 },
    );
    expect(stagedDenies).toBeGreaterThan(20);
  });

  it('names the staged policy and rule in the shadow’s rule ids, and keeps the enforced allow', () => {
    const staged = `apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: { name: api-lockdown, namespace: shop }
spec:
  order: 10
  selector: app == 'api'
  types: [Ingress]
  ingress: [{ action: Deny, source: { selector: app == 'frontend' } }]`;
    const model = load(staged);
    const flow = { src: '10.10.1.2', dst: '10.10.2.2', protocol: 6, srcPort: 40000, dstPort: 8080 };
    expect(evaluate(flow, model)).toMatchObject({ verdict: 'allow', stagedVerdict: 'deny' });
    const rs = compileRuleset(model);
    const r = forward(model, flow, {});
    expect(r.verdict).toBe('accept');
    const [id] = ids(r.logs, 'S');
    expect(rs.ruleIds.get(id!)).toEqual({
      policy: 'StagedNetworkPolicy/shop/api-lockdown',
      direction: 'Ingress',
      rule: 0,
      action: 'Deny',
    });
    // The enforced allow still marks the connection with its own rule.
    expect(rs.ruleIds.get(r.ctMark)?.policy).toBe('NetworkPolicy/shop/api-ingress');
    const text = renderTable(rs);
    expect(text).toMatch(/log prefix "S \d+ " group 1 meta mark set meta mark \| 0x00000400 return/);
    expect(text).toMatch(/jump stg-ep-\d+/);
    // Endpoints the staged policy does not touch get no shadow.
    expect(text.match(/jump stg-ep-/g)).toHaveLength(1);
    expect(addEndpointIncrementally(rs, model.endpoints[0]!)).toBeUndefined();
  });

  it('renders audit denies as log-and-accept, and drops TCP picked up mid-stream in forward', () => {
    const text = renderTable(compileRuleset(load(), { mode: 'audit' }));
    expect(text).toMatch(/ct mark set 0x[0-9a-f]+ log prefix "A \d+ " group 1 accept/);
    expect(text).not.toMatch(/"D \d+ "/);
    expect(text).toContain('ct state new tcp flags & (fin|syn|rst|ack) != syn drop comment "new TCP without SYN"');
  });
});
