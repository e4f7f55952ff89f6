// Runs the built `palisade` bin as a user would, in a child process, and captures what it prints.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../../test-support/paths.js';

export const palisadeBin = path.join(repoRoot, 'packages/cli/dist/palisade.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the bin; `input`, when given, is written to its stdin (for --password-stdin). */
export function runPalisade(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CliRun> {
  if (!existsSync(palisadeBin)) throw new Error(`${palisadeBin} is missing: run "npm run build" first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [palisadeBin, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export interface PalisadeServer {
  process: ChildProcess;
  url: string;
  /** The bootstrap admin token the server prints on its first start. */
  token: string;
}

/**
 * Starts `palisade server` on a fresh SQLite data directory and an ephemeral port, and resolves
 * once its banner has named both the URL and the bootstrap admin token. The caller kills it.
 */
export async function startPalisadeServer(dataDir: string): Promise<PalisadeServer> {
  const server = spawn(
    process.execPath,
    [palisadeBin, 'server', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const banner = await new Promise<string>((resolve, reject) => {
    let text = '';
    server.stderr?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (/bootstrap admin token.*pal_\S+/.test(text) && /listening on \S+/.test(text)) resolve(text);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  return {
    process: server,
    url: /listening on (\S+)/.exec(banner)?.[1] ?? '',
    token: /(pal_\S+)/.exec(banner)?.[1] ?? '',
  };
}
