import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicyModel } from '../model/load.js';
import { evaluate, type Flow } from './evaluate.js';

const fixture = (name: string) => path.join(import.meta.dirname, '../../test/fixtures', name);
const base = readFileSync(fixture('shop.yaml'), 'utf8');
const model = (...extra: string[]) =>
  loadPolicyModel([{ path: 'shop.yaml', text: base }, ...extra.map((text, i) => ({ path: `extra${i}.yaml`, text }))]);

const FE = '10.10.1.2';
const API = '10.10.2.2';
const DB = '10.10.3.2';
const PROM = '10.10.4.2';
const HOST = '10.10.0.1';
const tcp = (src: string, dst: string, dstPort: number, srcPort = 40000): Flow => ({
  src,
  dst,
  protocol: 6,
  srcPort,
  dstPort,
});

describe('Calico semantics on the shop fixture', () => {
  const m = model();
  const cases: [string, Flow, 'allow' | 'deny'][] = [
    ['named port resolves on the destination endpoint', tcp(FE, API, 8080), 'allow'],
    ['other port on api: end-of-tier deny', tcp(FE, API, 8081), 'deny'],
    ['namespaceSelector: ops namespace reaches the port range', tcp(PROM, API, 9050), 'allow'],
    ['namespaceSelector does not widen to the policy namespace', tcp(FE, API, 9050), 'deny'],
    ['serviceAccounts names on the source', tcp(API, DB, 5432), 'allow'],
    ['frontend has no api-sa', tcp(FE, DB, 5432), 'deny'],
    ['endpoint no policy selects: profile allows', tcp(API, FE, 80), 'allow'],
    ['unknown source to unselected pod is allowed', tcp('198.51.100.7', FE, 80), 'allow'],
    ['host endpoint without policy or profile denies', tcp(FE, HOST, 22), 'deny'],
    ['UDP to api is not covered by TCP rules', { src: FE, dst: API, protocol: 17, srcPort: 1, dstPort: 8080 }, 'deny'],
  ];
  it.each(cases)('%s', (_name, flow, want) => {
    expect(evaluate(flow, m).verdict).toBe(want);
  });

  it('traces the deciding tier, policy and rule', () => {
    const d = evaluate(tcp(FE, API, 8080), m);
    const last = d.trace.at(-1)!;
    expect(last).toMatchObject({
      direction: 'Ingress',
      tier: 'default',
      policy: 'NetworkPolicy/shop/api-ingress',
      rule: 0,
      action: 'allow',
    });
    expect(d.trace.some((s) => s.action === 'pass' && s.tier === 'security')).toBe(true);
  });
});

const gnp = (name: string, spec: string) =>
  `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: ${name} }\nspec:\n${spec}`;

describe('tiers, order and actions', () => {
  it('an earlier tier Deny wins over a later Allow', () => {
    const m = model(
      `apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: first }\nspec: { order: 1 }\n---\n${gnp('deny-db', "  tier: first\n  selector: app == 'db'\n  ingress: [{ action: Deny }]")}`,
    );
    expect(evaluate(tcp(API, DB, 5432), m).verdict).toBe('deny');
  });

  it('lower order wins inside a tier; equal order sorts by name', () => {
    const m = model(
      gnp('b-allow', "  order: 5\n  selector: app == 'frontend'\n  ingress: [{ action: Allow }]"),
      gnp('a-deny', "  order: 5\n  selector: app == 'frontend'\n  ingress: [{ action: Deny }]"),
    );
    const d = evaluate(tcp(API, FE, 80), m);
    expect(d.verdict).toBe('deny');
    expect(d.trace.at(-1)!.policy).toBe('GlobalNetworkPolicy/a-deny');
  });

  it('a policy without order comes after ordered ones', () => {
    const m = model(
      gnp('unordered-deny', "  selector: app == 'frontend'\n  ingress: [{ action: Deny }]"),
      gnp('z-ordered-allow', "  order: 99999\n  selector: app == 'frontend'\n  ingress: [{ action: Allow }]"),
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
  });

  it('Log continues to the next rule and is traced', () => {
    const m = model(
      gnp('log-then-allow', "  selector: app == 'frontend'\n  ingress: [{ action: Log }, { action: Allow }]"),
    );
    const d = evaluate(tcp(API, FE, 80), m);
    expect(d.verdict).toBe('allow');
    expect(d.trace.map((s) => s.action)).toContain('log');
  });

  it('tier defaultAction Pass hands over to the next tier', () => {
    const tier =
      'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: t1 }\nspec: { order: 1, defaultAction: Pass }';
    const m = model(
      `${tier}\n---\n${gnp('t1.nothing', "  tier: t1\n  selector: app == 'frontend'\n  ingress: [{ action: Deny, source: { nets: [192.0.2.0/24] } }]")}`,
    );
    const d = evaluate(tcp(API, FE, 80), m);
    expect(d.verdict).toBe('allow');
    expect(d.trace.map((s) => s.action)).toContain('tier-default-pass');
    const denied = evaluate(tcp('192.0.2.9', FE, 80), m);
    expect(denied.verdict).toBe('deny');
  });

  it('types: an Egress-only policy leaves ingress alone', () => {
    const m = model(
      gnp('egress-only', "  selector: app == 'frontend'\n  types: [Egress]\n  egress: [{ action: Deny }]"),
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(FE, API, 8080), m).verdict).toBe('deny');
  });

  it('quarantine label in the security tier denies before the default tier allows', () => {
    const q = `apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: { name: bad, namespace: shop, labels: { app: frontend, quarantine: 'true' } }\nspec: { ipNetworks: [10.10.9.9/32] }`;
    expect(evaluate(tcp('10.10.9.9', API, 8080), model(q)).verdict).toBe('deny');
  });
});

describe('entity rules', () => {
  const only = (rule: string) =>
    model(gnp('only', `  order: 1\n  selector: app == 'frontend'\n  ingress:\n    - ${rule}`));
  const cases: [string, string, Flow, 'allow' | 'deny'][] = [
    ['nets match', 'action: Allow\n      source: { nets: [10.10.0.0/16] }', tcp(API, FE, 80), 'allow'],
    ['nets miss', 'action: Allow\n      source: { nets: [10.20.0.0/16] }', tcp(API, FE, 80), 'deny'],
    ['notNets excludes', 'action: Allow\n      source: { notNets: [10.10.2.0/24] }', tcp(API, FE, 80), 'deny'],
    ['notNets lets others', 'action: Allow\n      source: { notNets: [10.10.2.0/24] }', tcp(DB, FE, 80), 'allow'],
    // selector '!…' needs a labelled owner; notSelector does not: the difference
    [
      'selector with ! does not match unknown IPs',
      "action: Allow\n      source: { selector: app != 'db' }",
      tcp('198.51.100.1', FE, 80),
      'deny',
    ],
    [
      'notSelector matches unknown IPs',
      "action: Allow\n      source: { notSelector: app == 'db' }",
      tcp('198.51.100.1', FE, 80),
      'allow',
    ],
    [
      'notSelector excludes matching endpoints',
      "action: Allow\n      source: { notSelector: app == 'db' }",
      tcp(DB, FE, 80),
      'deny',
    ],
    [
      'network set found by labels',
      "action: Allow\n      source: { selector: kind == 'partner' }",
      tcp('203.0.113.5', FE, 80),
      'allow',
    ],
    [
      'network set by labels, address outside',
      "action: Allow\n      source: { selector: kind == 'partner' }",
      tcp('203.0.114.5', FE, 80),
      'deny',
    ],
    [
      'global() reaches global network sets',
      "action: Allow\n      source: { namespaceSelector: global(), selector: kind == 'partner' }",
      tcp('203.0.113.5', FE, 80),
      'allow',
    ],
    [
      'global() excludes pods',
      'action: Allow\n      source: { namespaceSelector: global() }',
      tcp(API, FE, 80),
      'deny',
    ],
    [
      'port range hit',
      "action: Allow\n      protocol: TCP\n      destination: { ports: ['80:90'] }",
      tcp(API, FE, 85),
      'allow',
    ],
    [
      'port range miss',
      "action: Allow\n      protocol: TCP\n      destination: { ports: ['80:90'] }",
      tcp(API, FE, 91),
      'deny',
    ],
    ['notPorts', 'action: Allow\n      protocol: TCP\n      destination: { notPorts: [22] }', tcp(API, FE, 22), 'deny'],
    [
      'source ports',
      'action: Allow\n      protocol: TCP\n      source: { ports: [53] }',
      tcp(API, FE, 80, 53),
      'allow',
    ],
    ['notProtocol', 'action: Allow\n      notProtocol: UDP', tcp(API, FE, 80), 'allow'],
    [
      'icmp type',
      'action: Allow\n      protocol: ICMP\n      icmp: { type: 8 }',
      { src: API, dst: FE, protocol: 1, icmpType: 8, icmpCode: 0 },
      'allow',
    ],
    [
      'icmp type miss',
      'action: Allow\n      protocol: ICMP\n      icmp: { type: 8 }',
      { src: API, dst: FE, protocol: 1, icmpType: 0, icmpCode: 0 },
      'deny',
    ],
    [
      'notICMP',
      'action: Allow\n      protocol: ICMP\n      notICMP: { type: 8, code: 0 }',
      { src: API, dst: FE, protocol: 1, icmpType: 8, icmpCode: 0 },
      'deny',
    ],
  ];
  it.each(cases)('%s', (_n, rule, flow, want) => {
    expect(evaluate(flow, only(rule)).verdict).toBe(want);
  });

  it('a namespaced policy rule selector stays in its namespace', () => {
    const m = model(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: { name: fe, namespace: shop }\nspec:\n  selector: app == 'frontend'\n  ingress: [{ action: Allow, source: { selector: has(app) } }]",
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(PROM, FE, 80), m).verdict).toBe('deny');
  });

  it('destination.domains matches exact and wildcard names', () => {
    const m = model(
      gnp(
        'dns',
        "  selector: app == 'frontend'\n  types: [Egress]\n  egress: [{ action: Allow, destination: { domains: ['*.example.com', api.test] } }]",
      ),
    );
    const f = (domain: string) => evaluate({ ...tcp(FE, '192.0.2.1', 443), domain }, m).verdict;
    expect(f('www.example.com')).toBe('allow');
    expect(f('example.com')).toBe('deny');
    expect(f('api.test')).toBe('allow');
  });
});

describe('staged policies', () => {
  it('a staged deny changes only the staged verdict', () => {
    const staged =
      "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: { name: lockdown }\nspec:\n  selector: app == 'frontend'\n  ingress: [{ action: Deny }]";
    const d = evaluate(tcp(API, FE, 80), model(staged));
    expect(d.verdict).toBe('allow');
    expect(d.stagedVerdict).toBe('deny');
  });

  it('stagedAction Delete removes the enforced policy in the staged view', () => {
    const del =
      'apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: { name: api-ingress, namespace: shop }\nspec: { stagedAction: Delete }';
    const d = evaluate(tcp(FE, API, 1234), model(del));
    expect(d.verdict).toBe('deny');
    expect(d.stagedVerdict).toBe('allow');
  });
});

describe('Kubernetes NetworkPolicy semantics', () => {
  const knp = (spec: string) =>
    model(
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: p, namespace: shop }\nspec:\n${spec}`,
    );
  it('isolates ingress only when Ingress is a policy type', () => {
    const m = knp('  podSelector: { matchLabels: { app: frontend } }\n  policyTypes: [Egress]');
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(FE, API, 8080), m).verdict).toBe('deny');
  });
  it('no ingress rules: deny all ingress; an empty rule allows all', () => {
    expect(evaluate(tcp(API, FE, 80), knp('  podSelector: {}')).verdict).toBe('deny');
    expect(evaluate(tcp(PROM, FE, 80), knp('  podSelector: {}\n  ingress: [{}]')).verdict).toBe('allow');
  });
  it('podSelector AND namespaceSelector in one peer', () => {
    const m = knp(
      '  podSelector: { matchLabels: { app: frontend } }\n  ingress:\n    - from: [{ podSelector: { matchLabels: { app: api } }, namespaceSelector: { matchLabels: { env: ops } } }]',
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('deny');
    expect(evaluate(tcp(PROM, FE, 80), m).verdict).toBe('deny');
  });
  it('peers OR together', () => {
    const m = knp(
      '  podSelector: { matchLabels: { app: frontend } }\n  ingress:\n    - from: [{ podSelector: { matchLabels: { app: api } } }, { namespaceSelector: { matchLabels: { env: ops } } }]',
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(PROM, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(DB, FE, 80), m).verdict).toBe('deny');
  });
  it('podSelector alone means the policy namespace', () => {
    const m = knp('  podSelector: { matchLabels: { app: frontend } }\n  ingress: [{ from: [{ podSelector: {} }] }]');
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(PROM, FE, 80), m).verdict).toBe('deny');
  });
  it('ipBlock with except', () => {
    const m = knp(
      '  podSelector: { matchLabels: { app: frontend } }\n  ingress: [{ from: [{ ipBlock: { cidr: 10.10.0.0/16, except: [10.10.3.0/24] } }] }]',
    );
    expect(evaluate(tcp(API, FE, 80), m).verdict).toBe('allow');
    expect(evaluate(tcp(DB, FE, 80), m).verdict).toBe('deny');
  });
  it('ports with endPort and default TCP protocol', () => {
    const m = knp(
      '  podSelector: { matchLabels: { app: frontend } }\n  ingress: [{ ports: [{ port: 8000, endPort: 8010 }] }]',
    );
    expect(evaluate(tcp(API, FE, 8005), m).verdict).toBe('allow');
    expect(evaluate(tcp(API, FE, 8011), m).verdict).toBe('deny');
    expect(evaluate({ src: API, dst: FE, protocol: 17, srcPort: 1, dstPort: 8005 }, m).verdict).toBe('deny');
  });
});

describe('evaluator properties', () => {
  const m = model();
  const ips = fc.constantFrom(FE, API, DB, PROM, HOST, '198.51.100.1', '203.0.113.7');
  const flows = fc.record({
    src: ips,
    dst: ips,
    protocol: fc.constantFrom(6, 17, 1),
    srcPort: fc.integer({ min: 1, max: 65535 }),
    dstPort: fc.integer({ min: 1, max: 65535 }),
  });
  it('is deterministic and always ends its trace with the deciding step', () => {
    fc.assert(
      fc.property(flows, (f) => {
        const a = evaluate(f, m);
        expect(evaluate(f, m)).toEqual(a);
        const decisive = a.trace.filter(
          (s) => s.action !== 'log' && s.action !== 'pass' && s.action !== 'tier-default-pass',
        );
        expect(decisive.length).toBeGreaterThan(0);
        const last = a.trace.at(-1)!;
        expect(['deny', 'tier-default-deny', 'profile-deny'].includes(last.action)).toBe(a.verdict === 'deny');
      }),
    );
  });
  it('adding a GlobalNetworkPolicy that Denies everything in the first tier denies every endpoint flow', () => {
    const lock = model(
      `apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: zero }\nspec: { order: 0 }\n---\n${gnp('lock', '  tier: zero\n  selector: all()\n  types: [Ingress, Egress]\n  ingress: [{ action: Deny }]\n  egress: [{ action: Deny }]')}`,
    );
    fc.assert(
      fc.property(flows, (f) => {
        const known = [FE, API, DB, PROM, HOST];
        if (known.includes(f.src) || known.includes(f.dst)) expect(evaluate(f, lock).verdict).toBe('deny');
        else expect(evaluate(f, lock).verdict).toBe('allow');
      }),
    );
  });
});
