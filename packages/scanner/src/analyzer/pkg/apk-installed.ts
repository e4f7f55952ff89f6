// The apk analyzer: `lib/apk/db/installed` (Alpine, Wolfi, Chainguard), one stanza per package of
// single-letter "X:value" lines; P name, V version, A arch, o origin (source), L license, c commit.

import { InputError, type Package } from '@palisade/core';
import type { Analyzer } from '../types.js';
import { osPackagePurl } from './os-purl.js';

const INSTALLED_PATH = 'lib/apk/db/installed';

export interface ApkPackage extends Package {
  /** The aports git commit the package was built from (`c:`). */
  commit?: string;
}

export function parseApkInstalled(content: Buffer | string, filePath: string): ApkPackage[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const out: ApkPackage[] = [];
  let cur: Partial<Record<'P' | 'V' | 'A' | 'o' | 'L' | 'c', string>> = {};
  let stanzaLine = 1;
  let line = 1;
  let pos = 0;
  const len = text.length;
  const finish = () => {
    if (cur.P === undefined && cur.V === undefined) return;
    if (!cur.P || !cur.V) throw new InputError(`${filePath}:${stanzaLine}: package stanza lacks P: or V:`);
    const pkg: ApkPackage = {
      name: cur.P,
      version: cur.V,
      ecosystem: 'Alpine',
      purl: osPackagePurl('apk', 'alpine', { name: cur.P, version: cur.V, arch: cur.A }, undefined),
      srcName: cur.o || cur.P,
      srcVersion: cur.V,
      filePath,
    };
    if (cur.A) pkg.arch = cur.A;
    if (cur.L) pkg.licenses = [cur.L];
    if (cur.c) pkg.commit = cur.c;
    out.push(pkg);
  };
  while (pos <= len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd === pos) {
      finish();
      cur = {};
      stanzaLine = line + 1;
    } else {
      if (lineEnd - pos < 2 || text.charCodeAt(pos + 1) !== 58 /* ':' */) {
        throw new InputError(
          `${filePath}:${line}: expected "X:value", got "${text.slice(pos, Math.min(lineEnd, pos + 60))}"`,
        );
      }
      const key = text[pos];
      if (key === 'P' || key === 'V' || key === 'A' || key === 'o' || key === 'L' || key === 'c') {
        cur[key] = text.slice(pos + 2, lineEnd);
      }
    }
    if (end === len) break;
    pos = end + 1;
    line++;
  }
  finish();
  return out;
}

export const apkInstalledAnalyzer: Analyzer = {
  name: 'apk-installed',
  category: 'pkg',
  required: (path) => path === INSTALLED_PATH,
  async analyze(input) {
    const packages = parseApkInstalled(input.content, input.path);
    return { packageSets: [{ class: 'os-pkgs', type: 'apk', filePath: input.path, packages }] };
  },
};
