// The real `palisade agent` command (the CLI bundle) pointed at a private containerd with
// --containerd-socket: an exec inside a CRI-shaped pod container started before the agent raises a
// rule written on k8s.* fields, with the container's name and image; and when the agent stops, the
// `ctr events` stream it followed containerd with is gone too.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../../../../test-support/paths.js';
import {
  importBusyboxImage,
  type PrivateContainerd,
  runCtrContainer,
  startContainerd,
} from '../../../runtime/src/enrich/__fixtures__/containerd-test.js';
import { uniqueName } from '../../../runtime/src/enrich/__fixtures__/podman-test-image.js';
import { locateSensorBinary } from '../../src/sensor-binary.js';
import { waitFor } from '../support.js';

vi.setConfig({ testTimeout: 120_000 });

const palisadeBin = path.join(repoRoot, 'packages/cli/dist/palisade.js');

const RULES = `
- rule: Shop pod read
  desc: cat run in a pod of namespace shop
  condition: evt.type = execve and k8s.ns.name = shop and k8s.pod.name = web-1 and proc.name = cat
  output: >
    cat in pod (pod=%k8s.pod.name ns=%k8s.ns.name container=%container.name image=%container.image
    cmd=%proc.cmdline)
  priority: WARNING
  tags: [k8s]
`;

interface ProcInfo {
  pid: number;
  ppid: number;
  args: string[];
}

/** Every process on the host with its parent and arguments, from /proc. */
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after it start at the last ")".
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (after[0] === 'Z') continue; // exited, waiting to be reaped: not running
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(entry), ppid: Number(after[1]), args });
    } catch {
      // gone while we read
    }
  }
  return out;
}

/** `root` and every process below it (the CLI may re-execute node with V8 flags for the agent). */
function descendants(root: number): Set<number> {
  const all = processes();
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all)
      if (found.has(p.ppid) && !found.has(p.pid)) {
        found.add(p.pid);
        grew = true;
      }
  }
  return found;
}

/** `ctr … events` processes following the containerd at `address`. */
function ctrEventStreams(address: string): ProcInfo[] {
  return processes().filter(
    (p) => path.basename(p.args[0] ?? '') === 'ctr' && p.args.includes('events') && p.args.includes(address),
  );
}

let ctd: PrivateContainerd;
let image = '';
let agent: ChildProcess | undefined;
let stdout = '';
let stderr = '';
const appId = randomBytes(32).toString('hex');

beforeAll(async () => {
  if (!existsSync(palisadeBin)) throw new Error(`${palisadeBin} is missing: run "npm run -w @palisade/cli bundle"`);
  ctd = await startContainerd('h9');
  image = await importBusyboxImage(ctd, uniqueName('h9-cli'), {}, ['k8s.io']);
  await runCtrContainer(ctd, 'k8s.io', image, appId, {
    labels: {
      'io.kubernetes.container.name': 'checkout',
      'io.kubernetes.pod.name': 'web-1',
      'io.kubernetes.pod.namespace': 'shop',
    },
  });
}, 180_000);

afterAll(async () => {
  // After a failure: a graceful stop first (relayed to a re-executed agent), then the whole tree.
  const running = agent;
  if (running && running.exitCode === null && running.pid) {
    running.kill('SIGTERM');
    await waitFor(() => running.exitCode !== null, 'the agent to stop', 15_000).catch(() => undefined);
    // Still running (so its pids are still its own): kill it and everything below it.
    const tree = running.exitCode === null ? descendants(running.pid) : new Set<number>();
    for (const pid of [...tree].reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await ctd?.stop();
}, 120_000);

describe('palisade agent CLI with --containerd-socket (root, BTF, containerd)', () => {
  it('alerts on an exec in a containerd pod with its k8s and container fields, and leaves no ctr events behind (root, BTF, containerd)', async () => {
    const rules = path.join(ctd.dir, 'pod_rules.yaml');
    writeFileSync(rules, RULES);
    const child = spawn(
      process.execPath,
      [
        palisadeBin,
        'agent',
        '--rules',
        rules,
        '--output',
        'json',
        '--containerd-socket',
        ctd.address,
        '--sensor-bin',
        locateSensorBinary(),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent = child;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => stderr.includes('running:') || child.exitCode !== null, 'the agent to start', 60_000);
    expect(stderr).toContain('running:');

    // The agent (below the CLI process, maybe re-executed) follows this containerd's events from a child of its own.
    const streams = await waitFor(() => {
      const tree = descendants(child.pid!);
      const mine = ctrEventStreams(ctd.address).filter((p) => tree.has(p.ppid));
      return mine.length > 0 ? mine : undefined;
    }, "the agent's ctr events stream");

    let polls = 0;
    let execs = 0;
    const alert = await waitFor<Alert>(
      () => {
        // The first exec may beat the metadata lookup; exec again now and then until the rule fires.
        if (polls++ % 40 === 0) {
          void ctd
            .ctr('k8s.io', 'tasks', 'exec', '--exec-id', `h9-probe-${execs++}`, appId, '/bin/cat', '/etc/hostname')
            .catch(() => '');
        }
        const alerts = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Alert);
        return alerts.find((a) => a.rule === 'Shop pod read');
      },
      'the pod rule to fire',
      60_000,
    );
    expect(alert.output_fields).toMatchObject({
      'k8s.pod.name': 'web-1',
      'k8s.ns.name': 'shop',
      'container.name': 'checkout',
      'container.image': image,
      'container.id': appId.slice(0, 12),
    });
    expect(alert.output).toContain('pod=web-1 ns=shop container=checkout');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped:');
    // Its ctr events children went with it: none orphaned, still following containerd.
    const left = await waitFor(
      () => {
        const alive = ctrEventStreams(ctd.address);
        return alive.length === 0 ? alive : undefined;
      },
      'the ctr events streams to end',
      10_000,
    ).catch(() => ctrEventStreams(ctd.address));
    expect(left.map((p) => p.args.join(' '))).toEqual([]);
    const running = new Set(processes().map((p) => p.pid));
    expect(streams.filter((s) => running.has(s.pid))).toEqual([]);
    // The warm-up listed the pod container that was running before the agent.
    expect(stderr).toMatch(/container metadata: [1-9]\d* containers known at start/);
  });
});
