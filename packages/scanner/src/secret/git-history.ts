// Secrets in a repository's history: every blob any commit added, read once each (deduplicated by
// blob id) through one `git cat-file --batch`, and reported with the commit that introduced it.

import { spawn } from 'node:child_process';
import { type Finding, InputError, NotFoundError } from '@palisade/core';
import { DEFAULT_SECRET_MAX_FILE_SIZE, type SecretScanOptions, scanSecrets } from './detect-secrets.js';
import { wantsSecretScan } from './secret-analyzer.js';

export type GitHistoryOptions = SecretScanOptions;

interface BlobOrigin {
  oid: string;
  commit: string;
  path: string;
}

const ZERO_OID = /^0+$/;
const REGULAR_FILE_MODES: ReadonlySet<string> = new Set(['100644', '100755']);
const COMMIT_MARK = '\u0001';

/**
 * Scans all blobs reachable from any ref. A secret that a later commit removed is still found,
 * with `target.commit` naming the commit that added it and `target.path` the path it was added at.
 */
export async function scanGitHistory(repoDir: string, opts: GitHistoryOptions = {}): Promise<Finding[]> {
  const blobs = await listIntroducedBlobs(repoDir, opts);
  if (blobs.length === 0) return [];
  const byId = new Map<string, Finding>();
  await readBlobs(repoDir, blobs, opts.maxFileSize ?? DEFAULT_SECRET_MAX_FILE_SIZE, (origin, content) => {
    for (const f of scanSecrets(origin.path, content, opts)) {
      // The same secret at the same path in a later blob (the file edited around it) is the same finding.
      if (byId.has(f.id)) continue;
      byId.set(f.id, {
        ...f,
        description: `${f.description ?? ''} (added in commit ${origin.commit.slice(0, 12)})`,
        target: { ...f.target, commit: origin.commit },
      });
    }
  });
  return [...byId.values()];
}

/** Each wanted blob once, oldest introduction first (`--topo-order --reverse`: parents before children). */
async function listIntroducedBlobs(repoDir: string, opts: GitHistoryOptions): Promise<BlobOrigin[]> {
  const seen = new Set<string>();
  const blobs: BlobOrigin[] = [];
  let commit = '';
  let pendingHeader: string | undefined;
  let rest = '';
  const onToken = (raw: string): void => {
    const token = raw.replace(/^\n/, '');
    if (pendingHeader !== undefined) {
      const header = pendingHeader;
      pendingHeader = undefined;
      // ":oldmode newmode oldoid newoid status" then the path (no renames, so one path).
      const [, newMode, , newOid] = header.slice(1).split(' ');
      if (!newOid || ZERO_OID.test(newOid) || !REGULAR_FILE_MODES.has(newMode ?? '') || seen.has(newOid)) return;
      if (!wantsSecretScan(token, { size: 1, mode: 0o100644 }, opts)) return;
      seen.add(newOid);
      blobs.push({ oid: newOid, commit, path: token });
      return;
    }
    if (token.startsWith(COMMIT_MARK)) commit = token.slice(1);
    else if (token.startsWith(':')) pendingHeader = token;
  };
  await runGit(
    repoDir,
    ['log', '--all', '--topo-order', '--reverse', '--raw', '--no-abbrev', '--no-renames', '-z', '--format=%x01%H'],
    (chunk) => {
      const parts = (rest + chunk.toString('utf8')).split('\0');
      rest = parts.pop() ?? '';
      for (const p of parts) onToken(p);
    },
  );
  if (rest !== '') onToken(rest);
  return blobs;
}

/** Streams `git cat-file --batch` output, handing each blob to `onBlob`; blobs over the limit are skipped unread. */
async function readBlobs(
  repoDir: string,
  blobs: BlobOrigin[],
  maxSize: number,
  onBlob: (origin: BlobOrigin, content: Buffer) => void,
): Promise<void> {
  let next = 0;
  let chunks: Buffer[] = [];
  let buffered = 0;
  let need = -1; // bytes of the current body + its trailing newline; -1 while reading a header
  let skip = false;
  const take = (n: number): Buffer => {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const head = all.subarray(0, n);
    const tail = all.subarray(n);
    chunks = tail.length > 0 ? [tail] : [];
    buffered = tail.length;
    return head;
  };
  const drain = (): void => {
    for (;;) {
      if (need < 0) {
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        chunks = all.length > 0 ? [all] : [];
        const nl = all.indexOf(10);
        if (nl < 0) return;
        const header = take(nl + 1)
          .toString('utf8')
          .trim();
        const [, type, size] = header.split(' ');
        if (type !== 'blob' || size === undefined) {
          next++; // "<oid> missing": nothing follows
          continue;
        }
        need = Number(size) + 1;
        skip = need - 1 > maxSize;
      }
      if (skip) {
        const dropped = Math.min(need, buffered);
        take(dropped);
        need -= dropped;
        if (need > 0) return;
        need = -1;
        next++;
        continue;
      }
      if (buffered < need) return;
      const body = take(need).subarray(0, need - 1);
      need = -1;
      const origin = blobs[next++];
      if (origin) onBlob(origin, body);
    }
  };
  const input = `${blobs.map((b) => b.oid).join('\n')}\n`;
  await runGit(
    repoDir,
    ['cat-file', '--batch'],
    (chunk) => {
      chunks.push(chunk);
      buffered += chunk.length;
      drain();
    },
    input,
  );
}

function runGit(cwd: string, args: string[], onStdout: (chunk: Buffer) => void, stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'core.quotePath=false', ...args], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    });
    let stderr = '';
    let failed: Error | undefined;
    child.stdout.on('data', (c: Buffer) => {
      if (failed) return;
      try {
        onStdout(c);
      } catch (err) {
        failed = err instanceof Error ? err : new Error(String(err));
        child.kill();
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new NotFoundError('git is not installed (needed to scan history)') : err);
    });
    child.on('close', (code) => {
      if (failed) reject(failed);
      else if (code === 0) resolve();
      else
        reject(new InputError(`${cwd}: git ${args[0]} failed (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
    child.stdin.on('error', () => {}); // git exiting early closes the pipe; the exit code tells why
    child.stdin.end(stdin ?? '');
  });
}
