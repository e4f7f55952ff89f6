import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadPolicyModel } from '../model/load.js';
import { compileSelector, type Labels, printSelector, type SelectorAst } from '../selector/selector.js';
import { type CiliumLabelSelector, exportCiliumPolicies, selectorToCilium } from './cilium.js';
import { CILIUM_POLICY_SCHEMA } from './cilium-schema.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const validate = new Ajv({ allErrors: true, strict: false }).compile(CILIUM_POLICY_SCHEMA);

/** Every document validates against the schema subset, and the YAML text holds the same documents. */
function checkOutput(out: ReturnType<typeof exportCiliumPolicies>): void {
  for (const d of out.documents) expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
  const fromYaml = parseAllDocuments(out.yaml).map((d) => (Array.isArray(d) ? undefined : d.toJS()));
  expect(fromYaml).toEqual(out.documents);
}

const load = (...texts: string[]) => loadPolicyModel(texts.map((text, i) => ({ path: `p${i}.yaml`, text })));
const docNamed = (out: ReturnType<typeof exportCiliumPolicies>, name: string) =>
  out.documents.find((d) => (d.metadata as { name: string }).name === name)!;
const notesOf = (out: ReturnType<typeof exportCiliumPolicies>, policy: string) =>
  out.notes.filter((n) => n.policy === policy).map((n) => `${n.path}: ${n.problem}`);

const RICH = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: api, namespace: shop }
spec:
  selector: app == 'api' && env in {'prod', 'stage'}
  types: [Ingress, Egress]
  ingress:
    - action: Allow
      protocol: TCP
      source: { selector: app == 'frontend' }
      destination: { ports: [8080, '9000:9100', http] }
    - action: Allow
      protocol: UDP
      source: { selector: has(scraper), namespaceSelector: env == 'ops' }
    - action: Log
    - action: Allow
      source: { selector: role starts with 'fe' }
    - action: Allow
      protocol: ICMP
      icmp: { type: 8 }
      source: { nets: [10.0.0.0/8], notNets: [10.1.0.0/16, 192.168.0.0/16] }
  egress:
    - action: Deny
      protocol: TCP
      destination: { nets: [203.0.113.0/24], ports: [25] }
    - action: Allow
      protocol: TCP
      destination: { domains: [api.partner.test, '*.cdn.test'], ports: [443] }
    - action: Allow
      protocol: TCP
      destination: { notPorts: [22] }
    - action: Allow
      destination: { selector: app == 'db', namespaceSelector: projectcalico.org/name == 'data' }
    - action: Pass
`;

describe('exportCiliumPolicies', () => {
  it('translates selectors, ports, ranges, named ports, CIDRs with except, FQDNs, ICMP and deny rules', () => {
    const out = exportCiliumPolicies(load(RICH));
    checkOutput(out);
    expect(out.documents).toEqual([
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: { name: 'api', namespace: 'shop' },
        spec: {
          endpointSelector: {
            matchLabels: { app: 'api' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }],
          },
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { app: 'frontend' } }],
              toPorts: [
                {
                  ports: [
                    { port: '8080', protocol: 'TCP' },
                    { port: '9000', endPort: 9100, protocol: 'TCP' },
                    { port: 'http', protocol: 'TCP' },
                  ],
                },
              ],
            },
            {
              fromEndpoints: [
                {
                  matchLabels: { 'io.cilium.k8s.namespace.labels.env': 'ops' },
                  matchExpressions: [
                    { key: 'scraper', operator: 'Exists' },
                    { key: 'io.kubernetes.pod.namespace', operator: 'Exists' },
                  ],
                },
              ],
              toPorts: [{ ports: [{ port: '0', protocol: 'UDP' }] }],
            },
            {
              fromCIDRSet: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }],
              icmps: [{ fields: [{ type: 8, family: 'IPv4' }] }],
            },
          ],
          egress: [
            {
              toFQDNs: [{ matchName: 'api.partner.test' }, { matchPattern: '*.cdn.test' }],
              toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }],
            },
            { toEndpoints: [{ matchLabels: { app: 'db', 'io.kubernetes.pod.namespace': 'data' } }] },
          ],
          egressDeny: [
            { toCIDRSet: [{ cidr: '203.0.113.0/24' }], toPorts: [{ ports: [{ port: '25', protocol: 'TCP' }] }] },
          ],
          // The egress Pass hands undecided traffic to later tiers: no default deny there.
          enableDefaultDeny: { ingress: true, egress: false },
        },
      },
    ]);
    expect(notesOf(out, 'NetworkPolicy/shop/api')).toEqual([
      '/spec/ingress/2: Log has no Cilium equivalent (use Hubble flow logs); rule left out',
      '/spec/ingress/3: not expressible (the "starts with" operator has no Cilium equivalent); rule left out',
      '/spec/ingress/4: Cilium CIDR rules match addresses outside the cluster only; pods and nodes inside these nets are not matched',
      '/spec/egress/0: Cilium CIDR rules match addresses outside the cluster only; pods and nodes inside these nets are not matched',
      '/spec/egress/1: a Cilium "*." pattern matches one label; Calico\'s wildcard also matches deeper subdomains',
      "/spec/egress/1: toFQDNs needs a DNS rule (toPorts rules.dns) on the workload's DNS traffic for Cilium to learn the addresses",
      '/spec/egress/2: not expressible (notPorts or source ports); rule left out',
      '/spec/egress/4: Pass has no Cilium equivalent (no tiers); rule left out',
      '/spec/egress: traffic no rule decides goes to later tiers in Calico; Cilium default deny for egress is not enabled by this policy',
    ]);
  });

  it('writes global policies as clusterwide ones and reports tiers, host endpoints, network sets and staged policies', () => {
    const out = exportCiliumPolicies(
      load(
        shop,
        `apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: { name: later, namespace: shop }
spec: { selector: all() }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: to-partners }
spec:
  selector: role == 'node' || app == 'api'
  types: [Egress]
  egress: [{ action: Allow, destination: { selector: kind == 'partner' } }]`,
      ),
    );
    checkOutput(out);
    expect(docNamed(out, 'security.quarantine')).toMatchObject({
      kind: 'CiliumClusterwideNetworkPolicy',
      metadata: { name: 'security.quarantine' },
      spec: {
        endpointSelector: {},
        ingressDeny: [{ fromEndpoints: [{ matchLabels: { quarantine: 'true' } }] }],
        enableDefaultDeny: { ingress: false, egress: false },
      },
    });
    expect(notesOf(out, 'GlobalNetworkPolicy/security.quarantine')).toEqual([
      '/spec: tier and order are lost: Cilium policies are unordered (allows add up, denies win)',
      '/spec/selector: selects host endpoints; Cilium host policies need a nodeSelector and are not written',
      '/spec/ingress/0: Cilium deny rules win over every allow, whatever Calico order or tier put before them',
      '/spec/ingress/1: Pass has no Cilium equivalent (no tiers); rule left out',
      '/spec/egress/0: Pass has no Cilium equivalent (no tiers); rule left out',
      '/spec/ingress: traffic no rule decides goes to later tiers in Calico; Cilium default deny for ingress is not enabled by this policy',
      '/spec/egress: traffic no rule decides goes to later tiers in Calico; Cilium default deny for egress is not enabled by this policy',
    ]);
    // An OR in the policy selector: one spec per alternative.
    expect(docNamed(out, 'to-partners')).toMatchObject({
      specs: [
        {
          endpointSelector: { matchLabels: { role: 'node' } },
          egress: [{ toEndpoints: [{ matchLabels: { kind: 'partner' } }] }],
        },
        { endpointSelector: { matchLabels: { app: 'api' } } },
      ],
    });
    expect(notesOf(out, 'GlobalNetworkPolicy/to-partners')).toContain(
      '/spec/egress/0: the selector also matches 1 network set(s) or host endpoint(s), which Cilium endpoint selectors do not',
    );
    expect(notesOf(out, 'StagedNetworkPolicy/shop/later')).toEqual([
      ': staged policies have no Cilium equivalent; not exported',
    ]);
    // Service accounts by name become Cilium's service account label.
    expect(docNamed(out, 'db-ingress')).toMatchObject({
      spec: {
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { 'io.cilium.k8s.policy.serviceaccount': 'api-sa' } }],
          },
        ],
      },
    });
  });

  it('translates Kubernetes NetworkPolicies: peers, namespaceSelector, ipBlock except, endPort, empty from', () => {
    const out = exportCiliumPolicies(
      load(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: fe, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{ podSelector: { matchExpressions: [{ key: app, operator: In, values: [api, db] }] } }, { namespaceSelector: { matchLabels: { env: ops } } }]
      ports: [{ port: 80 }, { port: 8000, endPort: 8100, protocol: UDP }]
    - from: [{ ipBlock: { cidr: 203.0.113.0/24, except: [203.0.113.128/25] } }]
    - {}
  egress: []`),
    );
    checkOutput(out);
    expect(out.documents[0]).toMatchObject({
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'fe', namespace: 'shop' },
    });
    const spec = (out.documents[0] as { spec: { ingress: unknown[]; egress?: unknown[] } }).spec;
    expect(spec).toMatchObject({
      endpointSelector: { matchLabels: { app: 'frontend' } },
      enableDefaultDeny: { ingress: true, egress: true },
    });
    expect(spec.egress).toBeUndefined(); // egress: [] isolates: default deny without rules
    expect(spec.ingress).toContainEqual({
      fromEndpoints: [
        {
          matchLabels: { 'io.cilium.k8s.namespace.labels.env': 'ops' },
          matchExpressions: [{ key: 'io.kubernetes.pod.namespace', operator: 'Exists' }],
        },
      ],
      toPorts: [{ ports: [{ port: '8000', endPort: 8100, protocol: 'UDP' }] }],
    });
    expect(spec.ingress).toContainEqual({ fromCIDRSet: [{ cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] }] });
    expect(spec.ingress).toContainEqual({ fromEntities: ['all'] });
  });

  it('leaves out what it cannot say, with the reason', () => {
    const out = exportCiliumPolicies(
      load(`apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: odd }
spec:
  selector: name contains 'x'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: sa }
spec:
  selector: all()
  serviceAccountSelector: role == 'admin'
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: { name: rules, namespace: ns }
spec:
  selector: all()
  ingress:
    - { action: Allow, protocol: ICMP }
    - { action: Allow, source: { notSelector: app == 'x' } }
    - { action: Allow, source: { selector: app == 'x', nets: [10.0.0.0/8] } }
    - { action: Allow, source: { namespaceSelector: global() } }
    - { action: Allow, notProtocol: TCP }
    - { action: Allow, destination: { nets: [10.0.0.0/8] } }
  egress:
    - { action: Deny, destination: { domains: [x.test] } }`),
    );
    checkOutput(out);
    expect(out.notes.map((n) => `${n.policy} ${n.path}: ${n.problem}`)).toEqual([
      'GlobalNetworkPolicy/odd /spec/selector: not expressible (the "contains" operator has no Cilium equivalent); not exported',
      'GlobalNetworkPolicy/sa /spec/serviceAccountSelector: service account selectors have no Cilium equivalent; not exported',
      'NetworkPolicy/ns/rules /spec/ingress/0: not expressible (ICMP without a type (Cilium matches ICMP by type only)); rule left out',
      'NetworkPolicy/ns/rules /spec/ingress/1: not expressible (notSelector (it also matches unknown addresses)); rule left out',
      'NetworkPolicy/ns/rules /spec/ingress/2: not expressible (nets together with selectors (Cilium ORs its peers)); rule left out',
      'NetworkPolicy/ns/rules /spec/ingress/3: not expressible (namespaceSelector global() (host endpoints and global network sets)); rule left out',
      'NetworkPolicy/ns/rules /spec/ingress/4: not expressible (notProtocol); rule left out',
      "NetworkPolicy/ns/rules /spec/ingress/5: not expressible (matches on the destination (the policy's own endpoint)); rule left out",
      'NetworkPolicy/ns/rules /spec/egress/0: not expressible (domains in a Deny rule (Cilium deny rules have no toFQDNs)); rule left out',
    ]);
    expect(out.exported).toBe(1);
  });
});

// Kubernetes label selector semantics, to check the translation against Calico's matcher.
function k8sMatches(sel: CiliumLabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key]!)) return false;
  }
  return true;
}

const KEYS = ['app', 'tier', 'env'];
const VALUES = ['a', 'b', 'c'];
const atom: fc.Arbitrary<SelectorAst> = fc.oneof(
  fc.constant({ kind: 'all' } as const),
  fc.record({ kind: fc.constant('has' as const), key: fc.constantFrom(...KEYS) }),
  fc.record({
    kind: fc.constantFrom('eq' as const, 'ne' as const),
    key: fc.constantFrom(...KEYS),
    value: fc.constantFrom(...VALUES),
  }),
  fc.record({
    kind: fc.constantFrom('in' as const, 'notIn' as const),
    key: fc.constantFrom(...KEYS),
    values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
  }),
);
const selectorArb: fc.Arbitrary<SelectorAst> = fc.letrec<{ s: SelectorAst }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.record({ kind: fc.constant('not' as const), expr: tie('s') }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      items: fc.array(tie('s'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).s;
const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });

describe('selectorToCilium (property)', () => {
  it('the OR of the Cilium selectors matches exactly the labels the Calico selector matches', () => {
    fc.assert(
      fc.property(selectorArb, fc.array(labelsArb, { minLength: 1, maxLength: 10 }), (ast, labelSets) => {
        const text = printSelector(ast);
        let sels: CiliumLabelSelector[];
        try {
          sels = selectorToCilium(text);
        } catch (err) {
          expect((err as Error).message).toMatch(/too complex/);
          return;
        }
        const calico = compileSelector(text);
        for (const l of labelSets)
          expect(
            sels.some((s) => k8sMatches(s, l)),
            `${text} on ${JSON.stringify(l)}`,
          ).toBe(calico(l));
      }),
      { numRuns: 500 },
    );
  });
});

describe('CILIUM_POLICY_SCHEMA', () => {
  const base = {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { endpointSelector: {} },
  };
  it('accepts a minimal policy and refuses what Cilium would refuse', () => {
    expect(validate(base)).toBe(true);
    const bad = [
      { ...base, metadata: { name: 'p' } },
      { ...base, kind: 'CiliumClusterwideNetworkPolicy' },
      { ...base, spec: { endpointSelector: {}, egress: [{ toCIDRSet: [{ cidr: '10.0.0.1' }] }] } },
      { ...base, spec: { endpointSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } },
      { ...base, spec: { endpointSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } } },
      { ...base, spec: { endpointSelector: {}, ingressDeny: [{ toFQDNs: [{ matchName: 'x.test' }] }] } },
      {
        ...base,
        spec: { endpointSelector: {}, ingress: [{ toPorts: [{ ports: [{ port: '80', protocol: 'ICMP' }] }] }] },
      },
      { ...base, specs: [{ endpointSelector: {} }] },
    ];
    for (const doc of bad) expect(validate(doc), JSON.stringify(doc)).toBe(false);
  });
});

// Random Calico policies (valid for the loader): the export never throws, and every document it
// writes is valid against the schema.
const portsArb = fc.oneof(
  fc.uniqueArray(fc.constantFrom<string | number>(80, 443, '8000:8100', 'http', 5432), { minLength: 1, maxLength: 4 }),
  fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 41, maxLength: 45 }),
);
const entityArb = (withDomains: boolean) =>
  fc.record(
    {
      selector: selectorArb.map(printSelector),
      namespaceSelector: fc.constantFrom("env == 'ops'", 'all()', 'global()', "projectcalico.org/name == 'x'"),
      nets: fc.uniqueArray(fc.constantFrom('10.0.0.0/8', '203.0.113.0/24', '2001:db8::/32', '192.0.2.1'), {
        minLength: 1,
        maxLength: 2,
      }),
      notNets: fc.uniqueArray(fc.constantFrom('10.1.0.0/16', '2001:db8:1::/48', '198.51.100.0/24'), {
        minLength: 1,
        maxLength: 2,
      }),
      notSelector: fc.constant("app == 'x'"),
      serviceAccounts: fc.constantFrom({ names: ['sa-1'] }, { selector: "role == 'admin'" }),
      ...(withDomains ? { domains: fc.constantFrom(['a.test'], ['*.cdn.test', 'b.test']) } : {}),
    },
    { requiredKeys: [] },
  );
const ruleArb = fc
  .record({
    action: fc.constantFrom('Allow', 'Deny', 'Pass', 'Log'),
    protocol: fc.constantFrom(undefined, 'TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 136),
    icmpType: fc.option(fc.integer({ min: 0, max: 254 }), { nil: undefined }),
    source: entityArb(false),
    destination: entityArb(true),
    ports: fc.option(portsArb, { nil: undefined }),
    notPorts: fc.option(fc.constant([22]), { nil: undefined }),
  })
  .map((r) => {
    const portful = r.protocol === 'TCP' || r.protocol === 'UDP' || r.protocol === 'SCTP';
    const icmp = r.protocol === 'ICMP' || r.protocol === 'ICMPv6';
    return {
      action: r.action,
      ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
      ...(icmp && r.icmpType !== undefined ? { icmp: { type: r.icmpType } } : {}),
      source: r.source,
      destination: {
        ...r.destination,
        ...(portful && r.ports ? { ports: r.ports } : {}),
        ...(portful && r.notPorts ? { notPorts: r.notPorts } : {}),
      },
    };
  });
const policyArb = fc.record({
  global: fc.boolean(),
  selector: selectorArb.map(printSelector),
  types: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.array(ruleArb, { maxLength: 3 }),
  egress: fc.array(ruleArb, { maxLength: 3 }),
});

describe('exportCiliumPolicies (property)', () => {
  it('writes only schema-valid documents for any loadable policy set', () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 4 }), (policies) => {
        const text = policies
          .map((p, i) =>
            JSON.stringify({
              apiVersion: 'projectcalico.org/v3',
              kind: p.global ? 'GlobalNetworkPolicy' : 'NetworkPolicy',
              metadata: { name: `p${i}`, ...(p.global ? {} : { namespace: 'shop' }) },
              spec: { selector: p.selector, types: p.types, ingress: p.ingress, egress: p.egress },
            }),
          )
          .join('\n---\n');
        const out = exportCiliumPolicies(load(text));
        checkOutput(out);
        for (const n of out.notes) expect(n.problem.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
