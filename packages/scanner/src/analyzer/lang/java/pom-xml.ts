// Maven pom.xml: the direct <dependencies> whose versions are literal or ${properties} defined in
// the same pom (or project.version / parent version). Versions managed elsewhere are not guessed.

import type { Package } from '@palisade/core';
import { XMLParser } from 'fast-xml-parser';
import type { Analyzer, AnalyzerContext, AnalyzerInput } from '../../types.js';
import { baseName, dedupePackages, isRecord, keep, langResult, mavenPackage } from '../lang-package.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false, // versions like 1.10 must stay strings
  processEntities: false,
  isArray: (name) => name === 'dependency',
});

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Substitutes ${name} references, several rounds deep; undefined if any stays unresolved. */
function resolve(value: string | undefined, props: Map<string, string>): string | undefined {
  if (!value) return undefined;
  let out = value;
  for (let round = 0; round < 5 && out.includes('${'); round++) {
    out = out.replace(/\$\{([^}]+)\}/g, (whole, key: string) => props.get(key) ?? whole);
  }
  return out.includes('${') ? undefined : out;
}

export function parsePom(input: AnalyzerInput, ctx: AnalyzerContext): Package[] | undefined {
  let doc: unknown;
  try {
    doc = parser.parse(input.content.toString('utf8'), true);
  } catch (err) {
    ctx.warn(`${input.path}: not valid XML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return undefined;
  }
  const project = isRecord(doc) ? doc.project : undefined;
  if (!isRecord(project)) {
    ctx.warn(`${input.path}: not a Maven pom (no <project> element)`);
    return undefined;
  }
  const parent = isRecord(project.parent) ? project.parent : {};
  const props = new Map<string, string>();
  const projectVersion = text(project.version) ?? text(parent.version);
  const projectGroup = text(project.groupId) ?? text(parent.groupId);
  for (const [k, v] of [
    ['project.version', projectVersion],
    ['pom.version', projectVersion],
    ['version', projectVersion],
    ['project.groupId', projectGroup],
    ['project.artifactId', text(project.artifactId)],
    ['project.parent.version', text(parent.version)],
    ['project.parent.groupId', text(parent.groupId)],
  ] as const) {
    if (v) props.set(k, v);
  }
  if (isRecord(project.properties)) {
    for (const [k, v] of Object.entries(project.properties)) {
      const t = text(v);
      if (t) props.set(k, t);
    }
  }
  const deps = isRecord(project.dependencies) ? project.dependencies.dependency : undefined;
  const out: Package[] = [];
  for (const d of Array.isArray(deps) ? deps : []) {
    if (!isRecord(d)) continue;
    const groupId = resolve(text(d.groupId), props);
    const artifactId = resolve(text(d.artifactId), props);
    const version = resolve(text(d.version), props);
    // Ranges ([1.0,2.0)) name no single version.
    if (!groupId || !artifactId || !version || /^[[(]/.test(version)) continue;
    keep(out, mavenPackage(groupId, artifactId, version, input.path, text(d.scope) === 'test'));
  }
  return dedupePackages(out);
}

export const pomXmlAnalyzer: Analyzer = {
  name: 'pom-xml',
  category: 'lang',
  required: (path, info) => info.size < 8 * 1024 * 1024 && baseName(path) === 'pom.xml',
  async analyze(input, ctx) {
    const packages = parsePom(input, ctx);
    return packages && langResult('pom', input.path, packages);
  },
};
