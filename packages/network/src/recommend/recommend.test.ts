import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { evaluate } from '../evaluate/evaluate.js';
import type { FlowEndpoint, FlowLogRecord } from '../flows/flow-collector.js';
import { loadPolicyModel } from '../model/load.js';
import type { Endpoint, PolicyModel } from '../model/types.js';
import { mergePorts, recommendPolicies, replicaBase } from './recommend.js';

const EMPTY: PolicyModel = {
  tiers: [{ name: 'default', order: 1_000_000, defaultAction: 'Deny' }],
  policies: [],
  networkSets: [],
  endpoints: [],
  namespaces: new Map(),
};

const wep = (name: string, namespace: string, ip: string, labels: Record<string, string>): FlowEndpoint => ({
  ip,
  name,
  kind: 'WorkloadEndpoint',
  namespace,
  labels,
});
const hep = (name: string, ip: string, labels: Record<string, string>): FlowEndpoint => ({
  ip,
  name,
  kind: 'HostEndpoint',
  labels,
});

function flow(
  source: FlowEndpoint,
  destination: FlowEndpoint,
  protocol: string,
  destinationPort?: number,
  action: 'allow' | 'deny' = 'allow',
): FlowLogRecord {
  return {
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: '2026-01-01T00:00:15.000Z',
    source,
    destination,
    protocol,
    ...(destinationPort !== undefined ? { destinationPort } : {}),
    action,
    policies: [],
    flows: 1,
    packetsOut: 1,
    bytesOut: 60,
    packetsIn: 1,
    bytesIn: 60,
  };
}

const fe = wep('frontend-5d8f7c9b6-x2k4q', 'shop', '10.10.1.2', { app: 'frontend', 'pod-template-hash': '5d8f7c9b6' });
const fe2 = wep('frontend-5d8f7c9b6-abcde', 'shop', '10.10.1.3', { app: 'frontend', 'pod-template-hash': '5d8f7c9b6' });
const api = wep('api-0', 'shop', '10.10.2.2', { app: 'api' });
const db = wep('db-0', 'shop', '10.10.3.2', { app: 'db' });
const prom = wep('prometheus-0', 'monitoring', '10.10.4.2', { app: 'prometheus' });
const node = hep('node1', '10.10.0.1', { role: 'node' });
const partner = { ip: '203.0.113.7', domain: 'Api.Partner.test' };

const SHOP_FLOWS = [
  flow(fe, api, 'TCP', 8080),
  flow(fe2, api, 'TCP', 8081),
  flow(fe, api, 'TCP', 8082),
  flow(api, db, 'TCP', 5432),
  flow(api, partner, 'TCP', 443),
  flow(api, { ip: '198.51.100.9' }, 'TCP', 443),
  flow(api, { ip: '198.51.100.10' }, 'TCP', 443),
  flow(prom, api, 'TCP', 9090),
  flow(node, api, 'TCP', 8080),
  flow(api, { ip: '10.10.0.10' }, 'UDP', 53),
  flow(fe, api, 'ICMP'),
  flow(fe, db, 'TCP', 5432, 'deny'),
];

describe('recommendPolicies', () => {
  it('writes one staged policy per group with merged ports, namespaced peers, nets and domains', () => {
    const { documents, report } = recommendPolicies(SHOP_FLOWS, EMPTY);
    expect(documents.map((d) => `${d.kind}/${(d.metadata as { name: string }).name}`)).toEqual([
      'StagedGlobalNetworkPolicy/recommended-host-node1',
      'StagedNetworkPolicy/recommended-prometheus',
      'StagedNetworkPolicy/recommended-api',
      'StagedNetworkPolicy/recommended-db',
      'StagedNetworkPolicy/recommended-frontend',
    ]);
    const api = documents.find((d) => (d.metadata as { name: string }).name === 'recommended-api')!;
    expect(api).toEqual({
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedNetworkPolicy',
      metadata: { name: 'recommended-api', namespace: 'shop' },
      spec: {
        tier: 'default',
        selector: "app == 'api'",
        types: ['Ingress', 'Egress'],
        ingress: [
          { action: 'Allow', protocol: 'ICMP', source: { selector: "app == 'frontend'" } },
          {
            action: 'Allow',
            protocol: 'TCP',
            source: {
              selector: "role == 'node' && !has(app) && !has(projectcalico.org/orchestrator)",
              namespaceSelector: 'global()',
            },
            destination: { ports: [8080] },
          },
          {
            action: 'Allow',
            protocol: 'TCP',
            source: { selector: "app == 'prometheus'", namespaceSelector: "projectcalico.org/name == 'monitoring'" },
            destination: { ports: [9090] },
          },
          {
            action: 'Allow',
            protocol: 'TCP',
            source: { selector: "app == 'frontend'" },
            destination: { ports: ['8080:8082'] },
          },
        ],
        egress: [
          { action: 'Allow', protocol: 'TCP', destination: { selector: "app == 'db'", ports: [5432] } },
          {
            action: 'Allow',
            protocol: 'TCP',
            destination: { nets: ['198.51.100.10/32', '198.51.100.9/32'], ports: [443] },
          },
          { action: 'Allow', protocol: 'TCP', destination: { domains: ['api.partner.test'], ports: [443] } },
          { action: 'Allow', protocol: 'UDP', destination: { nets: ['10.10.0.10/32'], ports: [53] } },
        ],
      },
    });
    const host = documents[0]!;
    expect(host.spec).toMatchObject({
      selector: "role == 'node' && !has(app) && !has(projectcalico.org/orchestrator)",
      egress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: {
            selector: "app == 'api'",
            namespaceSelector: "projectcalico.org/name == 'shop'",
            ports: [8080],
          },
        },
      ],
    });
    // A group seen only as a client gets no ingress rules: its types deny all ingress.
    const frontend = documents.find((d) => (d.metadata as { name: string }).name === 'recommended-frontend')!;
    expect(frontend.spec).toMatchObject({ types: ['Ingress', 'Egress'] });
    expect((frontend.spec as { ingress?: unknown }).ingress).toBeUndefined();
    expect(report).toMatchObject({
      flowsRead: 12,
      flowsUsed: 11,
      skippedDenied: 1,
      skippedExternal: 0,
      stillDenied: [],
    });
    expect(report.groups.find((g) => g.policy === 'StagedNetworkPolicy/shop/recommended-frontend')?.endpoints).toEqual([
      'shop/frontend-5d8f7c9b6-abcde',
      'shop/frontend-5d8f7c9b6-x2k4q',
    ]);
  });

  it('is deterministic: the order of the flows does not change the output', () => {
    const yaml = (flows: FlowLogRecord[]) => stringify(recommendPolicies(flows, EMPTY).documents);
    const expected = yaml(SHOP_FLOWS);
    fc.assert(
      fc.property(fc.shuffledSubarray(SHOP_FLOWS, { minLength: SHOP_FLOWS.length }), (shuffled) => {
        expect(yaml(shuffled)).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('loads back as valid Calico documents (all staged)', () => {
    const { documents } = recommendPolicies(SHOP_FLOWS, EMPTY);
    const text = documents.map((d) => stringify(d)).join('---\n');
    const model = loadPolicyModel([{ path: 'recommended.yaml', text }]);
    expect(model.policies).toHaveLength(5);
    expect(model.policies.every((p) => p.staged)).toBe(true);
  });

  it('groups replicas without the grouping label by the labels they share, and names label-less ones by address', () => {
    const w1 = wep('web-5d8f7c9b6-x2k4q', 'shop', '10.10.5.2', { tier: 'web', 'pod-template-hash': 'a', zone: 'a' });
    const w2 = wep('web-5d8f7c9b6-abcde', 'shop', '10.10.5.3', { tier: 'web', 'pod-template-hash': 'b', zone: 'b' });
    const bare = wep('legacy', 'shop', '10.10.6.2', {});
    const { documents, report } = recommendPolicies(
      [
        flow(w1, api, 'TCP', 8080),
        flow(w2, api, 'TCP', 8080),
        flow(bare, api, 'TCP', 8080),
        flow(api, bare, 'TCP', 22),
      ],
      EMPTY,
    );
    const web = documents.find((d) => (d.metadata as { name: string }).name === 'recommended-web')!;
    expect((web.spec as { selector: string }).selector).toBe("tier == 'web' && !has(app)");
    const apiPolicy = documents.find((d) => (d.metadata as { name: string }).name === 'recommended-api')!;
    expect((apiPolicy.spec as { ingress: unknown[] }).ingress).toEqual([
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: "tier == 'web' && !has(app)" },
        destination: { ports: [8080] },
      },
      { action: 'Allow', protocol: 'TCP', source: { nets: ['10.10.6.2/32'] }, destination: { ports: [8080] } },
    ]);
    expect(documents.some((d) => (d.metadata as { name: string }).name.includes('legacy'))).toBe(false);
    expect(report.notes).toEqual([
      'legacy (namespace shop): no label to select by; no policy recommended, peers name its addresses',
    ]);
  });

  it('gives replicas that share no label one group per label set, so no labelled endpoint is left to a foreign policy', () => {
    // w1-0 has the same labels as w3-1 but a label-less sibling: it must not end up selected only by w3's policy.
    const w10 = hep('w1-0', '10.1.0.1', { app: 'a' });
    const w12 = hep('w1-2', '10.1.0.3', {});
    const w31 = hep('w3-1', '10.1.0.2', { app: 'a' });
    const { report } = recommendPolicies([flow(w12, w10, 'TCP', 80), flow(w31, w10, 'TCP', 80)], EMPTY, {
      groupBy: ['tier'],
    });
    expect(report.groups.map((g) => [g.policy, g.endpoints])).toEqual([
      ['StagedGlobalNetworkPolicy/recommended-host-w1', ['w1-0']],
      ['StagedGlobalNetworkPolicy/recommended-host-w3', ['w3-1']],
    ]);
    expect(report.stillDenied).toEqual([]);
    expect(report.notes).toEqual(['w1-2: no label to select by; no policy recommended, peers name its addresses']);
  });

  it('groups by several labels (absent ones are required absent) and widens external addresses to a prefix', () => {
    const v1 = wep('api-a', 'shop', '10.10.2.3', { app: 'api', version: 'v1' });
    const plain = wep('api-b', 'shop', '10.10.2.4', { app: 'api' });
    const { documents } = recommendPolicies(
      [
        flow(v1, { ip: '203.0.113.7' }, 'TCP', 443),
        flow(plain, { ip: '203.0.113.99' }, 'TCP', 443),
        flow(plain, { ip: '2001:db8::1:5' }, 'TCP', 443),
      ],
      EMPTY,
      { groupBy: ['app', 'version'], cidrPrefix: { v4: 24, v6: 64 } },
    );
    expect(
      documents.map((d) => [(d.metadata as { name: string }).name, (d.spec as { selector: string }).selector]),
    ).toEqual([
      ['recommended-api', "app == 'api' && !has(version)"],
      ['recommended-api-v1', "app == 'api' && version == 'v1'"],
    ]);
    expect((documents[0]!.spec as { egress: unknown[] }).egress).toEqual([
      { action: 'Allow', protocol: 'TCP', destination: { nets: ['2001:db8::/64', '203.0.113.0/24'], ports: [443] } },
    ]);
  });

  it('names peers inside a labelled network set by its labels, uses the tier, and learns from denies on request', () => {
    const model = loadPolicyModel([
      {
        path: 'sets.yaml',
        text: `apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: partners, labels: { kind: partner } }
spec: { nets: [203.0.113.0/24] }
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: apps }
spec: { order: 100 }`,
      },
    ]);
    const { documents, report } = recommendPolicies(
      [flow(api, partner, 'TCP', 443), flow(fe, db, 'TCP', 5432, 'deny')],
      model,
      { tier: 'apps', includeDenied: true, order: 50 },
    );
    expect(documents.map((d) => (d.metadata as { name: string }).name)).toEqual([
      'apps.recommended-api',
      'apps.recommended-db',
      'apps.recommended-frontend',
    ]);
    expect(documents[0]!.spec).toMatchObject({
      tier: 'apps',
      order: 50,
      egress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: { selector: "kind == 'partner'", namespaceSelector: 'global()', ports: [443] },
        },
      ],
    });
    expect(report.skippedDenied).toBe(0);
    expect(report.stillDenied).toEqual([]);
  });

  it('reports observed flows that an existing policy in an earlier tier would still deny', () => {
    const model = loadPolicyModel([
      {
        path: 'existing.yaml',
        text: `apiVersion: projectcalico.org/v3
kind: Tier
metadata: { name: security }
spec: { order: 10 }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: security.no-db }
spec:
  tier: security
  selector: app == 'db'
  types: [Ingress]
  ingress: [{ action: Deny, protocol: TCP, destination: { ports: [5432] } }, { action: Pass }]`,
      },
    ]);
    const { report } = recommendPolicies([flow(api, db, 'TCP', 5432), flow(fe, api, 'TCP', 8080)], model);
    expect(report.stillDenied).toEqual([
      {
        source: 'api-0',
        destination: 'db-0',
        protocol: 'TCP',
        destinationPort: 5432,
        deniedBy: 'GlobalNetworkPolicy/security.no-db: deny',
      },
    ]);
  });

  it('refuses a tier name Calico would refuse', () => {
    expect(() => recommendPolicies([], EMPTY, { tier: 'Bad Tier' })).toThrow(/tier "Bad Tier" is not a valid name/);
  });

  it('writes enforced kinds on request', () => {
    const { documents } = recommendPolicies([flow(fe, api, 'TCP', 8080)], EMPTY, { enforced: true });
    expect(documents.map((d) => d.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy']);
  });
});

describe('helpers', () => {
  it('merges consecutive ports into ranges', () => {
    expect(mergePorts([443, 80, 81, 82, 8080, 81])).toEqual([
      { from: 80, to: 82 },
      { from: 443, to: 443 },
      { from: 8080, to: 8080 },
    ]);
  });
  it('finds the workload of a replica', () => {
    expect(replicaBase('web-5d8f7c9b6-x2k4q')).toBe('web');
    expect(replicaBase('db-12')).toBe('db');
    expect(replicaBase('my-redis')).toBe('my-redis');
  });
});

// Property: random endpoints (workloads in two namespaces, hosts, some without the grouping
// label or without any label) and random flows among them and external addresses.
const NAMESPACES = ['n1', 'n2'];
const endpointArb = fc.record({
  host: fc.boolean(),
  ns: fc.constantFrom(...NAMESPACES),
  app: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
  tier: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
  replica: fc.constantFrom('w1', 'w2', 'w3'),
});
const scenarioArb = fc
  .record({
    endpoints: fc.array(endpointArb, { minLength: 1, maxLength: 8 }),
    flows: fc.array(
      fc.record({
        src: fc.nat(20),
        dst: fc.nat(20),
        protocol: fc.constantFrom('TCP', 'UDP', 'ICMP'),
        port: fc.option(fc.constantFrom(53, 80, 81, 443, 5432), { nil: undefined }),
        domain: fc.option(fc.constantFrom('a.example.test', 'b.example.test'), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    v4: fc.constantFrom(24, 32),
    groupBy: fc.constantFrom(['app'], ['app', 'tier'], ['tier']),
    withSets: fc.boolean(),
  })
  .map((s) => {
    const endpoints: FlowEndpoint[] = s.endpoints.map((e, i) => {
      const labels: Record<string, string> = {};
      if (e.app) labels.app = e.app;
      if (e.tier) labels.tier = e.tier;
      const name = `${e.replica}-${i}`;
      return e.host ? hep(name, `10.1.0.${i + 1}`, labels) : wep(name, e.ns, `10.2.0.${i + 1}`, labels);
    });
    const externals: FlowEndpoint[] = [{ ip: '203.0.113.5' }, { ip: '203.0.113.200' }, { ip: '198.51.100.1' }];
    const all = [...endpoints, ...externals];
    const records = s.flows.map((f) => {
      const src = all[f.src % all.length]!;
      let dst = all[f.dst % all.length]!;
      if (dst.name === undefined && f.domain) dst = { ...dst, domain: f.domain };
      return flow(src, dst, f.protocol, f.protocol === 'ICMP' ? undefined : f.port);
    });
    const model: PolicyModel = {
      ...EMPTY,
      // Some external addresses sit in labelled network sets: peers named by the sets' labels.
      networkSets: s.withSets
        ? [
            { kind: 'GlobalNetworkSet', name: 'partners', labels: { kind: 'partner' }, nets: ['198.51.100.0/24'] },
            { kind: 'NetworkSet', name: 'cdn', namespace: 'n2', labels: { kind: 'cdn' }, nets: ['203.0.113.128/25'] },
          ]
        : [],
      endpoints: endpoints.map(
        (e): Endpoint => ({
          kind: e.kind!,
          name: e.name!,
          ...(e.namespace ? { namespace: e.namespace } : {}),
          labels: e.labels!,
          ips: [e.ip],
          ports: [],
          // Hosts allow by default here, as the observed flows say they did.
          profiles: ['projectcalico-default-allow'],
        }),
      ),
    };
    return { records, model, v4: s.v4, groupBy: s.groupBy };
  });

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1 };
// The domain stays with the observed destination: the intruder was never resolved by that name.
const asFlow = (r: FlowLogRecord, src = r.source.ip, dst = r.destination.ip) => ({
  src,
  dst,
  protocol: PROTO[r.protocol]!,
  srcPort: 40000,
  ...(r.destinationPort !== undefined ? { dstPort: r.destinationPort } : {}),
  ...(r.destination.domain && dst === r.destination.ip ? { domain: r.destination.domain } : {}),
});

describe('recommendPolicies (properties)', () => {
  it('the recommended policies, loaded back from their YAML, allow every observed flow (staged view)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ records, model, v4, groupBy }) => {
        const rec = recommendPolicies(records, model, { cidrPrefix: { v4 }, groupBy });
        const text = rec.documents.map((d) => stringify(d)).join('---\n');
        const loaded = text ? loadPolicyModel([{ path: 'rec.yaml', text }]).policies : [];
        const withRec: PolicyModel = { ...model, policies: loaded };
        for (const r of records) {
          const d = evaluate(asFlow(r), withRec);
          expect(d.stagedVerdict, JSON.stringify({ r, docs: rec.documents })).toBe('allow');
          expect(d.verdict).toBe('allow'); // staged: nothing enforced changes
        }
        expect(rec.report.stillDenied).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('an unobserved peer with other labels is denied towards every grouped endpoint and from it', () => {
    const intruder: Endpoint = {
      kind: 'WorkloadEndpoint',
      name: 'intruder',
      namespace: 'n1',
      labels: { app: 'zz-intruder', tier: 'zz' },
      ips: ['10.99.0.1'],
      ports: [],
      profiles: [],
    };
    fc.assert(
      fc.property(scenarioArb, ({ records, model, v4, groupBy }) => {
        const rec = recommendPolicies(records, model, { cidrPrefix: { v4 }, groupBy });
        const grouped = new Set(rec.report.groups.flatMap((g) => g.endpoints));
        const isGrouped = (e: FlowEndpoint) =>
          e.name !== undefined && grouped.has(e.namespace ? `${e.namespace}/${e.name}` : e.name);
        const withRec: PolicyModel = {
          ...model,
          endpoints: [...model.endpoints, intruder],
          policies: [...rec.policies],
        };
        for (const r of records) {
          if (isGrouped(r.destination))
            expect(evaluate(asFlow(r, '10.99.0.1'), withRec).stagedVerdict, JSON.stringify(r)).toBe('deny');
          if (isGrouped(r.source))
            expect(evaluate(asFlow(r, r.source.ip, '10.99.0.1'), withRec).stagedVerdict, JSON.stringify(r)).toBe(
              'deny',
            );
        }
      }),
      { numRuns: 200 },
    );
  });
});
