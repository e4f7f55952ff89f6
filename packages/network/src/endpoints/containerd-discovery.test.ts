// Discovery against a real, private containerd (root; its own socket under /tmp, never the host's
// service): a CRI-shaped pod sandbox becomes one endpoint named after the pod, in the pod's
// namespace, with the address and host veth of the network namespace wired into it; the pod's app
// container (which shares that namespace) is not a second endpoint.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  importBusyboxImage,
  type PrivateContainerd,
  runCtrContainer,
  startContainerd,
} from '../../../runtime/src/enrich/__fixtures__/containerd-test.js';
import { uniqueName } from '../../../runtime/src/enrich/__fixtures__/podman-test-image.js';
import { discoverEndpoints } from './discover.js';

const NODE = `h6${process.pid}-ctd`;
let ctd: PrivateContainerd;
const sandboxId = randomBytes(32).toString('hex');
const appId = randomBytes(32).toString('hex');

const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: 'pipe' });

beforeAll(async () => {
  ctd = await startContainerd('h6');
  const image = await importBusyboxImage(ctd, uniqueName('h6-ctd'), {}, ['k8s.io']);
  const pod = { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'shop', app: 'web' };
  const pid = await runCtrContainer(ctd, 'k8s.io', image, sandboxId, {
    labels: { ...pod, 'io.cri-containerd.kind': 'sandbox' },
  });
  await runCtrContainer(ctd, 'k8s.io', image, appId, { labels: { ...pod, 'io.cri-containerd.kind': 'container' } });
  // The pod's network, as a routed CNI would set it up: a veth from the "node" namespace.
  sh('ip', 'netns', 'add', NODE);
  sh('ip', 'link', 'add', 'h6ctd', 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid));
  sh('ip', '-n', NODE, 'link', 'set', 'h6ctd', 'up');
  sh('nsenter', '-t', String(pid), '-n', 'ip', 'addr', 'add', '10.67.0.2/24', 'dev', 'eth0');
  sh('nsenter', '-t', String(pid), '-n', 'ip', 'link', 'set', 'eth0', 'up');
});

afterAll(async () => {
  await ctd?.stop();
  execFileSync('ip', ['netns', 'del', NODE], { stdio: 'ignore' });
});

describe('endpoint discovery with a private containerd (root)', () => {
  it('finds the pod sandbox with its pod name, namespace, labels, address and veth', async () => {
    const found = await discoverEndpoints({ engines: ['containerd'], containerdSocket: ctd.address, netns: NODE });
    expect(found.errors).toEqual([]);
    expect(found.endpoints).toHaveLength(1);
    expect(found.endpoints[0]).toMatchObject({
      kind: 'WorkloadEndpoint',
      name: 'web-1',
      namespace: 'shop',
      labels: { app: 'web', 'palisade.dev/runtime': 'containerd' },
      ips: ['10.67.0.2'],
      interfaceName: 'h6ctd',
    });
  });
});
