// The dpkg analyzer: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*` stanzas, each
// installed binary package with its source package, version, architecture and Multi-Arch.

import { InputError, type Package } from '@palisade/core';
import type { Analyzer, PackageSet } from '../types.js';
import { osPackagePurl } from './os-purl.js';

const STATUS_PATH = 'var/lib/dpkg/status';
const STATUS_DIR = 'var/lib/dpkg/status.d/';

export interface DpkgPackage extends Package {
  /** dpkg's Multi-Arch field ("same", "foreign", "allowed") when present. */
  multiArch?: string;
}

export interface DpkgStatusOptions {
  /**
   * Distroless status.d files often carry no Status field: a package written there is installed.
   * In the main status file a stanza without "install ok installed" is not.
   */
  assumeInstalled?: boolean;
}

/** Parses a dpkg status file (or one status.d entry) into its installed packages. */
export function parseDpkgStatus(
  content: Buffer | string,
  filePath: string,
  opts: DpkgStatusOptions = {},
): DpkgPackage[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const out: DpkgPackage[] = [];
  let fields: StanzaFields = {};
  let stanzaLine = 1;
  let line = 1;
  let pos = 0;
  const len = text.length;
  while (pos <= len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    // Tolerate CRLF line ends.
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd === pos) {
      finishStanza(fields, stanzaLine, filePath, opts, out);
      fields = {};
      stanzaLine = line + 1;
    } else {
      const first = text.charCodeAt(pos);
      // Continuation lines (leading space or tab) belong to multi-line fields we do not read.
      if (first !== 32 && first !== 9) {
        const colon = text.indexOf(':', pos);
        if (colon < 0 || colon > lineEnd) {
          throw new InputError(
            `${filePath}:${line}: expected "Field: value", got "${text.slice(pos, Math.min(lineEnd, pos + 60))}"`,
          );
        }
        readField(fields, text.slice(pos, colon), text, colon + 1, lineEnd);
      }
    }
    if (end === len) break;
    pos = end + 1;
    line++;
  }
  finishStanza(fields, stanzaLine, filePath, opts, out);
  return out;
}

interface StanzaFields {
  package?: string;
  status?: string;
  version?: string;
  source?: string;
  architecture?: string;
  multiArch?: string;
}

function readField(fields: StanzaFields, name: string, text: string, from: number, to: number): void {
  // Field names are case-insensitive in deb822; compare the common spellings without lowercasing each line.
  switch (name) {
    case 'Package':
      fields.package = text.slice(from, to).trim();
      return;
    case 'Status':
      fields.status = text.slice(from, to).trim();
      return;
    case 'Version':
      fields.version = text.slice(from, to).trim();
      return;
    case 'Source':
      fields.source = text.slice(from, to).trim();
      return;
    case 'Architecture':
      fields.architecture = text.slice(from, to).trim();
      return;
    case 'Multi-Arch':
      fields.multiArch = text.slice(from, to).trim();
      return;
    default: {
      const canonical = FIELD_KEYS[name.toLowerCase()];
      if (canonical !== undefined && canonical !== name) readField(fields, canonical, text, from, to);
    }
  }
}

const FIELD_KEYS: Record<string, string> = {
  package: 'Package',
  status: 'Status',
  version: 'Version',
  source: 'Source',
  architecture: 'Architecture',
  'multi-arch': 'Multi-Arch',
};

function finishStanza(
  f: StanzaFields,
  line: number,
  filePath: string,
  opts: DpkgStatusOptions,
  out: DpkgPackage[],
): void {
  if (f.package === undefined && f.version === undefined && f.status === undefined) return;
  if (f.status !== undefined ? !isInstalled(f.status) : !opts.assumeInstalled) return;
  if (!f.package) throw new InputError(`${filePath}:${line}: installed stanza has no Package field`);
  if (!f.version) throw new InputError(`${filePath}:${line}: package ${f.package} has no Version field`);
  let srcName = f.package;
  let srcVersion = f.version;
  if (f.source) {
    // "Source: name" or "Source: name (version)" when the source version differs (binNMUs).
    const paren = f.source.indexOf('(');
    if (paren < 0) {
      srcName = f.source;
    } else {
      const close = f.source.indexOf(')', paren);
      if (close < 0) throw new InputError(`${filePath}:${line}: malformed Source field "${f.source}"`);
      srcName = f.source.slice(0, paren).trim();
      srcVersion = f.source.slice(paren + 1, close).trim();
    }
  }
  const pkg: DpkgPackage = {
    name: f.package,
    version: f.version,
    ecosystem: 'Debian',
    purl: osPackagePurl('deb', 'debian', { name: f.package, version: f.version, arch: f.architecture }, undefined),
    srcName,
    srcVersion,
    filePath,
  };
  if (f.architecture) pkg.arch = f.architecture;
  if (f.multiArch) pkg.multiArch = f.multiArch;
  out.push(pkg);
}

/** "install ok installed" (want, flag, status): only the status word says whether files are on disk. */
function isInstalled(status: string): boolean {
  return status.endsWith(' installed') || status === 'installed';
}

export const dpkgStatusAnalyzer: Analyzer = {
  name: 'dpkg-status',
  category: 'pkg',
  required(path) {
    if (path === STATUS_PATH) return true;
    return path.startsWith(STATUS_DIR) && path.indexOf('/', STATUS_DIR.length) < 0 && !path.endsWith('.md5sums');
  },
  async analyze(input) {
    const distroless = input.path !== STATUS_PATH;
    const packages = parseDpkgStatus(input.content, input.path, { assumeInstalled: distroless });
    const packageSets: PackageSet[] = [{ class: 'os-pkgs', type: 'dpkg', filePath: input.path, packages }];
    // Only distroless writes status.d; os-release supplies the version, mergeOsInfo keeps this mark.
    return distroless ? { os: { family: 'debian', version: '', distroless: true }, packageSets } : { packageSets };
  },
};
