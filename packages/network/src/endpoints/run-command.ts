// Runs the small inspection commands endpoint discovery needs (podman, ip, nsenter, ctr) and
// returns their stdout; a command that fails or is missing rejects with its first stderr line.

import { execFile } from 'node:child_process';

/** Runs `cmd args…` and resolves with stdout. Injectable so tests and other hosts can replace it. */
export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<string>;

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 20_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const why = String(stderr).trim().split('\n')[0] || err.message.split('\n')[0];
      reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}: ${why}`));
    });
  });

/** The same command run inside a named network namespace (`ip netns exec NAME`). */
export function inNetns(run: CommandRunner, netns: string | undefined): CommandRunner {
  if (!netns) return run;
  return (cmd, args) => run('ip', ['netns', 'exec', netns, cmd, ...args]);
}
