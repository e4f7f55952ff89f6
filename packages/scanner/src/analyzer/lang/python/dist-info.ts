// Installed Python distributions: *.dist-info/METADATA (wheels) and *.egg-info/PKG-INFO (eggs),
// read as the RFC 822 header block of core metadata; the body (long description) is never parsed.

import type { Analyzer } from '../../types.js';
import { langResult, pypiPackage } from '../lang-package.js';

const METADATA_FILE = /\.(?:dist-info\/METADATA|egg-info\/PKG-INFO)$/;

/** The header fields of a core-metadata file, stopping at the first blank line. */
export function parseCoreMetadata(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.length === 0) break;
    if ((l.startsWith(' ') || l.startsWith('\t')) && last && last.length > 0) {
      last[last.length - 1] += `\n${l.trim()}`; // folded continuation
      continue;
    }
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    const key = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    last = fields.get(key);
    if (last) last.push(value);
    else {
      last = [value];
      fields.set(key, last);
    }
  }
  return fields;
}

export const pythonInstalledAnalyzer: Analyzer = {
  name: 'python-pkg',
  category: 'lang',
  required: (path, info) => info.size < 16 * 1024 * 1024 && METADATA_FILE.test(path),
  async analyze(input, ctx) {
    const fields = parseCoreMetadata(input.content.toString('utf8'));
    const name = fields.get('name')?.[0];
    const version = fields.get('version')?.[0];
    if (!name || !version) {
      ctx.warn(`${input.path}: Python package metadata without Name or Version`);
      return undefined;
    }
    const p = pypiPackage(name, version, input.path);
    if (!p) {
      ctx.warn(`${input.path}: Python package metadata with an unusable Name or Version`);
      return undefined;
    }
    const license = fields.get('license-expression')?.[0] ?? fields.get('license')?.[0];
    if (license && !license.includes('\n') && license.length <= 100 && license !== 'UNKNOWN') p.licenses = [license];
    return langResult('python-pkg', input.path, [p]);
  },
};
