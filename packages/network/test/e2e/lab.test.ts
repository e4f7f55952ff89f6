// End-to-end on the real kernel (needs root): network namespaces for a routing "node" and its
// workloads, the compiled table loaded in the node namespace, reachability probed with real TCP.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, NetnsLab, probeTcpMany, SERVE_PORTS, sleep } from '../../../../test-support/netns-lab.js';
import { loadPolicyModel } from '../../src/model/load.js';
import { applyNftScript, applyRuleset, NftApplyError } from '../../src/nft/apply.js';
import { compileRuleset } from '../../src/nft/compile.js';
import { addEndpointIncrementally, renderElementAdds } from '../../src/nft/incremental.js';
import type { NftRuleset } from '../../src/nft/ir.js';

const shop = readFileSync(path.join(import.meta.dirname, '../fixtures/shop.yaml'), 'utf8');
const prefix = `pnl${process.pid}`;
const NODE = `${prefix}-node`;
// name, node-side interface (the endpoint's interfaceName), subnet index, ports it serves
const WORKLOADS = [
  { ns: `${prefix}-fe`, ifname: 'pal-fe', net: 1, ports: [80] },
  { ns: `${prefix}-api`, ifname: 'pal-api', net: 2, ports: [8080, 9050] },
  { ns: `${prefix}-db`, ifname: 'pal-db', net: 3, ports: [5432] },
  { ns: `${prefix}-prom`, ifname: 'pal-prom', net: 4, ports: [] },
  { ns: `${prefix}-ext`, ifname: 'pal-ext', net: 9, ports: [80] },
  { ns: `${prefix}-fe2`, ifname: 'pal-fe2', net: 5, ports: [] },
] as const;
type Name = 'fe' | 'api' | 'db' | 'prom' | 'ext' | 'fe2';
const nsOf = (n: Name) => `${prefix}-${n}`;
const ipOf = (n: Name) => `10.10.${WORKLOADS.find((w) => w.ns === nsOf(n))!.net}.2`;

const lab = new NetnsLab();

/** Connects from one workload to others at once: open / refused / timeout for each. */
const probe = (from: Name, targets: [Name, number][], localAddress?: string) =>
  probeTcpMany(
    nsOf(from),
    targets.map(([n, p]) => [ipOf(n), p]),
    { localAddress },
  );

let lastRuleset: NftRuleset | undefined;

async function applyPolicies(...extra: string[]): Promise<string> {
  const model = loadPolicyModel([
    { path: 'shop.yaml', text: shop },
    ...extra.map((text, i) => ({ path: `extra${i}.yaml`, text })),
  ]);
  lastRuleset = compileRuleset(model);
  return applyRuleset(lastRuleset, { netns: NODE });
}

beforeAll(async () => {
  lab.addRouter(NODE);
  inNs(NODE, 'ip', 'link', 'set', 'lo', 'up');
  for (const w of WORKLOADS) {
    lab.addRoutedWorkload(NODE, w.ns, w.ifname, `10.10.${w.net}`);
    if (w.ports.length > 0) lab.spawnNode(w.ns, SERVE_PORTS, [JSON.stringify(w.ports)]);
  }
  // Wait until every server answers (no policy loaded yet: everything is open).
  for (let i = 0; i < 50; i++) {
    const r = probe('ext', [
      ['fe', 80],
      ['api', 8080],
      ['api', 9050],
      ['db', 5432],
    ]);
    if (r.every((x) => x === 'open')) return;
    await sleep(100);
  }
  throw new Error('lab servers did not come up');
});

afterAll(() => lab.cleanup());

describe('nftables enforcement in a namespace lab (root)', () => {
  it('enforces the shop policies: allowed pairs connect, denied pairs time out', async () => {
    await applyPolicies();
    expect(
      probe('fe', [
        ['api', 8080],
        ['api', 9050],
        ['db', 5432],
        ['ext', 80],
      ]),
    ).toEqual(['open', 'timeout', 'timeout', 'open']);
    expect(probe('api', [['db', 5432]])).toEqual(['open']); // serviceAccounts match
    expect(
      probe('prom', [
        ['api', 9050],
        ['api', 8080],
      ]),
    ).toEqual(['open', 'timeout']); // namespaceSelector env == ops
    expect(
      probe('ext', [
        ['fe', 80],
        ['api', 8080],
      ]),
    ).toEqual(['open', 'timeout']);
  });

  it('follows Calico tier order: an earlier tier denies, Pass hands over, no Pass means end-of-tier deny', async () => {
    const tier = 'apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: { name: first }\nspec: { order: 1 }';
    const policy = (rules: string) =>
      `${tier}\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: first.api }\nspec:\n  tier: first\n  selector: app == 'api'\n  ingress:\n${rules}`;
    await applyPolicies(
      policy("    - { action: Deny, source: { selector: app == 'prometheus' } }\n    - { action: Pass }"),
    );
    expect(probe('prom', [['api', 9050]])).toEqual(['timeout']);
    expect(probe('fe', [['api', 8080]])).toEqual(['open']);
    await applyPolicies(policy("    - { action: Deny, source: { selector: app == 'prometheus' } }"));
    expect(probe('fe', [['api', 8080]])).toEqual(['timeout']);
  });

  it('drops traffic whose source address is not the workload’s own', async () => {
    await applyPolicies();
    inNs(nsOf('fe'), 'ip', 'addr', 'add', '10.10.1.77/24', 'dev', 'eth0');
    try {
      expect(probe('fe', [['ext', 80]], '10.10.1.77')).toEqual(['timeout']);
      expect(probe('fe', [['ext', 80]])).toEqual(['open']);
    } finally {
      inNs(nsOf('fe'), 'ip', 'addr', 'del', '10.10.1.77/24', 'dev', 'eth0');
    }
  });

  it('a rejected script leaves the previous ruleset in force', async () => {
    const good = await applyPolicies();
    const before = inNs(NODE, 'nft', 'list', 'table', 'inet', 'palisade');
    const broken = `${good}\ntable inet palisade { chain x { jump does-not-exist } }\n`;
    await expect(applyNftScript(broken, { netns: NODE })).rejects.toThrow(NftApplyError);
    expect(inNs(NODE, 'nft', 'list', 'table', 'inet', 'palisade')).toBe(before);
    expect(
      probe('fe', [
        ['api', 8080],
        ['db', 5432],
      ]),
    ).toEqual(['open', 'timeout']);
  });

  it('adds a new pod with element updates only, enforced like the others', async () => {
    await applyPolicies();
    // Before it is known, fe2 is just an address: api's ingress policy does not let it in.
    expect(probe('fe2', [['api', 8080]])).toEqual(['timeout']);
    const doc =
      'apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: { name: fe2, namespace: shop, labels: { app: frontend } }\nspec: { interfaceName: pal-fe2, ipNetworks: [10.10.5.2/32] }';
    const endpoint = loadPolicyModel([{ path: 'fe2.yaml', text: doc }]).endpoints[0]!;
    const add = addEndpointIncrementally(lastRuleset!, endpoint);
    expect(add).toBeDefined();
    await applyNftScript(renderElementAdds('palisade', add!.adds), { netns: NODE });
    expect(
      probe('fe2', [
        ['api', 8080],
        ['db', 5432],
        ['ext', 80],
      ]),
    ).toEqual(['open', 'timeout', 'open']);
    inNs(nsOf('fe2'), 'ip', 'addr', 'add', '10.10.5.77/24', 'dev', 'eth0');
    try {
      expect(probe('fe2', [['ext', 80]], '10.10.5.77')).toEqual(['timeout']);
    } finally {
      inNs(nsOf('fe2'), 'ip', 'addr', 'del', '10.10.5.77/24', 'dev', 'eth0');
    }
  });

  it('leaves no window of open access while the table is replaced again and again', async () => {
    await applyPolicies();
    // Two equivalent-for-db rulesets with different structure, swapped while fe keeps knocking on db.
    const variantB =
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: { name: extra }\nspec:\n  order: 1\n  selector: app == 'frontend'\n  types: [Egress]\n  egress: [{ action: Log }, { action: Allow }]";
    const knock = `const net=require('node:net');let open=0,tries=0;const end=Date.now()+2500;
(function go(){if(Date.now()>end){console.log(JSON.stringify({open,tries}));return}tries++;
const s=net.connect({host:'${ipOf('db')}',port:5432});const t=setTimeout(()=>{s.destroy();go()},40);
s.on('connect',()=>{open++;clearTimeout(t);s.destroy();go()});s.on('error',()=>{clearTimeout(t);go()})})();`;
    const knocker = new Promise<string>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', nsOf('fe'), process.execPath, '-e', knock], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`knocker exit ${code}`))));
    });
    let swaps = 0;
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      await (swaps % 2 === 0 ? applyPolicies(variantB) : applyPolicies());
      swaps++;
    }
    const result = JSON.parse(await knocker) as { open: number; tries: number };
    expect(swaps).toBeGreaterThan(3);
    expect(result.tries).toBeGreaterThan(10);
    expect(result.open).toBe(0);
    expect(probe('fe', [['api', 8080]])).toEqual(['open']);
  });
});
