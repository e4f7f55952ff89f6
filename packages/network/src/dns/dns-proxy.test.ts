import dgram from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, startTinyDns, type TinyDnsServer } from '../../test/support/tiny-dns.js';
import { loadPolicyModel } from '../model/load.js';
import { compileRuleset } from '../nft/compile.js';
import { renderTable } from '../nft/render.js';
import { type DnsProxy, startDnsProxy } from './dns-proxy.js';

const POLICY = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: partner }
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
    - { action: Allow, protocol: TCP, destination: { domains: [API.partner.test, '*.cdn.test'], ports: [80] } }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: saas, labels: { kind: saas } }
spec: { nets: [192.0.2.0/24], allowedEgressDomains: [files.saas.test] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: { name: saas }
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
    - { action: Allow, destination: { selector: kind == 'saas' } }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: client, namespace: default, labels: { app: client } }
spec: { interfaceName: pal-cl, ipNetworks: [10.20.1.2/32] }
`;
const model = loadPolicyModel([{ path: 'p.yaml', text: POLICY }]);

describe('domain sets in the compiled table', () => {
  it('declares one timeout set per family and domain list, lower-cased, and matches daddr against it', () => {
    const rs = compileRuleset(model);
    expect(rs.domainSets).toEqual([
      { name: 'dns4_0', family: 4, domains: ['*.cdn.test', 'api.partner.test'] },
      { name: 'dns6_1', family: 6, domains: ['*.cdn.test', 'api.partner.test'] },
      { name: 'dns4_2', family: 4, domains: ['files.saas.test'] },
      { name: 'dns6_3', family: 6, domains: ['files.saas.test'] },
    ]);
    const text = renderTable(rs);
    expect(text).toMatch(/set dns4_0 \{\n {4}type ipv4_addr\n {4}flags timeout\n {2}\}/);
    expect(text).toContain('ip daddr @dns4_0 th dport { 80 }');
    // allowedEgressDomains: the network set's nets or its domains' addresses (two alternatives).
    expect(text).toMatch(/ip daddr @a4_\d+ ct mark set/);
    expect(text).toMatch(/ip daddr @dns4_2 ct mark set/);
  });
});

describe('DNS proxy forwarding (no matching policy names: no nft needed)', () => {
  let upstream: TinyDnsServer;
  let proxy: DnsProxy;
  beforeAll(async () => {
    upstream = await startTinyDns({
      'www.other.test': [
        { type: 'A', address: '198.51.100.7', ttl: 60 },
        { type: 'AAAA', address: '2001:db8::7', ttl: 60 },
      ],
    });
    proxy = await startDnsProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: upstream.port },
      model,
      upstreamTimeoutMs: 500,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('relays answers over UDP and TCP unchanged and remembers the name per address', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const a = await query(proxy.address.port, 'www.other.test', 'A', transport);
      expect(a.answers?.map((r) => r.data)).toEqual(['198.51.100.7']);
      const aaaa = await query(proxy.address.port, 'www.other.test', 'AAAA', transport);
      expect(aaaa.answers?.map((r) => r.data)).toEqual(['2001:db8::7']);
    }
    expect(proxy.domainFor('198.51.100.7')).toBe('www.other.test');
    expect(proxy.domainFor('198.51.100.7', Date.now() + 61_000)).toBeUndefined();
    expect(proxy.stats.nftRuns).toBe(0);
  });

  it('relays NXDOMAIN; a garbage upstream reply (wrong id, truncated) ends in SERVFAIL, not a hang', async () => {
    const nx = await query(proxy.address.port, 'nothing.test');
    expect(nx.rcode).toBe('NXDOMAIN');
    upstream.raw = Buffer.from([0, 0, 0x81, 0x80, 0xff]);
    try {
      expect((await query(proxy.address.port, 'x.test')).rcode).toBe('SERVFAIL');
    } finally {
      delete upstream.raw;
    }
    expect((await query(proxy.address.port, 'www.other.test')).answers).toHaveLength(1);
  });

  it('answers SERVFAIL when the upstream does not answer', async () => {
    const dead = await startDnsProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: 9 },
      ruleset: compileRuleset(model),
      upstreamTimeoutMs: 200,
    });
    try {
      expect((await query(dead.address.port, 'www.other.test', 'A', 'udp')).rcode).toBe('SERVFAIL');
      expect((await query(dead.address.port, 'www.other.test', 'A', 'tcp')).rcode).toBe('SERVFAIL');
    } finally {
      await dead.close();
    }
  });

  it('survives random datagrams and keeps answering (fast-check)', async () => {
    const sock = dgram.createSocket('udp4');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
        await new Promise<void>((r) => sock.send(bytes, proxy.address.port, '127.0.0.1', () => r()));
      }),
      { numRuns: 200 },
    );
    sock.close();
    expect((await query(proxy.address.port, 'www.other.test')).answers).toHaveLength(1);
  });

  it('needs a model or a ruleset', async () => {
    await expect(
      startDnsProxy({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: 53 } }),
    ).rejects.toThrow(/model or its compiled ruleset/);
  });
});
