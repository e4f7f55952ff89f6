// Installed gems: specifications/*.gemspec as RubyGems writes them on install
// (`s.name = "rake".freeze`, `s.version = "13.0.6"`). Read with patterns, never evaluated.

import type { Analyzer } from '../../types.js';
import { gemPackage, langResult } from '../lang-package.js';

const INSTALLED_GEMSPEC = /(?:^|\/)specifications\/[^/]+\.gemspec$/;
const NAME = /^\s*\w+\.name\s*=\s*["']([^"']+)["']/m;
const VERSION = /^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\()?["']([^"']+)["']/m;
const LICENSES = /^\s*\w+\.licenses?\s*=\s*\[?([^\n]*)/m;

export const gemspecAnalyzer: Analyzer = {
  name: 'gemspec',
  category: 'lang',
  required: (path, info) => info.size < 1024 * 1024 && INSTALLED_GEMSPEC.test(path),
  async analyze(input, ctx) {
    const text = input.content.toString('utf8');
    const name = NAME.exec(text)?.[1];
    const version = VERSION.exec(text)?.[1];
    if (!name || !version) {
      ctx.warn(`${input.path}: gemspec without a literal name or version`);
      return undefined;
    }
    const p = gemPackage(name, version, input.path);
    if (!p) return undefined;
    const lic = LICENSES.exec(text)?.[1];
    const licenses = lic ? [...lic.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!) : [];
    if (licenses.length > 0) p.licenses = licenses;
    return langResult('gemspec', input.path, [p]);
  },
};
