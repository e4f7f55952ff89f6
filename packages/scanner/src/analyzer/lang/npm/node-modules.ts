// Installed npm packages in images and root filesystems: node_modules/<name>/package.json and
// node_modules/@scope/<name>/package.json, one package per file. Called thousands of times: keep it lean.

import type { Analyzer } from '../../types.js';
import { isRecord, langResult, npmPackage, str } from '../lang-package.js';

// Only a package's own manifest, never test/ or lib/ package.json files deeper inside it.
const INSTALLED_MANIFEST = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;

export const nodeModulesAnalyzer: Analyzer = {
  name: 'node-pkg',
  category: 'lang',
  required: (path, info) =>
    info.size < 4 * 1024 * 1024 && path.endsWith('/package.json') && INSTALLED_MANIFEST.test(path),
  async analyze(input, ctx) {
    let doc: unknown;
    try {
      doc = JSON.parse(input.content.toString('utf8'));
    } catch {
      ctx.warn(`${input.path}: installed package manifest is not valid JSON`);
      return undefined;
    }
    if (!isRecord(doc)) return undefined;
    const name = str(doc.name);
    const version = str(doc.version);
    if (!name || !version) return undefined; // placeholder manifests (e.g. "type": "module" shims)
    const p = npmPackage(name, version, input.path);
    if (!p) return undefined;
    const license = licenseOf(doc.license);
    if (license) p.licenses = [license];
    return langResult('node-pkg', input.path, [p]);
  },
};

function licenseOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (isRecord(v)) return str(v.type);
  return undefined;
}
