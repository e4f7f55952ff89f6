import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@palisade/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicyModel } from '../model/load.js';
import { compileRuleset } from '../nft/compile.js';
import { addEndpointIncrementally } from '../nft/incremental.js';
import { runHook } from '../nft/interpret.js';
import { renderTable } from '../nft/render.js';
import { EGRESS_MARK_MASK } from './plan.js';
import { egressRoutes, routeArgs, ruleArgs, sameRule } from './routes.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const load = (...extra: string[]) =>
  loadPolicyModel([{ path: 'shop.yaml', text: shop }, ...extra.map((text, i) => ({ path: `g${i}.yaml`, text }))]);

const gateway = (name: string, spec: string) =>
  `apiVersion: palisade.dev/v1\nkind: EgressGatewayPolicy\nmetadata: { name: ${name} }\nspec:\n${spec}`;
const API_TO_PARTNERS = gateway(
  'partners',
  `  order: 10
  selector: app == 'api'
  destination: { nets: [198.51.100.0/24], selector: kind == 'partner', domains: [api.partner.test] }
  gateway: { nextHop: 10.10.0.254, sourceAddress: 192.0.2.50 }`,
);
const ALL_TO_BACKUP = gateway(
  'backup',
  `  order: 20
  selector: all()
  destination: { nets: [198.51.100.7] }
  gateway: { interface: eth9, sourceAddress: 192.0.2.60, table: 300 }`,
);

describe('EgressGatewayPolicy', () => {
  it('loads with its defaults and rejects what the schema or the loader cannot accept', () => {
    const model = load(API_TO_PARTNERS);
    expect(model.egressGateways).toEqual([
      expect.objectContaining({
        name: 'partners',
        selector: "app == 'api'",
        gateway: { nextHop: '10.10.0.254', sourceAddress: '192.0.2.50' },
      }),
    ]);
    const bad = (spec: string) => () => load(gateway('x', spec));
    expect(bad('  selector: all()\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { nextHop: 10.0.0.1 }')).toThrow(
      /\/spec\/gateway: must have required property 'sourceAddress'/,
    );
    expect(
      bad('  selector: all()\n  destination: {}\n  gateway: { nextHop: 10.0.0.1, sourceAddress: 192.0.2.1 }'),
    ).toThrow(/\/spec\/destination/);
    expect(
      bad('  selector: all()\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { sourceAddress: 192.0.2.1 }'),
    ).toThrow(/\/spec\/gateway/);
    expect(
      bad(
        '  selector: app ==\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { nextHop: 10.0.0.1, sourceAddress: 192.0.2.1 }',
      ),
    ).toThrow(/\/spec\/selector: invalid selector at position/);
    expect(
      bad(
        '  selector: all()\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { nextHop: 2001:db8::1, sourceAddress: 192.0.2.1 }',
      ),
    ).toThrow(/same IP family/);
    expect(
      bad(
        '  selector: all()\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { nextHop: 10.0.0.1, sourceAddress: 192.0.2.0/24 }',
      ),
    ).toThrow(/sourceAddress: not an IP address/);
    expect(
      bad(
        '  selector: all()\n  destination: { nets: [10.0.0.0/8] }\n  gateway: { nextHop: 10.0.0.1, sourceAddress: 192.0.2.1, table: 254 }',
      ),
    ).toThrow(/\/spec\/gateway\/table/);
    expect(() => load(API_TO_PARTNERS.replace('palisade.dev/v1', 'projectcalico.org/v3'))).toThrow(
      /EgressGatewayPolicy is palisade.dev\/v1/,
    );
  });

  it('marks traffic from selected endpoints to the destinations, first policy by order wins, and SNATs it', () => {
    const model = load(ALL_TO_BACKUP, API_TO_PARTNERS);
    const rs = compileRuleset(model);
    const mark = (saddr: string, daddr: string) =>
      runHook(rs, 'prerouting', { saddr, daddr, protocol: 6, sport: 40000, dport: 443, iif: 'pal-api' }).mark &
      EGRESS_MARK_MASK;
    expect(mark('10.10.2.2', '198.51.100.9')).toBe(0x10000); // api → partner nets: first gateway
    expect(mark('10.10.2.2', '203.0.113.5')).toBe(0x10000); // api → partners network set
    expect(mark('10.10.2.2', '198.51.100.7')).toBe(0x10000); // both match: order 10 before 20
    expect(mark('10.10.1.2', '198.51.100.7')).toBe(0x20000); // frontend: only the backup gateway
    expect(mark('10.10.1.2', '198.51.100.9')).toBe(0); // frontend → partner nets: normal path
    const text = renderTable(rs);
    expect(text).toContain('type filter hook prerouting priority -150; policy accept;');
    expect(text).toContain('type route hook output priority -150; policy accept;');
    expect(text).toContain('type nat hook postrouting priority 100; policy accept;');
    expect(text).toContain(
      'meta nfproto ipv4 meta mark & 0x00ff0000 == 0x00010000 rt ip nexthop 10.10.0.254 snat ip to 192.0.2.50',
    );
    expect(text).toContain(
      'meta nfproto ipv4 meta mark & 0x00ff0000 == 0x00020000 oifname "eth9" snat ip to 192.0.2.60',
    );
    expect(text).toMatch(
      /ip saddr @a4_\d+ ip daddr @dns4_\d+ meta mark set meta mark & 0xff00ffff \| 0x00010000 accept/,
    );
    // The domain set is one the DNS proxy fills, like any domain rule's.
    expect(rs.domainSets).toEqual([expect.objectContaining({ domains: ['api.partner.test'] })]);
    // No gateways, no chains.
    expect(renderTable(compileRuleset(load()))).not.toContain('egress-');
  });

  it('a new pod a gateway selects is not added incrementally (its source set must grow): recompile', () => {
    const pod = (app: string) =>
      loadPolicyModel([
        {
          path: 'pod.yaml',
          text: `apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: { name: ${app}2, namespace: shop, labels: { app: ${app} } }\nspec: { interfaceName: pal-${app}2, ipNetworks: [10.10.9.9/32] }`,
        },
      ]).endpoints[0]!;
    expect(addEndpointIncrementally(compileRuleset(load(API_TO_PARTNERS)), pod('api'))).toBeUndefined();
    expect(addEndpointIncrementally(compileRuleset(load(API_TO_PARTNERS)), pod('frontend'))).toBeDefined();
  });

  it('routes each gateway’s mark to its own table via the gateway', () => {
    const routes = egressRoutes(load(ALL_TO_BACKUP, API_TO_PARTNERS));
    expect(routes.map((r) => [ruleArgs(r, 'add').join(' '), routeArgs(r).join(' ')])).toEqual([
      [
        '-4 rule add priority 20001 fwmark 0x10000/0xff0000 table 20001',
        '-4 route replace default via 10.10.0.254 table 20001',
      ],
      ['-4 rule add priority 20002 fwmark 0x20000/0xff0000 table 300', '-4 route replace default dev eth9 table 300'],
    ]);
    const listed = { priority: 20001, fwmark: '0x10000', fwmask: '0xff0000', table: '20001' };
    expect(sameRule(listed, routes[0]!)).toBe(true);
    expect(sameRule({ ...listed, table: '20002' }, routes[0]!)).toBe(false);
    expect(sameRule(listed, routes[1]!)).toBe(false);
  });

  it('any spec either loads or is an InputError, never a crash', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constantFrom('10.0.0.1', '2001:db8::1', '10.0.0.0/8', 'eth0', "app == 'x'", 'all()', 254),
      fc.array(fc.constantFrom('10.0.0.0/8', 'x', '2001:db8::/32', 'a.example')),
    );
    const spec = fc.record(
      {
        order: value,
        selector: value,
        destination: fc.record({ nets: value, domains: value, selector: value }, { requiredKeys: [] }),
        gateway: fc.record(
          { nextHop: value, interface: value, sourceAddress: value, table: value },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(spec, (s) => {
        const doc = JSON.stringify({
          apiVersion: 'palisade.dev/v1',
          kind: 'EgressGatewayPolicy',
          metadata: { name: 'g' },
          spec: s,
        });
        try {
          const m = loadPolicyModel([{ path: 'g.yaml', text: doc }]);
          compileRuleset(m);
          egressRoutes(m);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
