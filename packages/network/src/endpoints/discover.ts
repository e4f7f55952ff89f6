// One call that lists this host's endpoints for the compiler: containers of every engine found
// (podman, docker, containerd) plus, when configured, the host's own interfaces.

import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../model/types.js';
import { discoverContainerd } from './containerd.js';
import { DEFAULT_DOCKER_SOCKET, discoverDocker } from './docker.js';
import { type HostEndpointOptions, hostEndpoints } from './host-endpoint.js';
import { parseIpLinks } from './ip-links.js';
import { discoverPodman } from './podman.js';
import { type CommandRunner, inNetns, runCommand } from './run-command.js';

export type EngineName = 'podman' | 'docker' | 'containerd';
export const ENGINES: readonly EngineName[] = ['podman', 'docker', 'containerd'];

export interface DiscoveryOptions {
  /** Engines to ask; default every one present on this host (binary on PATH or socket). */
  readonly engines?: readonly EngineName[];
  /** The network namespace the policy is enforced in: host interfaces are read there. */
  readonly netns?: string;
  /** The host as HostEndpoints; absent: no host endpoints (nothing host-facing is enforced). */
  readonly host?: HostEndpointOptions;
  readonly dockerSocket?: string;
  /** containerd's socket; default /run/containerd/containerd.sock. */
  readonly containerdSocket?: string;
  readonly run?: CommandRunner;
}

export interface Discovery {
  readonly endpoints: readonly Endpoint[];
  /** Engines or containers that could not be read; the rest is still returned. */
  readonly errors: readonly string[];
}

export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** The engines this host has, so a missing one is not reported as an error every resync. */
export function presentEngines(opts: Pick<DiscoveryOptions, 'dockerSocket' | 'containerdSocket'> = {}): EngineName[] {
  const out: EngineName[] = [];
  if (onPath('podman')) out.push('podman');
  if (existsSync(opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET)) out.push('docker');
  if (onPath('ctr') && existsSync(opts.containerdSocket ?? '/run/containerd/containerd.sock')) out.push('containerd');
  return out;
}

/** A key that stays the same while the endpoint is the same workload. */
export function endpointKey(e: Endpoint): string {
  return `${e.kind}/${e.namespace ?? ''}/${e.name}`;
}

export async function discoverEndpoints(opts: DiscoveryOptions = {}): Promise<Discovery> {
  const run = opts.run ?? runCommand;
  const errors: string[] = [];
  const hostLinks = parseIpLinks(await inNetns(run, opts.netns)('ip', ['-j', '-d', 'addr', 'show']));
  const view = { links: hostLinks, run, errors, ...(opts.netns ? { netns: opts.netns } : {}) };
  const endpoints: Endpoint[] = [];
  for (const engine of opts.engines ?? presentEngines(opts)) {
    try {
      if (engine === 'podman') endpoints.push(...(await discoverPodman(view)));
      else if (engine === 'docker')
        endpoints.push(...(await discoverDocker(opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET, view)));
      else endpoints.push(...(await discoverContainerd(view, opts.containerdSocket)));
    } catch (err) {
      errors.push(`${engine}: ${(err as Error).message}`);
    }
  }
  if (opts.host) {
    // The host side of a container veth is never a host endpoint, even when named explicitly.
    const workloadIfaces = new Set(endpoints.map((e) => e.interfaceName).filter(Boolean));
    endpoints.push(
      ...hostEndpoints(
        hostLinks.filter((l) => !workloadIfaces.has(l.name)),
        opts.host,
      ),
    );
  }
  // Two engines may report the same workload (podman's docker API); keep the first.
  const seen = new Set<string>();
  return {
    endpoints: endpoints.filter((e) => {
      const k = endpointKey(e);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
    errors,
  };
}
