// Loads a rendered ruleset into the kernel with one `nft -f -` (one transaction: all or nothing),
// optionally inside a named network namespace. A failed load leaves the previous ruleset in force.

import { spawn } from 'node:child_process';
import { PalisadeError } from '@palisade/core';
import { Compiler } from './compile.js';
import { type CutResult, cutForbiddenConnections } from './cut.js';
import type { NftRuleset } from './ir.js';
import { type ExistingObjects, parseExistingObjects, renderReplace } from './render.js';

export class NftApplyError extends PalisadeError {
  override name = 'NftApplyError';
}

export interface ApplyOptions {
  /** Run inside `ip netns exec NAME` (tests and labs); the host's own ruleset is never touched then. */
  readonly netns?: string;
  readonly nftPath?: string;
  /** Only check the script (`nft -c`), change nothing. */
  readonly checkOnly?: boolean;
  readonly timeoutMs?: number;
  /**
   * After the replace, delete the conntrack entries of live connections the new policy denies
   * (see cutForbiddenConnections). Off by default, as in Calico: policy then governs new
   * connections only. Ignored in audit mode, which denies nothing.
   */
  readonly cutForbidden?: boolean;
  /** Told what was cut (with cutForbidden). */
  readonly onCut?: (result: CutResult) => void;
}

/** Replaces the table with `rs` in one transaction (see renderReplace); returns the script. */
export async function applyRuleset(rs: NftRuleset, options: ApplyOptions = {}): Promise<string> {
  const existing = await listExisting(rs.table, options);
  const script = renderReplace(rs, existing);
  await applyNftScript(script, options);
  const c = rs.compiler;
  if (options.cutForbidden && !options.checkOnly && c instanceof Compiler && c.mode === 'enforce') {
    const result = await cutForbiddenConnections(c.model, {
      ...(options.netns ? { netns: options.netns } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    options.onCut?.(result);
  }
  return script;
}

function listExisting(table: string, options: ApplyOptions): Promise<ExistingObjects | undefined> {
  return new Promise((resolve, reject) => {
    const args = ['-t', '-j', 'list', 'table', 'inet', table];
    const [cmd, argv] = command(args, options);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'], timeout: options.timeoutMs ?? 30_000 });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('error', (err) => reject(new NftApplyError(`cannot run ${cmd}: ${err.message}`)));
    // A missing table makes nft fail: nothing to replace then.
    child.on('close', (code) => resolve(code === 0 ? parseExistingObjects(out) : undefined));
  });
}

function command(nftArgs: string[], options: ApplyOptions): [string, string[]] {
  const nft = options.nftPath ?? 'nft';
  return options.netns ? ['ip', ['netns', 'exec', options.netns, nft, ...nftArgs]] : [nft, nftArgs];
}

export function applyNftScript(script: string, options: ApplyOptions = {}): Promise<void> {
  const nftArgs = [...(options.checkOnly ? ['-c'] : []), '-f', '-'];
  const [cmd, args] = command(nftArgs, options);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    child.on('error', (err) => reject(new NftApplyError(`cannot run ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new NftApplyError(
            `nft rejected the ruleset (${signal ?? `exit ${code}`}); the previous ruleset stays in force:\n${stderr.trim()}`,
          ),
        );
    });
    child.stdin.on('error', () => {}); // nft may exit before reading everything; 'close' reports it
    child.stdin.end(script);
  });
}
