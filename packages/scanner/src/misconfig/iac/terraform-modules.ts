// Source trees hold Terraform as module directories: Terraform reads all `.tf` files of a
// directory together (a bucket in main.tf, its public access block in s3.tf) and follows local
// modules. Per-file analysis cannot know that, so source scans judge Terraform per directory.

import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '@palisade/core';
import type { MisconfigurationSet } from '../../analyzer/types.js';
import { scanTerraformDir } from './scan-iac-file.js';

const SKIP = new Set(['.git', '.hg', '.svn', '.terraform', 'node_modules']);

/** Directories (relative to root, "." for the root itself) that hold `.tf` files. */
export async function terraformDirectories(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return; // unreadable directories were already reported by the walker
    }
    if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) out.push(rel || '.');
    for (const e of entries) if (e.isDirectory() && !SKIP.has(e.name)) await walk(path.join(rel, e.name));
  };
  await walk('');
  return out.sort();
}

// `source = "./modules/x"` in a module block: a local module, judged through its caller.
const LOCAL_SOURCE = /\bsource\s*=\s*"(\.{1,2}\/[^"]*)"/g;

/** The directories no other directory calls as a local module: Terraform's root modules. */
export async function terraformRootDirectories(root: string, dirs: readonly string[]): Promise<string[]> {
  const called = new Set<string>();
  for (const dir of dirs) {
    for (const name of (await readdir(path.join(root, dir))).filter((n) => n.endsWith('.tf'))) {
      const text = await readFile(path.join(root, dir, name), 'utf8').catch(() => '');
      for (const m of text.matchAll(LOCAL_SOURCE)) called.add(path.normalize(path.join(dir, m[1]!)));
    }
  }
  return dirs.filter((d) => !called.has(path.normalize(d)));
}

/**
 * Terraform findings of a source tree, one set per file, judged per root module with its local
 * modules followed (so a module is judged with the arguments its caller gives it).
 */
export async function scanTerraformTree(
  root: string,
  now?: Date,
): Promise<{ sets: MisconfigurationSet[]; warnings: string[] }> {
  const byFile = new Map<string, Finding[]>();
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const dir of await terraformRootDirectories(root, await terraformDirectories(root))) {
    const res = await scanTerraformDir(dir, { root, ...(now ? { now } : {}) });
    warnings.push(...res.warnings);
    for (const f of res.findings) {
      if (seen.has(f.id)) continue;
      seen.add(f.id);
      const file = f.target.path ?? dir;
      const list = byFile.get(file);
      if (list) list.push(f);
      else byFile.set(file, [f]);
    }
  }
  const sets = [...byFile].map(([filePath, findings]) => ({ filePath, type: 'terraform' as const, findings }));
  return { sets: sets.sort((a, b) => a.filePath.localeCompare(b.filePath)), warnings };
}
