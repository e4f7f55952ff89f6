// Docker's running containers through its API on the unix socket (no docker CLI needed): the
// list, then each container's inspect document, which has the same shape as podman's.

import http from 'node:http';
import type { Endpoint } from '../model/types.js';
import { containerFromInspect, type InspectedContainer } from './container-inspect.js';
import { endpointsForContainers, type HostView } from './workload-endpoint.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

function getJson(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`docker API ${path}: HTTP ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`docker API ${path}: not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`docker API ${path}: timed out`)));
    req.on('error', reject);
  });
}

export async function discoverDocker(socketPath: string, host: HostView): Promise<Endpoint[]> {
  const list = await getJson(socketPath, '/containers/json');
  const ids = Array.isArray(list)
    ? list.map((c) => (c as { Id?: unknown }).Id).filter((id): id is string => typeof id === 'string')
    : [];
  const containers: InspectedContainer[] = [];
  for (const id of ids) {
    try {
      const c = containerFromInspect(await getJson(socketPath, `/containers/${encodeURIComponent(id)}/json`));
      if (c) containers.push(c);
    } catch {
      // removed while we listed
    }
  }
  return endpointsForContainers(containers, 'docker', host);
}
