// Reads which commit a source tree is checked out at from .git (HEAD, loose refs, packed-refs),
// without running git, so `repo` scans can name the exact revision they saw.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface GitHead {
  commit?: string;
  branch?: string;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** .git is a directory, or a file "gitdir: PATH" (worktrees, submodules). */
async function gitDir(root: string): Promise<string | undefined> {
  const dotGit = path.join(root, '.git');
  const st = await stat(dotGit).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) return dotGit;
  const m = /^gitdir:\s*(.+)$/m.exec((await readText(dotGit)) ?? '');
  return m ? path.resolve(root, m[1]!.trim()) : undefined;
}

export async function readGitHead(root: string): Promise<GitHead | undefined> {
  const dir = await gitDir(root);
  if (!dir) return undefined;
  const head = (await readText(path.join(dir, 'HEAD')))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40,64}$/.test(head)) return { commit: head };
  const ref = /^ref:\s*(refs\/\S+)$/.exec(head)?.[1];
  if (!ref || ref.split('/').includes('..')) return undefined;
  const branch = ref.replace(/^refs\/heads\//, '');
  const loose = (await readText(path.join(dir, ref)))?.trim();
  if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return { commit: loose, branch };
  // Worktrees keep shared refs in the common dir.
  const common = (await readText(path.join(dir, 'commondir')))?.trim();
  const packedDirs = common ? [dir, path.resolve(dir, common)] : [dir];
  for (const d of packedDirs) {
    const packed = await readText(path.join(d, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    const commit = line?.split(' ')[0];
    if (commit && /^[0-9a-f]{40,64}$/.test(commit)) return { commit, branch };
  }
  return { branch };
}
