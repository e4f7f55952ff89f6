import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, type Flow } from '../evaluate/evaluate.js';
import { loadPolicyModel } from '../model/load.js';
import type { PolicyModel } from '../model/types.js';
import { compileRuleset } from './compile.js';
import { addEndpointIncrementally, renderElementAdds } from './incremental.js';
import { runHook } from './interpret.js';
import { parseExistingObjects, renderReplace, renderTable } from './render.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const load = (...extra: string[]) =>
  loadPolicyModel([{ path: 'shop.yaml', text: shop }, ...extra.map((text, i) => ({ path: `p${i}.yaml`, text }))]);

/** Runs a flow through the compiled ruleset at the hook the packet would traverse on this node. */
function kernelVerdict(model: PolicyModel, flow: Flow): 'allow' | 'deny' {
  const rs = compileRuleset(model);
  const ep = (ip: string) => model.endpoints.find((e) => e.ips.includes(ip));
  const s = ep(flow.src);
  const d = ep(flow.dst);
  const pkt = {
    saddr: flow.src,
    daddr: flow.dst,
    protocol: flow.protocol,
    ...(flow.srcPort !== undefined ? { sport: flow.srcPort } : {}),
    ...(flow.dstPort !== undefined ? { dport: flow.dstPort } : {}),
    ...(flow.icmpType !== undefined ? { icmpType: flow.icmpType, icmpCode: flow.icmpCode ?? 0 } : {}),
  };
  if (d?.kind === 'HostEndpoint')
    return runHook(rs, 'input', { ...pkt, iif: d.interfaceName! }).verdict === 'accept' ? 'allow' : 'deny';
  const r = runHook(rs, 'forward', { ...pkt, iif: s?.interfaceName ?? 'ext0', oif: d?.interfaceName ?? 'ext0' });
  return r.verdict === 'accept' ? 'allow' : 'deny';
}

const IPS = ['10.10.1.2', '10.10.2.2', '10.10.3.2', '10.10.4.2', '203.0.113.9', '198.51.100.4'];

describe('compileRuleset', () => {
  it('renders a one-transaction replace that keeps the base chains', () => {
    const existing = parseExistingObjects(
      JSON.stringify({
        nftables: [
          { metainfo: { version: '1.0.6' } },
          { table: { family: 'inet', name: 'palisade' } },
          { set: { family: 'inet', name: 'a4_0', table: 'palisade', type: 'ipv4_addr' } },
          { map: { family: 'inet', name: 'wep_egress', table: 'palisade', type: 'ifname', map: 'verdict' } },
          { chain: { family: 'inet', table: 'palisade', name: 'forward', type: 'filter', hook: 'forward', prio: 0 } },
          { chain: { family: 'inet', table: 'palisade', name: 'pol-in-0' } },
        ],
      }),
    );
    expect(existing).toEqual({ chains: ['pol-in-0'], sets: ['a4_0'], maps: ['wep_egress'] });
    const text = renderReplace(compileRuleset(load()), existing);
    expect(text.split('\n').slice(0, 5)).toEqual([
      'flush table inet palisade',
      'delete map inet palisade wep_egress',
      'delete chain inet palisade pol-in-0',
      'delete set inet palisade a4_0',
      'table inet palisade {',
    ]);
    expect(text).not.toContain('delete chain inet palisade forward');
    expect(renderReplace(compileRuleset(load()), undefined).startsWith('table inet palisade {')).toBe(true);
    expect(text).toContain('type filter hook forward priority 0; policy accept;');
    expect(text).toContain('ct state established,related accept');
    expect(text).toMatch(/th dport \{ 22, 9443 \} accept comment "fail-safe ports"/);
    expect(text).toContain('"pal-api" : jump ep-out-');
    expect(text).toContain('iifname . ip saddr != @wep_src4 drop comment "anti-spoofing"');
    expect(text).toContain('"pal-fe" . 10.10.1.2');
  });

  it('deduplicates sets and uses interval sets only for real CIDRs', () => {
    const gnp = (n: string, nets: string) =>
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: ${n} }\nspec:\n  selector: app == 'frontend'\n  ingress: [{ action: Allow, source: { nets: [${nets}] } }]`;
    const rs = compileRuleset(
      load(gnp('a', '192.0.2.0/24, 192.0.2.7'), gnp('b', '192.0.2.7, 192.0.2.0/24'), gnp('c', '192.0.2.8')),
    );
    const withCidr = rs.sets.filter((s) => s.elements.includes('192.0.2.0/24'));
    expect(withCidr).toHaveLength(1);
    expect(withCidr[0]!.interval).toBe(true);
    expect(rs.sets.find((s) => s.elements.join() === '192.0.2.8')!.interval).toBe(false);
    expect(renderTable(rs)).toContain('flags interval');
  });

  it('records which policy rule each ct mark stands for', () => {
    const rs = compileRuleset(load());
    const allow = [...rs.ruleIds.values()].find((r) => r.policy === 'NetworkPolicy/shop/api-ingress' && r.rule === 0);
    expect(allow).toMatchObject({ direction: 'Ingress', action: 'Allow' });
    const r = runHook(rs, 'forward', {
      saddr: '10.10.1.2',
      daddr: '10.10.2.2',
      protocol: 6,
      sport: 4000,
      dport: 8080,
      iif: 'pal-fe',
      oif: 'pal-api',
    });
    expect(r.verdict).toBe('accept');
    expect(rs.ruleIds.get(r.ctMark)).toEqual(allow);
    const denied = runHook(rs, 'forward', {
      saddr: '10.10.1.2',
      daddr: '10.10.3.2',
      protocol: 6,
      sport: 4000,
      dport: 5432,
      iif: 'pal-fe',
      oif: 'pal-db',
    });
    expect(denied.verdict).toBe('drop');
    expect(denied.logs[0]).toMatch(/^D \d+ $/);
  });

  it('drops spoofed source addresses from a workload', () => {
    const rs = compileRuleset(load());
    const r = runHook(rs, 'forward', {
      saddr: '10.10.2.2',
      daddr: '10.10.4.2',
      protocol: 6,
      sport: 1,
      dport: 80,
      iif: 'pal-fe',
      oif: 'pal-prom',
    });
    expect(r.verdict).toBe('drop');
  });

  it('keeps the fail-safe ports open on the host whatever the policy says', () => {
    const lock =
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: lock }\nspec:\n  order: 0\n  selector: role == 'node'\n  ingress: [{ action: Deny }]";
    const rs = compileRuleset(load(lock));
    const pkt = { saddr: '198.51.100.4', daddr: '10.10.0.1', protocol: 6, sport: 5555, iif: 'eth0' };
    expect(runHook(rs, 'input', { ...pkt, dport: 22 }).verdict).toBe('accept');
    expect(runHook(rs, 'input', { ...pkt, dport: 80 }).verdict).toBe('drop');
  });
});

// Random policies over the shop endpoints, written as YAML so the loader is exercised too.
const selectorArb = fc.constantFrom(
  "app == 'frontend'",
  "app == 'api'",
  "app != 'db'",
  'has(app)',
  'all()',
  "kind == 'partner'",
  "app in {'db', 'prometheus'}",
  '!has(quarantine)',
);
const entityArb = fc.record(
  {
    selector: selectorArb,
    notSelector: selectorArb,
    namespaceSelector: fc.constantFrom("env == 'ops'", "env == 'prod'", 'global()', 'all()'),
    nets: fc.constantFrom(['10.10.0.0/16'], ['10.10.2.2'], ['203.0.113.0/25'], ['0.0.0.0/0']),
    notNets: fc.constantFrom(['10.10.3.0/24'], ['198.51.100.0/24']),
  },
  { requiredKeys: [] },
);
const portsArb = fc.constantFrom([80], ['8000:9000'], ['http'], [5432, 'http'], [22]);
const ruleArb = fc
  .record({
    action: fc.constantFrom('Allow', 'Deny', 'Pass', 'Log', 'Allow'),
    proto: fc.constantFrom(undefined, 'TCP', 'UDP', 'ICMP'),
    source: entityArb,
    destination: entityArb,
    dports: fc.option(portsArb, { nil: undefined }),
    notDports: fc.option(portsArb, { nil: undefined }),
    icmpType: fc.option(fc.constantFrom(0, 8), { nil: undefined }),
    negateIcmp: fc.boolean(),
  })
  .map((r) => {
    const dest: Record<string, unknown> = { ...r.destination };
    const rule: Record<string, unknown> = { action: r.action, source: r.source, destination: dest };
    if (r.proto) rule.protocol = r.proto;
    if (r.proto === 'TCP' || r.proto === 'UDP') {
      if (r.dports) dest.ports = r.dports;
      if (r.notDports) dest.notPorts = r.notDports;
    }
    if (r.proto === 'ICMP' && r.icmpType !== undefined)
      rule[r.negateIcmp ? 'notICMP' : 'icmp'] = { type: r.icmpType, code: 0 };
    return rule;
  });
const policyArb = fc.record({
  global: fc.boolean(),
  tier: fc.constantFrom('default', 't1', 't2'),
  order: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  selector: selectorArb,
  types: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.array(ruleArb, { maxLength: 3 }),
  egress: fc.array(ruleArb, { maxLength: 3 }),
});
const modelArb = fc
  .tuple(
    fc.array(policyArb, { minLength: 1, maxLength: 4 }),
    fc.constantFrom('Deny', 'Pass'),
    fc.constantFrom('Deny', 'Pass'),
  )
  .map(([policies, d1, d2]) => {
    const docs = [
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'Tier',
        metadata: { name: 't1' },
        spec: { order: 1, defaultAction: d1 },
      },
      {
        apiVersion: 'projectcalico.org/v3',
        kind: 'Tier',
        metadata: { name: 't2' },
        spec: { order: 2, defaultAction: d2 },
      },
      ...policies.map((p, i) => ({
        apiVersion: 'projectcalico.org/v3',
        kind: p.global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
        metadata: p.global ? { name: `p${i}` } : { name: `p${i}`, namespace: 'shop' },
        spec: {
          tier: p.tier,
          ...(p.order !== undefined ? { order: p.order } : {}),
          selector: p.selector,
          types: p.types,
          ingress: p.ingress,
          egress: p.egress,
        },
      })),
    ];
    return docs.map((d) => JSON.stringify(d)).join('\n---\n');
  });
const flowArb = fc.oneof(
  fc.record({
    src: fc.constantFrom(...IPS),
    dst: fc.constantFrom(...IPS),
    protocol: fc.constantFrom(6, 17),
    srcPort: fc.constant(40000),
    dstPort: fc.constantFrom(80, 8080, 5432, 8500, 22, 9999),
  }),
  fc.record({
    src: fc.constantFrom(...IPS),
    dst: fc.constantFrom(...IPS),
    protocol: fc.constant(1),
    icmpType: fc.constantFrom(0, 8),
    icmpCode: fc.constant(0),
  }),
);

describe('compiled ruleset agrees with the evaluator (interpreter as the kernel)', () => {
  it('for random policies and flows between endpoints and outside addresses', () => {
    fc.assert(
      fc.property(modelArb, fc.array(flowArb, { minLength: 1, maxLength: 8 }), (yaml, flows) => {
        // The shop fixture's security tier passes everything; keep it and add the random policies.
        const model = load(yaml);
        for (const flow of flows) {
          if (flow.src === flow.dst) continue;
          expect(kernelVerdict(model, flow), JSON.stringify(flow)).toBe(evaluate(flow, model).verdict);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('for flows from outside to the host endpoint, except the fail-safe ports', () => {
    const hostPolicy =
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: host }\nspec:\n  selector: role == 'node'\n  ingress: [{ action: Allow, protocol: TCP, source: { nets: [198.51.100.0/24] }, destination: { ports: [443] } }]";
    const model = load(hostPolicy);
    for (const [src, port, want] of [
      ['198.51.100.4', 443, 'allow'],
      ['198.51.100.4', 80, 'deny'],
      ['203.0.113.9', 443, 'deny'],
    ] as const) {
      const flow = { src, dst: '10.10.0.1', protocol: 6, srcPort: 1234, dstPort: port };
      expect(evaluate(flow, model).verdict).toBe(want);
      expect(kernelVerdict(model, flow)).toBe(want);
    }
  });
});

describe('adding one endpoint incrementally', () => {
  const interp = (rs: ReturnType<typeof compileRuleset>, model: PolicyModel, flow: Flow) => {
    const ep = (ip: string) => model.endpoints.find((e) => e.ips.includes(ip));
    const r = runHook(rs, 'forward', {
      saddr: flow.src,
      daddr: flow.dst,
      protocol: flow.protocol,
      ...(flow.srcPort !== undefined ? { sport: flow.srcPort, dport: flow.dstPort! } : {}),
      ...(flow.icmpType !== undefined ? { icmpType: flow.icmpType, icmpCode: flow.icmpCode ?? 0 } : {}),
      iif: ep(flow.src)?.interfaceName ?? 'ext0',
      oif: ep(flow.dst)?.interfaceName ?? 'ext0',
    });
    return r.verdict === 'accept' ? 'allow' : 'deny';
  };

  // A second frontend pod joining, as when a deployment scales up.
  const fe2 =
    'apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: { name: fe2, namespace: shop, labels: { app: frontend } }\nspec: { interfaceName: pal-fe2, ipNetworks: [10.10.1.3/32] }';
  const split = (yaml?: string) => {
    const full = yaml === undefined ? load(fe2) : load(yaml, fe2);
    const added = full.endpoints.find((e) => e.name === 'fe2')!;
    return { full, added, without: { ...full, endpoints: full.endpoints.filter((e) => e !== added) } };
  };

  it('renders element additions, sets before dispatch maps', () => {
    const { added, without } = split();
    const add = addEndpointIncrementally(compileRuleset(without), added)!;
    expect(add).toBeDefined();
    const text = renderElementAdds('palisade', add.adds);
    expect(text).toContain('add element inet palisade wep_src4 { "pal-fe2" . 10.10.1.3 }');
    expect(text).toMatch(/add element inet palisade a4_\d+ \{ 10\.10\.1\.3 \}/); // api-ingress source set
    expect(text.trim().split('\n').at(-1)).toMatch(
      /^add element inet palisade wep_ingress \{ "pal-fe2" : jump ep-in-\d+ \}$/,
    );
  });

  it('behaves like a full compile whenever it applies (and applies often)', () => {
    let applied = 0;
    const ips = [...IPS, '10.10.1.3'];
    const flows = fc.record({
      src: fc.constantFrom(...ips),
      dst: fc.constantFrom(...ips),
      protocol: fc.constantFrom(6, 17),
      srcPort: fc.constant(40000),
      dstPort: fc.constantFrom(80, 8080, 5432, 22),
    });
    fc.assert(
      fc.property(modelArb, fc.array(flows, { minLength: 1, maxLength: 8 }), (yaml, fl) => {
        const { full, added, without } = split(yaml);
        const add = addEndpointIncrementally(compileRuleset(without), added);
        if (!add) return;
        applied++;
        for (const flow of fl) {
          if (flow.src === flow.dst) continue;
          expect(interp(add.ruleset, add.model, flow), JSON.stringify(flow)).toBe(evaluate(flow, full).verdict);
        }
      }),
      { numRuns: 300 },
    );
    expect(applied).toBeGreaterThan(50);
  });
});
