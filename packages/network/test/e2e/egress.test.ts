// End-to-end egress gateway on the real kernel (needs root): workloads → node → gateway namespace →
// external namespace. The external server answers with the source address it sees.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  askWhoami,
  inNs,
  NetnsLab,
  pollUntil,
  WHOAMI_SERVER,
  wireEgressGatewayLab,
} from '../../../../test-support/netns-lab.js';
import { workloadEndpoint, yamlDocs } from '../../../../test-support/netpol-yaml.js';
import { applyEgressRoutes, egressRoutes, removeEgressRoutes } from '../../src/egress/routes.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyRuleset } from '../../src/nft/apply.js';
import { compileRuleset } from '../../src/nft/compile.js';

const prefix = `h4${process.pid}`;
const NODE = `${prefix}-enode`;
const BILLING = `${prefix}-bill`;
const WEB = `${prefix}-web`;
const GW = `${prefix}-gw`;
const EXT = `${prefix}-ext`;
const SERVICE = '198.51.100.10'; // reached through the gateway by billing
const OTHER = '198.51.100.20'; // not a gateway destination (until its name resolves, below)
const EGRESS_IP = '192.0.2.50'; // the stable source address

const POLICY = yamlDocs(
  workloadEndpoint({ name: 'billing', interfaceName: 'h4-bill', ips: ['10.42.1.2'] }),
  workloadEndpoint({ name: 'web', interfaceName: 'h4-web', ips: ['10.42.3.2'] }),
  `apiVersion: palisade.dev/v1
kind: EgressGatewayPolicy
metadata: { name: billing-partner }
spec:
  selector: app == 'billing'
  destination: { nets: [${SERVICE}/32], domains: [other.partner.test] }
  gateway: { nextHop: 10.42.2.2, sourceAddress: ${EGRESS_IP} }
`,
);

const lab = new NetnsLab();

/** What the external server saw as our source address. */
const seenFrom = askWhoami;
const ourRules = () =>
  (JSON.parse(inNs(NODE, 'ip', '-j', 'rule', 'list')) as { priority: number }[]).filter(
    (r) => r.priority > 20_000 && r.priority < 20_256,
  );

beforeAll(async () => {
  // Normal path: node → external directly. Gateway path: gateway → external, and back to the node.
  wireEgressGatewayLab(lab, {
    node: NODE,
    gateway: GW,
    external: EXT,
    prefix: '10.42',
    ifPrefix: 'h4-',
    workloads: [
      { ns: BILLING, ifname: 'h4-bill', net: 1 },
      { ns: WEB, ifname: 'h4-web', net: 3 },
    ],
    serviceNet: '198.51.100.0/24',
    services: [SERVICE, OTHER],
    egressIp: EGRESS_IP,
  });
  lab.spawnNode(EXT, WHOAMI_SERVER);
  await pollUntil(() => seenFrom(WEB, SERVICE) === '10.42.3.2');
  expect(seenFrom(WEB, SERVICE)).toBe('10.42.3.2');
});

afterAll(() => lab.cleanup());

describe('egress gateway in a namespace lab (root)', () => {
  it('selected workloads reach the chosen destinations from the gateway’s stable address; the rest take the normal path', async () => {
    const model = loadPolicyModel([{ path: 'egress.yaml', text: POLICY }]);
    const rs = compileRuleset(model);
    await applyRuleset(rs, { netns: NODE });
    // The table alone (no routing part yet): marked traffic takes the normal path, not SNATed.
    expect(seenFrom(BILLING, SERVICE)).toBe('10.42.1.2');
    await applyEgressRoutes(egressRoutes(model), { netns: NODE });
    expect(seenFrom(BILLING, SERVICE)).toBe(EGRESS_IP);
    expect(seenFrom(BILLING, OTHER)).toBe('10.42.1.2'); // not a destination of the policy
    expect(seenFrom(WEB, SERVICE)).toBe('10.42.3.2'); // not selected by the policy
    // The gateway really carried it: its forwarding path saw the connection.
    expect(inNs(NODE, 'ip', 'route', 'show', 'table', '20001')).toContain('default via 10.42.2.2');

    // A destination by name: once the DNS proxy puts the answer in the set, it takes the gateway too.
    const set = rs.domainSets!.find((d) => d.domains.includes('other.partner.test'))!;
    inNs(NODE, 'nft', 'add', 'element', 'inet', 'palisade', set.name, `{ ${OTHER} timeout 60s }`);
    expect(seenFrom(BILLING, OTHER)).toBe(EGRESS_IP);
  });

  it('applies the routes idempotently and removes everything it made', async () => {
    const model = loadPolicyModel([{ path: 'egress.yaml', text: POLICY }]);
    await applyEgressRoutes(egressRoutes(model), { netns: NODE });
    await applyEgressRoutes(egressRoutes(model), { netns: NODE });
    expect(ourRules()).toHaveLength(1);
    await removeEgressRoutes({ netns: NODE });
    expect(ourRules()).toEqual([]);
    const table = () => {
      try {
        return inNs(NODE, 'ip', 'route', 'show', 'table', '20001').trim();
      } catch {
        return ''; // the table is gone altogether
      }
    };
    expect(table()).toBe('');
    // Without the gateway (routes removed, table without the policy) billing takes the normal path.
    const without = loadPolicyModel([{ path: 'egress.yaml', text: POLICY.split('---\napiVersion: palisade.dev')[0]! }]);
    await applyRuleset(compileRuleset(without), { netns: NODE });
    expect(seenFrom(BILLING, SERVICE)).toBe('10.42.1.2');
  });
});
