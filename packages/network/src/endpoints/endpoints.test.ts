// Endpoint discovery's parsers and decisions, on recorded iproute2, podman and ctr output; the
// parsers read command output and must never throw on odd input (fast-check).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContainerInspect } from './container-inspect.js';
import { parseCtrContainerInfo, parseCtrTasks } from './containerd.js';
import { discoverEndpoints } from './discover.js';
import { hostEndpoints } from './host-endpoint.js';
import { parseIpLinks } from './ip-links.js';
import type { CommandRunner } from './run-command.js';
import { diffEndpoints, isChurnEvent } from './watch.js';
import { workloadEndpointFor } from './workload-endpoint.js';

const HOST_LINKS = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP'],
    addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }],
  },
  {
    ifindex: 4,
    ifname: 'eth0',
    flags: ['BROADCAST', 'UP', 'LOWER_UP'],
    addr_info: [
      { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
  {
    ifindex: 5,
    ifname: 'cni-podman0',
    flags: ['UP'],
    linkinfo: { info_kind: 'bridge' },
    addr_info: [{ family: 'inet', local: '10.88.0.1', prefixlen: 16, scope: 'global' }],
  },
  {
    ifindex: 6,
    ifname: 'veth1bd2531d',
    link_index: 2,
    master: 'cni-podman0',
    flags: ['UP'],
    linkinfo: { info_kind: 'veth' },
    addr_info: [],
  },
]);
const CONTAINER_LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['UP'], addr_info: [{ family: 'inet', local: '127.0.0.1', scope: 'host' }] },
  {
    ifindex: 2,
    ifname: 'eth0',
    link_index: 6,
    flags: ['UP'],
    addr_info: [{ family: 'inet', local: '10.88.0.2', prefixlen: 16, scope: 'global' }],
  },
]);
const INSPECT = JSON.stringify([
  {
    Id: 'a1b1bcdcb11da86eab783f011d96d3ec670c22650e3dfbf39000da62d4e95740',
    Name: 'web-1',
    State: { Status: 'running', Running: true, Pid: 12222 },
    Config: { Image: 'localhost/web:1', Labels: { app: 'web', 'projectcalico.org/namespace': 'shop' } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { IPAddress: '10.88.0.2', Networks: { podman: { IPAddress: '10.88.0.2' } } },
  },
]);

/** Answers the commands discovery runs with the recorded outputs above. */
const recorded: CommandRunner = async (cmd, args) => {
  const line = [cmd, ...args].join(' ');
  if (line === 'ip -j -d addr show') return HOST_LINKS;
  if (line === 'podman ps -q --no-trunc') return 'a1b1bcdcb11da86eab783f011d96d3ec670c22650e3dfbf39000da62d4e95740\n';
  if (line.startsWith('podman inspect')) return INSPECT;
  if (line === 'nsenter -t 12222 -n ip -j addr show') return CONTAINER_LINKS;
  throw new Error(`unexpected command ${line}`);
};

describe('endpoint discovery', () => {
  it('reads iproute2 JSON: addresses, veth peers, bridges', () => {
    const links = parseIpLinks(HOST_LINKS);
    expect(links.map((l) => l.name)).toEqual(['lo', 'eth0', 'cni-podman0', 'veth1bd2531d']);
    expect(links[3]).toMatchObject({ index: 6, peerIndex: 2, master: 'cni-podman0', kind: 'veth' });
    expect(links[1]!.addresses.map((a) => a.address)).toEqual(['192.0.2.2', 'fe80::1']);
  });

  it('finds a podman container with its labels, namespace, address and host veth', async () => {
    const found = await discoverEndpoints({ engines: ['podman'], run: recorded });
    expect(found.errors).toEqual([]);
    expect(found.endpoints).toEqual([
      {
        kind: 'WorkloadEndpoint',
        name: 'web-1',
        namespace: 'shop',
        labels: {
          app: 'web',
          'projectcalico.org/namespace': 'shop',
          'palisade.dev/runtime': 'podman',
          'palisade.dev/container': 'web-1',
        },
        ips: ['10.88.0.2'],
        interfaceName: 'veth1bd2531d',
        ports: [],
        profiles: [],
      },
    ]);
  });

  it('adds the host as HostEndpoints on its own interfaces only', async () => {
    const found = await discoverEndpoints({
      engines: ['podman'],
      run: recorded,
      host: { hostname: 'node-1', labels: { role: 'node' } },
    });
    const heps = found.endpoints.filter((e) => e.kind === 'HostEndpoint');
    expect(heps).toEqual([
      {
        kind: 'HostEndpoint',
        name: 'node-1-eth0',
        labels: { role: 'node', 'palisade.dev/host': 'node-1' },
        ips: ['192.0.2.2'],
        interfaceName: 'eth0',
        ports: [],
        profiles: [],
      },
    ]);
    // Named interfaces are taken as given.
    expect(
      hostEndpoints(parseIpLinks(HOST_LINKS), { hostname: 'n', labels: {}, interfaces: ['cni-podman0'] }).map(
        (e) => e.interfaceName,
      ),
    ).toEqual(['cni-podman0']);
  });

  it('reports an engine that fails and still returns the rest', async () => {
    const failing: CommandRunner = async (cmd, args) => {
      if (cmd === 'podman') throw new Error('podman: cannot connect');
      return recorded(cmd, args);
    };
    const found = await discoverEndpoints({ engines: ['podman'], run: failing, host: { hostname: 'n', labels: {} } });
    expect(found.errors).toEqual(['podman: podman: cannot connect']);
    expect(found.endpoints.map((e) => e.name)).toEqual(['n-eth0']);
  });

  it('leaves host-network containers out and takes the namespace from Kubernetes labels', () => {
    const [c] = parseContainerInspect(INSPECT);
    expect(workloadEndpointFor({ ...c!, networkMode: 'host' }, 'podman', undefined)).toBeUndefined();
    const k8s = workloadEndpointFor({ ...c!, labels: { 'io.kubernetes.pod.namespace': 'prod' } }, 'containerd', {
      ips: ['10.0.0.9'],
    });
    expect(k8s?.namespace).toBe('prod');
    expect(k8s?.ips).toEqual(['10.88.0.2', '10.0.0.9']);
  });

  it('reads ctr task tables and container info', () => {
    const tasks = parseCtrTasks('TASK    PID     STATUS\nabc     4242    RUNNING\nold     4300    STOPPED\n');
    expect([...tasks]).toEqual([['abc', 4242]]);
    const info = parseCtrContainerInfo(
      JSON.stringify({ ID: 'abc', Image: 'registry.k8s.io/pause:3.9', Labels: { 'io.kubernetes.pod.name': 'api-0' } }),
      4242,
    );
    expect(info).toMatchObject({ id: 'abc', name: 'api-0', pid: 4242, running: true });
  });

  it('diffs endpoint lists: new, gone, and a changed label as gone + new', () => {
    const a = workloadEndpointFor(parseContainerInspect(INSPECT)[0]!, 'podman', undefined)!;
    const b = { ...a, name: 'web-2', ips: ['10.88.0.3'] };
    const a2 = { ...a, labels: { ...a.labels, app: 'db' } };
    expect(diffEndpoints([a], [a, b])).toEqual({ added: [b], removed: [] });
    expect(diffEndpoints([a, b], [b])).toEqual({ added: [], removed: [a] });
    expect(diffEndpoints([a], [a2])).toEqual({ added: [a2], removed: [a] });
  });

  it('tells container lifecycle events from others', () => {
    expect(isChurnEvent('{"Type":"container","Status":"start","Name":"x"}')).toBe(true);
    expect(isChurnEvent('{"Type":"container","Status":"exec","Name":"x"}')).toBe(false);
    expect(isChurnEvent('not json')).toBe(false);
  });

  it('never throws on arbitrary command output (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify([v])),
        ),
        (text) => {
          parseIpLinks(text);
          parseContainerInspect(text);
          parseCtrTasks(text);
          parseCtrContainerInfo(text, 1);
          isChurnEvent(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps only well-formed links and addresses from any JSON (fast-check)', () => {
    const link = fc.record(
      {
        ifindex: fc.oneof(fc.integer(), fc.string()),
        ifname: fc.oneof(fc.string(), fc.integer()),
        link_index: fc.oneof(fc.integer(), fc.constant(null)),
        addr_info: fc.array(
          fc.record({ family: fc.constantFrom('inet', 'inet6', 'x'), local: fc.oneof(fc.string(), fc.integer()) }),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(link), (links) => {
        for (const l of parseIpLinks(JSON.stringify(links))) {
          expect(Number.isInteger(l.index) && l.index > 0).toBe(true);
          expect(l.name).not.toBe('');
          for (const a of l.addresses) expect(typeof a.address).toBe('string');
        }
      }),
    );
  });
});
