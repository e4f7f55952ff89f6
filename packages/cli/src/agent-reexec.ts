// `palisade agent` runs with 4 MiB V8 semi-spaces (see @palisade/agent's node-flags.ts). V8 reads
// that limit only when node starts, so when the agent is started without it — by hand, in a
// container, under a supervisor other than the shipped systemd unit, which passes it itself — node
// is started once more with it. This module is loaded before the rest of the CLI, so the parent
// that stays behind holds none of it: it only relays signals and the exit status.

import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';

/** The same flag as AGENT_NODE_OPTIONS in @palisade/agent (a test keeps them equal). */
export const AGENT_V8_FLAG = '--max-semi-space-size=4';
/** Set in the re-executed agent so that it never re-executes again. */
export const REEXEC_GUARD = 'PALISADE_AGENT_REEXECUTED';
/** The re-executed agent's descriptor on which it sees its parent go (end of file). */
const PARENT_FD = 3;

const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(=|$)/;
const RELAYED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];

/**
 * The node arguments to run `palisade agent …` with the flag, or undefined when this process
 * should go on itself: another command, the flag already given (command line or NODE_OPTIONS),
 * already re-executed, or only help asked for.
 */
export function agentReexecArgs(
  argv: readonly string[],
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  if (argv[2] !== 'agent' || env[REEXEC_GUARD]) return undefined;
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => SEMI_SPACE_FLAG.test(a))) return undefined;
  return [...execArgv, AGENT_V8_FLAG, ...argv.slice(1)];
}

/**
 * Runs node with `args` and resolves with its exit code. The child gets its own process group so
 * that a terminal's Ctrl-C reaches it once, relayed from here, not twice (the agent stops
 * gracefully on the first SIGINT and dies on a second). A child killed by a signal is reported
 * the way a shell would, 128 + the signal number.
 */
export function runReexecuted(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      detached: true,
      env: { ...process.env, [REEXEC_GUARD]: String(PARENT_FD) },
    });
    const relay = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    for (const sig of RELAYED_SIGNALS) process.on(sig, relay);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const sig of RELAYED_SIGNALS) process.off(sig, relay);
      if (signal) resolve(128 + constants.signals[signal]);
      else resolve(code ?? 1);
    });
  });
}

/**
 * In a re-executed agent: stop gracefully (as on SIGTERM) when the parent is gone, which closes
 * the pipe it left on PARENT_FD. A parent killed with SIGKILL cannot relay anything, and the
 * agent, in its own process group, would otherwise run on unattended.
 */
export function stopWhenReexecParentGoes(env: NodeJS.ProcessEnv = process.env): void {
  if (env[REEXEC_GUARD] !== String(PARENT_FD)) return;
  let parent: Socket;
  try {
    parent = new Socket({ fd: PARENT_FD, readable: true, writable: false });
  } catch {
    return; // not started by runReexecuted after all
  }
  const stop = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  parent.on('end', stop);
  parent.on('error', stop);
  parent.resume();
  parent.unref();
}
