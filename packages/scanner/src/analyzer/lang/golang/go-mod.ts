// go.mod: require directives (single and block form), replace directives (module → module is
// followed, module → local directory drops the module), and go/toolchain → the "stdlib" package.

import type { Package } from '@palisade/core';
import type { Analyzer } from '../../types.js';
import { baseName, goPackage, goToolchainVersion, keep, langResult, underFolder } from '../lang-package.js';

interface Replace {
  fromPath: string;
  fromVersion?: string;
  toPath: string;
  toVersion?: string;
}

export interface GoModFile {
  module?: string;
  go?: string;
  toolchain?: string;
  requires: { path: string; version: string; indirect: boolean }[];
  replaces: Replace[];
}

/** Splits a directive's arguments, honouring Go's quoted strings. */
function fields(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function applyDirective(verb: string, rest: string, indirect: boolean, mod: GoModFile): void {
  const args = fields(rest);
  switch (verb) {
    case 'module':
      if (args[0]) mod.module = args[0];
      break;
    case 'go':
      if (args[0]) mod.go = args[0];
      break;
    case 'toolchain':
      if (args[0]) mod.toolchain = args[0];
      break;
    case 'require':
      if (args.length >= 2) mod.requires.push({ path: args[0]!, version: args[1]!, indirect });
      break;
    case 'replace': {
      const arrow = args.indexOf('=>');
      if (arrow < 1 || arrow > 2 || args.length <= arrow + 1) break;
      mod.replaces.push({
        fromPath: args[0]!,
        fromVersion: arrow === 2 ? args[1] : undefined,
        toPath: args[arrow + 1]!,
        toVersion: args[arrow + 2],
      });
      break;
    }
  }
}

export function parseGoMod(text: string): GoModFile {
  const mod: GoModFile = { requires: [], replaces: [] };
  let block: string | undefined;
  for (const raw of text.split('\n')) {
    const comment = raw.indexOf('//');
    const indirect = comment >= 0 && /^\/\/\s*indirect\b/.test(raw.slice(comment));
    const line = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
    if (line.length === 0) continue;
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else applyDirective(block, line, indirect, mod);
      continue;
    }
    const m = /^(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === '(') block = m[1];
    else applyDirective(m[1]!, m[2]!, indirect, mod);
  }
  return mod;
}

const isLocalPath = (p: string) => p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || p === '.';

export function goModPackages(mod: GoModFile, filePath: string): Package[] {
  const out: Package[] = [];
  for (const req of mod.requires) {
    const rep = mod.replaces.find((r) => r.fromPath === req.path && (!r.fromVersion || r.fromVersion === req.version));
    if (!rep) keep(out, goPackage(req.path, req.version, filePath));
    else if (!isLocalPath(rep.toPath) && rep.toVersion) keep(out, goPackage(rep.toPath, rep.toVersion, filePath));
    // A local-directory replacement is the project's own code: nothing to match advisories against.
  }
  // The toolchain line names the exact Go release; a three-part go line is at least the minimum one.
  const stdlib = mod.toolchain ? goToolchainVersion(mod.toolchain) : undefined;
  const minimum = !stdlib && mod.go && /^\d+\.\d+\.\d+$/.test(mod.go) ? mod.go : undefined;
  const version = stdlib ?? minimum;
  if (version) keep(out, goPackage('stdlib', version, filePath));
  return out;
}

export const goModAnalyzer: Analyzer = {
  name: 'go-mod',
  category: 'lang',
  required: (path) => baseName(path) === 'go.mod' && !path.includes('pkg/mod/') && !underFolder(path, 'vendor'),
  async analyze(input, ctx) {
    const text = input.content.toString('utf8');
    if (text.includes('\0')) {
      ctx.warn(`${input.path}: not a go.mod file (binary content)`);
      return undefined;
    }
    return langResult('gomod', input.path, goModPackages(parseGoMod(text), input.path));
  },
};
