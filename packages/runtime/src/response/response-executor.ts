// What actually acts on the system: signals to processes, and podman to stop or pause
// containers. One interface so the agent can swap in docker/CRI executors later.

import { execFile } from 'node:child_process';

export interface ResponseExecutor {
  killProcess(pid: number): Promise<void>;
  killProcessGroup(pgid: number): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  pauseContainer(id: string): Promise<void>;
}

function podman(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { timeout: timeoutMs }, (err, _out, stderr) => {
      if (err) reject(new Error(`podman ${args[0]}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

export class PodmanExecutor implements ResponseExecutor {
  async killProcess(pid: number): Promise<void> {
    process.kill(pid, 'SIGKILL');
  }

  async killProcessGroup(pgid: number): Promise<void> {
    process.kill(-pgid, 'SIGKILL');
  }

  stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    return podman(['stop', '--time', String(timeoutSeconds), id], (timeoutSeconds + 30) * 1000);
  }

  pauseContainer(id: string): Promise<void> {
    return podman(['pause', id], 30_000);
  }
}
