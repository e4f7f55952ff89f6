import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate/evaluate.js';
import { loadPolicyModel } from '../model/load.js';
import type { PolicyModel } from '../model/types.js';
import { exportCalicoYaml, exportKubernetesNetworkPolicies, selectorToLabelSelector } from './export.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const endpointsOnly = shop
  .split('\n---\n')
  .filter((d) => /kind: (WorkloadEndpoint|HostEndpoint|Namespace)/.test(d))
  .join('\n---\n');
const knp = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: fe, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{ podSelector: { matchExpressions: [{ key: app, operator: In, values: [api, db] }] } }, { namespaceSelector: { matchLabels: { env: ops } } }]
      ports: [{ port: 80 }, { port: 8000, endPort: 8100, protocol: UDP }]
    - from: [{ ipBlock: { cidr: 203.0.113.0/24, except: [203.0.113.128/25] } }]
  egress:
    - to: [{ podSelector: { matchLabels: { app: api } } }]
      ports: [{ port: http }]`;

const IPS = ['10.10.1.2', '10.10.2.2', '10.10.3.2', '10.10.4.2', '203.0.113.9', '203.0.113.200', '198.51.100.4'];
const flowArb = fc.record({
  src: fc.constantFrom(...IPS),
  dst: fc.constantFrom(...IPS),
  protocol: fc.constantFrom(6, 17),
  srcPort: fc.constant(40000),
  dstPort: fc.constantFrom(80, 8080, 8050, 5432, 9050),
});
const sameVerdicts = (a: PolicyModel, b: PolicyModel) =>
  fc.assert(
    fc.property(flowArb, (f) => {
      expect(evaluate(f, b).verdict, JSON.stringify(f)).toBe(evaluate(f, a).verdict);
    }),
    { numRuns: 300 },
  );

describe('exportCalicoYaml', () => {
  it('loads back to a model with the same verdicts (Calico and Kubernetes policies)', () => {
    const original = loadPolicyModel([
      { path: 'shop.yaml', text: shop },
      { path: 'knp.yaml', text: knp },
    ]);
    const yaml = exportCalicoYaml(original);
    expect(yaml).toContain("projectcalico.org/orchestrator == 'k8s'");
    const again = loadPolicyModel([
      { path: 'endpoints.yaml', text: endpointsOnly },
      { path: 'export.yaml', text: yaml },
    ]);
    expect(again.policies).toHaveLength(original.policies.length);
    sameVerdicts(original, again);
  });
});

describe('exportKubernetesNetworkPolicies', () => {
  it('round-trips a Kubernetes policy with the same verdicts and no notes', () => {
    const original = loadPolicyModel([
      { path: 'e.yaml', text: endpointsOnly },
      { path: 'knp.yaml', text: knp },
    ]);
    expect(original.networkSets).toEqual([]);
    const out = exportKubernetesNetworkPolicies(original);
    expect(out.notes).toEqual([]);
    expect(out.exported).toBe(1);
    const again = loadPolicyModel([
      { path: 'e.yaml', text: endpointsOnly },
      { path: 'k8s.yaml', text: out.yaml },
    ]);
    sameVerdicts(original, again);
  });

  it('reports what Kubernetes cannot express', () => {
    const out = exportKubernetesNetworkPolicies(loadPolicyModel([{ path: 'shop.yaml', text: shop }]));
    const problems = out.notes.map((n) => `${n.policy} ${n.path}: ${n.problem}`);
    expect(problems.some((p) => p.startsWith('GlobalNetworkPolicy/security.quarantine : global policies'))).toBe(true);
    expect(
      problems.some((p) =>
        p.includes(
          'NetworkPolicy/shop/db-ingress /spec/ingress/0: not expressible (notSelector/serviceAccounts/domains)',
        ),
      ),
    ).toBe(true);
    expect(out.exported).toBe(2);
    const deny = exportKubernetesNetworkPolicies(
      loadPolicyModel([
        {
          path: 'd.yaml',
          text: "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: { name: d, namespace: shop }\nspec:\n  selector: app == 'api' || app == 'db'\n",
        },
        {
          path: 'e.yaml',
          text: 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: { name: e, namespace: shop }\nspec:\n  ingress: [{ action: Deny }]\n',
        },
      ]),
    );
    expect(deny.notes.map((n) => n.problem).join('\n')).toMatch(
      /not a conjunction[\s\S]*Deny rules are not expressible/,
    );
  });

  it('translates selectors Kubernetes can express and refuses the rest', () => {
    expect(selectorToLabelSelector("app == 'a' && tier in {'x', 'y'} && !has(q) && env != 'dev'")).toEqual({
      matchLabels: { app: 'a' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['x', 'y'] },
        { key: 'q', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
      ],
    });
    expect(selectorToLabelSelector('all()')).toEqual({});
    expect(selectorToLabelSelector("a == 'b' || c == 'd'")).toBeUndefined();
    expect(selectorToLabelSelector("a starts with 'b'")).toBeUndefined();
  });
});
