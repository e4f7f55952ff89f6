// The container engines worth asking on this host: podman's CLI always (it answers "unknown id"
// cheaply when absent), containerd and docker when their sockets are there.

import { existsSync } from 'node:fs';
import { type ContainerEngine, DockerApiEngine, PodmanCliEngine } from './container-engines.js';
import { ContainerdEngine, DEFAULT_CONTAINERD_SOCKET } from './containerd-engine.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface HostEnginesOptions {
  /** containerd's socket; when given it is used even if it does not exist yet (containerd may start later). */
  containerdSocket?: string;
  /** docker's API socket; same rule. */
  dockerSocket?: string;
}

/** Engines in the order the enricher should ask them (the cgroup path's runtime still goes first). */
export function hostContainerEngines(opts: HostEnginesOptions = {}): ContainerEngine[] {
  const engines: ContainerEngine[] = [new PodmanCliEngine()];
  const containerd = opts.containerdSocket ?? DEFAULT_CONTAINERD_SOCKET;
  if (opts.containerdSocket !== undefined || existsSync(containerd)) {
    engines.push(new ContainerdEngine({ address: containerd }));
  }
  const docker = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  if (opts.dockerSocket !== undefined || existsSync(docker)) engines.push(new DockerApiEngine(docker));
  return engines;
}
