// End-to-end egress gateway on the real kernel (needs root): workloads → node → gateway namespace →
// external namespace. The external server answers with the source address it sees.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const POLICY = `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: billing, namespace: default, labels: { app: billing } }
spec: { interfaceName: h4-bill, ipNetworks: [10.42.1.2/32] }
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: { name: web, namespace: default, labels: { app: web } }
spec: { interfaceName: h4-web, ipNetworks: [10.42.3.2/32] }
---
apiVersion: palisade.dev/v1
kind: EgressGatewayPolicy
metadata: { name: billing-partner }
spec:
  selector: app == 'billing'
  destination: { nets: [${SERVICE}/32], domains: [other.partner.test] }
  gateway: { nextHop: 10.42.2.2, sourceAddress: ${EGRESS_IP} }
`;

const created: string[] = [];
const children: ChildProcess[] = [];
const sh = (...args: string[]) =>
  execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two namespaces joined by a veth pair, an address on each end. */
function link(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string): void {
  sh('ip', 'link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b);
  inNs(a, 'ip', 'addr', 'add', aAddr, 'dev', aIf);
  inNs(b, 'ip', 'addr', 'add', bAddr, 'dev', bIf);
  inNs(a, 'ip', 'link', 'set', aIf, 'up');
  inNs(b, 'ip', 'link', 'set', bIf, 'up');
}

const WHOAMI = `const net=require('node:net');net.createServer(s=>{s.on('error',()=>{});s.end(s.remoteAddress)}).listen(80,'0.0.0.0');`;
const ASK = `const s=require('node:net').connect(80,process.argv[1]);let d='';s.setEncoding('utf8');s.on('data',x=>d+=x);
s.on('end',()=>{console.log(d);process.exit(0)});s.on('error',e=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('timeout');process.exit(0)},1500);`;
/** What the external server saw as our source address. */
const seenFrom = (ns: string, dst: string) => inNs(ns, process.execPath, '-e', ASK, dst).trim();
const ourRules = () =>
  (JSON.parse(inNs(NODE, 'ip', '-j', 'rule', 'list')) as { priority: number }[]).filter(
    (r) => r.priority > 20_000 && r.priority < 20_256,
  );

beforeAll(async () => {
  for (const ns of [NODE, BILLING, WEB, GW, EXT]) {
    sh('ip', 'netns', 'add', ns);
    created.push(ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    // Replies through the gateway come back on another interface than the normal path's.
    inNs(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
  }
  for (const ns of [NODE, GW]) inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  link(NODE, 'h4-bill', '10.42.1.1/24', BILLING, 'eth0', '10.42.1.2/24');
  link(NODE, 'h4-web', '10.42.3.1/24', WEB, 'eth0', '10.42.3.2/24');
  link(NODE, 'h4-gw', '10.42.2.1/24', GW, 'eth0', '10.42.2.2/24');
  link(NODE, 'h4-ext', '10.42.9.1/24', EXT, 'eth0', '10.42.9.2/24');
  link(GW, 'eth1', '10.42.8.1/24', EXT, 'eth1', '10.42.8.2/24');
  inNs(BILLING, 'ip', 'route', 'add', 'default', 'via', '10.42.1.1');
  inNs(WEB, 'ip', 'route', 'add', 'default', 'via', '10.42.3.1');
  // Normal path: node → external directly. Gateway path: gateway → external, and back to the node.
  inNs(NODE, 'ip', 'route', 'add', '198.51.100.0/24', 'via', '10.42.9.2');
  inNs(GW, 'ip', 'route', 'add', '198.51.100.0/24', 'via', '10.42.8.2');
  inNs(GW, 'ip', 'route', 'add', `${EGRESS_IP}/32`, 'via', '10.42.2.1');
  inNs(EXT, 'ip', 'addr', 'add', `${SERVICE}/32`, 'dev', 'lo');
  inNs(EXT, 'ip', 'addr', 'add', `${OTHER}/32`, 'dev', 'lo');
  inNs(EXT, 'ip', 'route', 'add', '10.42.0.0/16', 'via', '10.42.9.1');
  inNs(EXT, 'ip', 'route', 'add', `${EGRESS_IP}/32`, 'via', '10.42.8.1');
  children.push(spawn('ip', ['netns', 'exec', EXT, process.execPath, '-e', WHOAMI], { stdio: 'ignore' }));
  for (let i = 0; i < 50 && seenFrom(WEB, SERVICE) !== '10.42.3.2'; i++) await sleep(100);
  expect(seenFrom(WEB, SERVICE)).toBe('10.42.3.2');
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const ns of created.reverse()) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // already gone
    }
  }
});

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
