// The `cyclonedx` format: a CycloneDX 1.6 JSON BOM with every package as a component, the OS and
// each lockfile as parents in the dependency graph, and the vulnerabilities (suppressed ones with analysis).

import { randomUUID } from 'node:crypto';
import {
  type Cvss,
  type Finding,
  type Package,
  type ScanReport,
  type ScanResult,
  type Severity,
  severityFromScore,
} from '@palisade/core';
import { artifactPurl, isSpdxLicenseId, packageProperties } from './sbom-properties.js';
import { DEFAULT_TOOL_VERSION, TOOL_NAME, type WriterOptions } from './writer.js';

type Property = { name: string; value: string };
type License = { license: { id: string } | { name: string } } | { expression: string };

interface Component {
  'bom-ref': string;
  type: string;
  group?: string;
  name: string;
  version?: string;
  description?: string;
  licenses?: License[];
  purl?: string;
  properties?: Property[];
}

const CVSS_METHOD: Record<Cvss['version'], string> = {
  '2.0': 'CVSSv2',
  '3.0': 'CVSSv3',
  '3.1': 'CVSSv31',
  '4.0': 'CVSSv4',
};

// OpenVEX justifications (what the VEX loader puts in `reason`) → CycloneDX analysis justifications.
const JUSTIFICATION: Record<string, string> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
  code_not_present: 'code_not_present',
  code_not_reachable: 'code_not_reachable',
  requires_configuration: 'requires_configuration',
  requires_dependency: 'requires_dependency',
  requires_environment: 'requires_environment',
  protected_by_compiler: 'protected_by_compiler',
  protected_at_runtime: 'protected_at_runtime',
  protected_at_perimeter: 'protected_at_perimeter',
  protected_by_mitigating_control: 'protected_by_mitigating_control',
};

export function writeCycloneDx(report: ScanReport, opts: WriterOptions): string {
  const toolVersion = opts.toolVersion ?? DEFAULT_TOOL_VERSION;
  const artifact = report.artifact;
  const rootRef = artifactPurl(artifact) ?? `palisade:artifact:${artifact.name}`;
  const root: Component = {
    'bom-ref': rootRef,
    type: artifact.type === 'image' ? 'container' : artifact.type === 'rootfs' ? 'file' : 'application',
    name: artifact.name,
    properties: [{ name: 'palisade:artifact:type', value: artifact.type }],
  };
  if (artifact.image) {
    const image = artifact.image;
    if (rootRef.startsWith('pkg:')) root.purl = rootRef;
    const digest = image.repoDigests?.[0]?.split('@')[1] ?? image.id;
    if (digest) root.version = digest;
    if (image.id) root.properties!.push({ name: 'palisade:image:id', value: image.id });
    for (const tag of image.repoTags ?? []) root.properties!.push({ name: 'palisade:image:repoTag', value: tag });
    for (const d of image.repoDigests ?? []) root.properties!.push({ name: 'palisade:image:repoDigest', value: d });
    if (image.architecture) root.properties!.push({ name: 'palisade:image:architecture', value: image.architecture });
  }

  const components: Component[] = [];
  const dependencies = new Map<string, Set<string>>([[rootRef, new Set()]]);
  const dependOn = (from: string, to: string) => {
    const set = dependencies.get(from) ?? new Set<string>();
    dependencies.set(from, set);
    set.add(to);
  };

  let osRef: string | undefined;
  if (artifact.os) {
    osRef = `palisade:os:${artifact.os.family}@${artifact.os.version}`;
    const os: Component = {
      'bom-ref': osRef,
      type: 'operating-system',
      name: artifact.os.family,
      version: artifact.os.version,
    };
    if (artifact.os.name) os.description = artifact.os.name;
    components.push(os);
    dependOn(rootRef, osRef);
  }

  // bom-ref is the purl; the same purl found in a second file gets a suffix so refs stay unique.
  const refByKey = new Map<string, string>();
  const refCount = new Map<string, number>();
  const addPackage = (pkg: Package, result: ScanResult): string => {
    const key = `${pkg.purl}\u0000${pkg.filePath ?? result.target}`;
    const known = refByKey.get(key);
    if (known) return known;
    const n = (refCount.get(pkg.purl) ?? 0) + 1;
    refCount.set(pkg.purl, n);
    const ref = n === 1 ? pkg.purl : `${pkg.purl}#${n}`;
    refByKey.set(key, ref);
    components.push(packageComponent(pkg, result, ref));
    return ref;
  };

  for (const result of report.results) {
    if (result.packages.length === 0 && !result.findings.some((f) => f.package)) continue;
    let parent: string;
    if (result.class === 'os-pkgs') {
      parent = osRef ?? rootRef;
    } else {
      parent = `palisade:app:${result.type}:${result.target}`;
      if (!dependencies.has(parent)) {
        components.push({
          'bom-ref': parent,
          type: 'application',
          name: result.target,
          properties: [
            { name: 'palisade:class', value: result.class },
            { name: 'palisade:type', value: result.type },
          ],
        });
        dependencies.set(parent, new Set());
        dependOn(rootRef, parent);
      }
    }
    for (const pkg of result.packages) dependOn(parent, addPackage(pkg, result));
    for (const f of result.findings) if (f.package) dependOn(parent, addPackage(f.package, result));
  }

  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: isoTimestamp(report.createdAt) ?? new Date().toISOString(),
      tools: {
        components: [{ type: 'application', group: 'palisade', name: TOOL_NAME, version: toolVersion }],
      },
      component: root,
    },
    components,
    dependencies: [...dependencies].map(([ref, deps]) => ({ ref, dependsOn: [...deps] })),
    vulnerabilities: vulnerabilities(report, (pkg, result) =>
      refByKey.get(`${pkg.purl}\u0000${pkg.filePath ?? result.target}`),
    ),
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}

function packageComponent(pkg: Package, result: ScanResult, ref: string): Component {
  const c: Component = { 'bom-ref': ref, type: 'library', name: pkg.name, version: pkg.version, purl: pkg.purl };
  if (pkg.ecosystem === 'Maven' && pkg.name.includes(':')) {
    const [group, artifactId] = pkg.name.split(':', 2) as [string, string];
    c.group = group;
    c.name = artifactId;
  }
  const licenses = componentLicenses(pkg.licenses ?? []);
  if (licenses.length > 0) c.licenses = licenses;
  c.properties = packageProperties(pkg, result);
  return c;
}

function componentLicenses(licenses: string[]): License[] {
  const clean = [...new Set(licenses.map((l) => l.trim()).filter(Boolean))];
  // CycloneDX allows either license objects or one SPDX expression, never both in one list.
  if (clean.length === 1 && / (AND|OR|WITH) /.test(clean[0]!)) return [{ expression: clean[0]! }];
  return clean.map((l) => ({ license: isSpdxLicenseId(l) ? { id: l } : { name: l } }));
}

function vulnerabilities(
  report: ScanReport,
  refOf: (pkg: Package, result: ScanResult) => string | undefined,
): Record<string, unknown>[] {
  // One entry per id and suppression state: analysis belongs to the entry, not to each affect.
  const groups = new Map<string, { finding: Finding; refs: Map<string, string | undefined> }>();
  for (const result of report.results) {
    for (const f of result.findings) {
      if (f.type !== 'vulnerability') continue;
      const s = f.status === 'suppressed' ? f.suppression : undefined;
      const key = `${f.ruleId}\u0000${f.status === 'suppressed' ? `${s?.source}\u0000${s?.reason}` : ''}`;
      const g = groups.get(key) ?? { finding: f, refs: new Map<string, string | undefined>() };
      groups.set(key, g);
      const ref = f.package ? refOf(f.package, result) : undefined;
      if (ref) g.refs.set(ref, f.installedVersion ?? f.package?.version);
    }
  }
  return [...groups.values()].map(({ finding: f, refs }) => {
    const v: Record<string, unknown> = {
      id: f.ruleId,
      source: advisorySource(f.ruleId),
    };
    const aliases = (f.aliases ?? []).filter((a) => a !== f.ruleId);
    if (aliases.length > 0) v.references = aliases.map((id) => ({ id, source: advisorySource(id) }));
    v.ratings = ratings(f);
    if (f.description || f.title) v.description = f.description || f.title;
    if (f.fixedVersion && f.package) v.recommendation = `Upgrade ${f.package.name} to ${f.fixedVersion}`;
    const urls = [...new Set(f.references)];
    if (urls.length > 0) v.advisories = urls.map((url) => ({ url }));
    const published = isoTimestamp(f.publishedAt);
    if (published) v.published = published;
    const updated = isoTimestamp(f.modifiedAt);
    if (updated) v.updated = updated;
    v.affects = [...refs].map(([ref, version]) => ({
      ref,
      ...(version ? { versions: [{ version, status: 'affected' }] } : {}),
    }));
    if (f.status === 'suppressed') v.analysis = analysis(f);
    return v;
  });
}

function ratings(f: Finding): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = (f.cvss ?? []).map((c) => ({
    source: { name: c.source ?? 'unknown' },
    score: c.score,
    severity: cdxSeverity(severityFromScore(c.score)),
    method: CVSS_METHOD[c.version] ?? 'other',
    vector: c.vector,
  }));
  // The severity Palisade gates on, which may come from the distro rather than a CVSS score.
  out.push({ source: { name: f.severitySource ?? TOOL_NAME }, severity: cdxSeverity(f.severity), method: 'other' });
  return out;
}

function cdxSeverity(s: Severity): string {
  return s.toLowerCase();
}

function analysis(f: Finding): Record<string, unknown> {
  const reason = f.suppression?.reason;
  const source = f.suppression?.source ?? 'unknown';
  const state =
    reason === 'fixed' || reason === 'resolved'
      ? 'resolved'
      : reason === 'false_positive'
        ? 'false_positive'
        : 'not_affected';
  const a: Record<string, unknown> = { state };
  const justification = reason ? JUSTIFICATION[reason] : undefined;
  if (justification && state === 'not_affected') a.justification = justification;
  const expires = f.suppression?.expires ? ` (until ${f.suppression.expires})` : '';
  a.detail = `suppressed by ${source}${reason ? `: ${reason}` : ''}${expires}`;
  return a;
}

function advisorySource(id: string): { name: string; url: string } {
  if (/^CVE-\d+-\d+$/i.test(id)) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (/^GHSA-/i.test(id)) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
}

function isoTimestamp(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
