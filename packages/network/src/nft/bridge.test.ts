import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicyModel } from '../model/load.js';
import { parseBridgePorts, renderBridgeGuard, withBridgeDispatch } from './bridge.js';
import { compileRuleset } from './compile.js';
import { runHook } from './interpret.js';
import { renderTable } from './render.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');
const model = loadPolicyModel([{ path: 'shop.yaml', text: shop }]);
// Every shop workload on one bridge, as podman's default network would put them.
const ports = new Map(
  model.endpoints.filter((e) => e.kind === 'WorkloadEndpoint').map((e) => [e.interfaceName!, 'podman0']),
);
const plain = compileRuleset(model);
const bridged = withBridgeDispatch(plain, model.endpoints, ports);
const IPS = ['10.10.1.2', '10.10.2.2', '10.10.3.2', '10.10.4.2', '203.0.113.9'];
const portOf = (ip: string) => model.endpoints.find((e) => e.ips.includes(ip) && ports.has(e.interfaceName!));

describe('bridge dispatch', () => {
  it('leaves a table without bridged endpoints as it was', () => {
    expect(withBridgeDispatch(plain, model.endpoints, new Map())).toBe(plain);
    expect(withBridgeDispatch(plain, model.endpoints, new Map([['eth0', 'br0']]))).toBe(plain); // a host endpoint
  });

  it('dispatches by address on the bridge device, after the interface vmaps, and trusts the bridge in anti-spoofing', () => {
    const text = renderTable(bridged);
    expect(text).toMatch(/iifname vmap @wep_egress\n\s+iifname "podman0" ip saddr @br_ep0_4 jump ep-out-\d+/);
    expect(text).toMatch(/oifname vmap @wep_ingress\n\s+oifname "podman0" ip daddr @br_ep0_4 jump ep-in-\d+/);
    expect(text).toContain('"podman0" . 10.10.1.2');
    expect(text).toContain('"pal-fe" . 10.10.1.2');
  });

  it('gives a bridged packet the verdict, ct mark and logs the routed one gets (the evaluator-tested path)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...IPS),
        fc.constantFrom(...IPS),
        fc.constantFrom(6, 17, 1),
        fc.integer({ min: 1, max: 10_000 }),
        (src, dst, protocol, dport) => {
          fc.pre(src !== dst);
          const flow = { saddr: src, daddr: dst, protocol, ...(protocol !== 1 ? { sport: 40000, dport } : {}) };
          const routed = runHook(plain, 'forward', {
            ...flow,
            iif: portOf(src)?.interfaceName ?? 'ext0',
            oif: portOf(dst)?.interfaceName ?? 'ext0',
          });
          const onBridge = runHook(bridged, 'forward', {
            ...flow,
            iif: portOf(src) ? 'podman0' : 'ext0',
            oif: portOf(dst) ? 'podman0' : 'ext0',
          });
          expect(onBridge).toEqual(routed);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('closes the gap: a flow the routed path drops passes the plain table on a bridge, not the bridged one', () => {
    const flows = IPS.flatMap((src) =>
      IPS.filter((dst) => dst !== src && portOf(src) && portOf(dst)).map((dst) => ({ src, dst })),
    );
    const onBridge = { protocol: 6, sport: 40000, dport: 5432, iif: 'podman0', oif: 'podman0' };
    const dropped = flows.filter(
      ({ src, dst }) =>
        runHook(plain, 'forward', {
          ...onBridge,
          saddr: src,
          daddr: dst,
          iif: portOf(src)!.interfaceName!,
          oif: portOf(dst)!.interfaceName!,
        }).verdict === 'drop',
    );
    expect(dropped.length).toBeGreaterThan(0);
    for (const { src, dst } of dropped) {
      expect(runHook(plain, 'forward', { ...onBridge, saddr: src, daddr: dst }).verdict).toBe('accept');
      expect(runHook(bridged, 'forward', { ...onBridge, saddr: src, daddr: dst }).verdict).toBe('drop');
    }
  });

  it('dispatches host-to-workload (output) and workload-to-host (input) traffic on the bridge too', () => {
    const out = runHook(bridged, 'output', {
      saddr: '10.10.0.1',
      daddr: '10.10.3.2',
      protocol: 6,
      dport: 5432,
      oif: 'podman0',
    });
    const routed = runHook(plain, 'output', {
      saddr: '10.10.0.1',
      daddr: '10.10.3.2',
      protocol: 6,
      dport: 5432,
      oif: 'pal-db',
    });
    expect(out).toEqual(routed);
  });
});

describe('bridge guard', () => {
  it('lists each bridged port with its workload’s addresses, and passes other ports', () => {
    const script = renderBridgeGuard('palisade', model.endpoints, ports);
    expect(script).toContain('table bridge palisade {');
    expect(script).toContain('add element bridge palisade ports { "pal-fe", "pal-api", "pal-db", "pal-prom" }');
    expect(script).toContain('"pal-fe" . 10.10.1.2');
    expect(script).toContain('add element bridge palisade addrs4 { 10.10.1.2, 10.10.2.2, 10.10.3.2, 10.10.4.2 }');
    expect(script).toContain('ether type ip ip saddr @addrs4 drop');
    expect(script).toContain('ether type ip iifname @ports drop');
    expect(script.indexOf('flush chain')).toBeLessThan(script.indexOf('add rule'));
  });

  it('without bridged endpoints it is an empty guard that passes everything', () => {
    const script = renderBridgeGuard('palisade', model.endpoints, new Map());
    expect(script).not.toContain('add element');
    expect(script).toContain('iifname @ports drop'); // with an empty set: drops nothing
  });
});

describe('parseBridgePorts', () => {
  it('reads `ip -j link show type bridge_slave`', () => {
    const json = JSON.stringify([{}, { ifname: 'veth1', master: 'podman0' }, { ifname: 'veth2' }]);
    expect(parseBridgePorts(json)).toEqual(new Map([['veth1', 'podman0']]));
    expect(parseBridgePorts('')).toEqual(new Map());
  });

  it('never throws on any JSON and keeps only string pairs', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = parseBridgePorts(JSON.stringify(v) ?? 'null');
        for (const [k, m] of out) expect([typeof k, typeof m]).toEqual(['string', 'string']);
      }),
    );
  });
});
