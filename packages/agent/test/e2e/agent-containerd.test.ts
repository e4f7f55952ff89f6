// End-to-end with containerd: the agent runs in-process on the real kernel sensor, enriching from a
// private containerd (runc, CRI-shaped Kubernetes labels) through the enrich stage `palisade agent`
// builds (defaultEnrichStage with the containerd socket). A process exec'd inside the pod's
// container must raise a Falco rule written on k8s.* fields, with the container's name and image;
// stopping the agent ends the `ctr events` stream the stage followed containerd with.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  importBusyboxImage,
  type PrivateContainerd,
  runCtrContainer,
  startContainerd,
} from '../../../runtime/src/enrich/__fixtures__/containerd-test.js';
import { uniqueName } from '../../../runtime/src/enrich/__fixtures__/podman-test-image.js';
import { defaultEnrichStage } from '../../src/runtime-stages.js';
import { locateSensorBinary } from '../../src/sensor-binary.js';
import { type AgentHandle, startAgent } from '../../src/start-agent.js';
import { MemoryOutput, waitFor } from '../support.js';

vi.setConfig({ testTimeout: 90_000 });

const RULES = `
- rule: Shop pod process
  desc: any program started in a pod of namespace shop
  condition: evt.type = execve and k8s.ns.name = shop and proc.name = cat
  output: >
    process in shop (pod=%k8s.pod.name ns=%k8s.ns.name app=%k8s.pod.label[app] container=%container.name
    image=%container.image id=%container.id type=%container.type cmd=%proc.cmdline)
  priority: WARNING
  tags: [k8s]
`;

let ctd: PrivateContainerd;
let agent: AgentHandle;
let image = '';
const out = new MemoryOutput();
const appId = randomBytes(32).toString('hex');

/** pids of running `ctr … events` processes following the containerd at `address`. */
function ctrEventStreams(address: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // exited, not yet reaped
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(args[0] ?? '') === 'ctr' && args.includes('events') && args.includes(address))
        pids.push(Number(entry));
    } catch {
      // gone while we read
    }
  }
  return pids;
}

beforeAll(async () => {
  ctd = await startContainerd('h7');
  image = await importBusyboxImage(ctd, uniqueName('h7-agent'), {}, ['k8s.io']);
  // Started before the agent: the enricher must find it from the cgroup id the sensor reports.
  await runCtrContainer(ctd, 'k8s.io', image, appId, {
    labels: {
      'io.kubernetes.container.name': 'checkout',
      'io.kubernetes.pod.name': 'web-1',
      'io.kubernetes.pod.namespace': 'shop',
      app: 'web',
    },
  });
  const rules = path.join(ctd.dir, 'k8s_rules.yaml');
  writeFileSync(rules, RULES);
  agent = startAgent({
    rules: [rules],
    outputs: [out],
    sensor: { binaryPath: locateSensorBinary() },
    enrich: defaultEnrichStage({ containerdSocket: ctd.address }),
    log: () => {},
  });
  await agent.ready;
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await ctd?.stop();
}, 120_000);

describe('agent end-to-end: containerd pod (root, BTF, containerd)', () => {
  it('fires a k8s.ns.name rule on an exec inside the pod, with the container fields (root, BTF, containerd)', async () => {
    let polls = 0;
    let execs = 0;
    // The first exec teaches the enricher the container (lookups are asynchronous), so exec again
    // now and then until the rule has fired.
    const alert = await waitFor<Alert>(
      () => {
        if (polls++ % 20 === 0) {
          void ctd
            .ctr('k8s.io', 'tasks', 'exec', '--exec-id', `probe-${execs++}`, appId, '/bin/cat', '/etc/hostname')
            .catch(() => '');
        }
        return out.records.map((r) => r.alert).find((a) => a.rule === 'Shop pod process');
      },
      'the k8s rule to fire for the containerd pod',
      60_000,
    );
    expect(alert.output_fields).toMatchObject({
      'k8s.pod.name': 'web-1',
      'k8s.ns.name': 'shop',
      'k8s.pod.label[app]': 'web',
      'container.name': 'checkout',
      'container.image': image,
      'container.id': appId.slice(0, 12),
      'container.type': 'containerd',
    });
    expect(alert.output).toContain('pod=web-1 ns=shop app=web container=checkout');
  });

  it('ends its ctr events stream when the agent stops (root, BTF, containerd)', async () => {
    await waitFor(() => ctrEventStreams(ctd.address).length > 0, 'the enricher to follow containerd events');
    await agent.stop();
    await waitFor(() => ctrEventStreams(ctd.address).length === 0, 'the ctr events stream to end', 10_000);
  });
});
