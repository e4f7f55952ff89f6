import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicyModel } from './load.js';

const load = (text: string) => loadPolicyModel([{ path: 'p.yaml', text }]);
const gnp = (spec: string) =>
  `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: x }\nspec:\n${spec}`;

describe('loadPolicyModel', () => {
  it('reads every kind, in both API groups, and normalises protocols and ports', () => {
    const m = load(
      [
        'apiVersion: palisade.dev/v1\nkind: Tier\nmetadata: { name: sec }\nspec: { order: 10 }',
        "apiVersion: palisade.dev/v1\nkind: NetworkPolicy\nmetadata: { name: a, namespace: ns }\nspec:\n  tier: sec\n  selector: app == 'a'\n  egress: [{ action: Allow, protocol: udp, destination: { ports: [53, '1000:2000', dns] } }]",
        'apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: { name: s, namespace: ns, labels: { a: b } }\nspec: { nets: [10.0.0.0/8] }',
        'apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: { name: st }\nspec: { selector: all() }',
      ].join('\n---\n'),
    );
    expect(m.tiers.map((t) => t.name).sort()).toEqual(['default', 'sec']);
    const a = m.policies.find((p) => p.name === 'a')!;
    expect(a.types).toEqual(['Egress']); // egress rules only
    const both = load(gnp('  ingress: [{ action: Allow }]\n  egress: [{ action: Allow }]')).policies[0]!;
    expect(both.types).toEqual(['Ingress', 'Egress']);
    expect(load(gnp('  selector: all()')).policies[0]!.types).toEqual(['Ingress']);
    expect(a.egress[0]!.protocol).toBe(17);
    expect(a.egress[0]!.destination.ports).toEqual([{ from: 53, to: 53 }, { from: 1000, to: 2000 }, { name: 'dns' }]);
    expect(m.policies.find((p) => p.name === 'st')!.staged).toBe(true);
    expect(m.networkSets[0]!.namespace).toBe('ns');
  });

  const bad: [string, string, RegExp][] = [
    [
      'bad selector position',
      gnp("  selector: app == 'a' &&"),
      /document 0 \(GlobalNetworkPolicy\/x\): \/spec\/selector: invalid selector at position 13/,
    ],
    [
      'rule selector path',
      gnp("  ingress: [{ action: Allow, source: { selector: 'app =' } }]"),
      /\/spec\/ingress\/0\/source\/selector: invalid selector at position 4/,
    ],
    [
      'bad action',
      gnp('  ingress: [{ action: Accept }]'),
      /\/spec\/ingress\/0\/action: must be one of Allow, Deny, Log, Pass/,
    ],
    ['unknown field', gnp('  ingres: []'), /unknown field "ingres"/],
    [
      'bad cidr',
      gnp('  ingress: [{ action: Allow, source: { nets: [10.0.0.0/33] } }]'),
      /\/spec\/ingress\/0\/source\/nets\/0: not an IP address or CIDR/,
    ],
    [
      'ports without protocol',
      gnp('  ingress: [{ action: Allow, destination: { ports: [80] } }]'),
      /ports and notPorts need protocol/,
    ],
    [
      'bad port range',
      gnp("  ingress: [{ action: Allow, protocol: TCP, destination: { ports: ['90:80'] } }]"),
      /bad port range/,
    ],
    ['unknown protocol', gnp('  ingress: [{ action: Allow, protocol: GRE2 }]'), /unknown protocol "GRE2"/],
    ['icmp without protocol', gnp('  ingress: [{ action: Allow, icmp: { type: 8 } }]'), /icmp needs protocol ICMP/],
    ['unknown tier', gnp('  tier: nope'), /tier "nope" that no Tier document defines/],
    [
      'unknown kind',
      'apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: { name: x }\nspec: {}',
      /unsupported kind "Profile"/,
    ],
    [
      'foreign apiVersion',
      'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: { name: x }',
      /unsupported apiVersion/,
    ],
    [
      'namespace on a global kind',
      'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: { name: x, namespace: y }\nspec: {}',
      /\/metadata\/namespace: not allowed/,
    ],
    ['YAML syntax', 'kind: [', /document 0: YAML error/],
    ['duplicate', `${gnp('  order: 1')}\n---\n${gnp('  order: 2')}`, /document 1 .*defined twice/],
    [
      'ipBlock mixed',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: k }\nspec:\n  podSelector: {}\n  ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/8 }, podSelector: {} }] }]',
      /ipBlock cannot be combined/,
    ],
  ];
  it.each(bad)('%s', (_n, text, want) => {
    expect(() => load(text)).toThrow(InputError);
    expect(() => load(text)).toThrow(want);
  });

  it('arbitrary text is either a model or an InputError, never a crash', () => {
    const pieces = fc.constantFrom(
      'apiVersion: projectcalico.org/v3\n',
      'kind: GlobalNetworkPolicy\n',
      'metadata: { name: a }\n',
      'spec:\n',
      '  selector: ',
      "'a == 1'\n",
      '  ingress: [{ action: Allow }]\n',
      '---\n',
      ': [',
      '{',
      'x\n',
      '  types: [Egress]\n',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (arr) => {
        try {
          load(arr.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
