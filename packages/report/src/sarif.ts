// The `sarif` format: SARIF 2.1.0 as GitHub code scanning ingests it — one rule per rule id with
// security-severity, one result per finding located in the file (lockfile, package db) it came from.

import { type Finding, fingerprint, type ResultClass, type ScanReport, type Severity } from '@palisade/core';
import { severityScore } from './severity-score.js';
import {
  DEFAULT_TOOL_VERSION,
  findingPath,
  TOOL_INFORMATION_URI,
  TOOL_NAME,
  visibleFindings,
  type WriterOptions,
} from './writer.js';

// GitHub's documented hard limits per run, and the length its UI shows of a description.
const MAX_RESULTS = 25_000;
const MAX_RULES = 25_000;
const MAX_TAGS = 10;
const MAX_TEXT = 1_000;

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  UNKNOWN: 'note',
};

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { precision: string; 'security-severity': string; tags: string[] };
}

interface Located {
  finding: Finding;
  uri: string;
  resultClass: ResultClass;
}

export function writeSarif(report: ScanReport, opts: WriterOptions): string {
  let located: Located[] = [];
  for (const result of report.results) {
    for (const finding of visibleFindings(result, opts))
      located.push({ finding, uri: toUri(findingPath(finding, result)), resultClass: result.class });
  }
  // Over the limit GitHub rejects the whole file; keep the most severe results instead.
  const truncated = located.length > MAX_RESULTS;
  if (truncated) {
    located = located.sort((a, b) => severityScore(b.finding) - severityScore(a.finding)).slice(0, MAX_RESULTS);
  }

  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  for (const { finding, resultClass } of located) {
    const existing = ruleIndex.get(finding.ruleId);
    if (existing !== undefined) {
      // One rule for all findings of an id: keep the highest severity seen.
      const rule = rules[existing]!;
      const score = severityScore(finding);
      if (score > Number(rule.properties['security-severity'])) rule.properties['security-severity'] = score.toFixed(1);
      continue;
    }
    if (rules.length >= MAX_RULES) continue;
    ruleIndex.set(finding.ruleId, rules.length);
    rules.push(toRule(finding, resultClass));
  }

  const results = located
    .filter(({ finding }) => ruleIndex.has(finding.ruleId))
    .map(({ finding, uri }) => ({
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId)!,
      level: LEVEL[finding.severity],
      message: { text: truncate(resultMessage(finding)) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri },
            region: {
              startLine: finding.target.line ?? 1,
              startColumn: 1,
              endLine: finding.target.line ?? 1,
              endColumn: 1,
            },
          },
          message: { text: finding.package ? `${uri}: ${finding.package.name}@${finding.package.version}` : uri },
        },
      ],
      partialFingerprints: {
        // The same vulnerability of the same package in the same file is one alert across runs,
        // even after a version bump that does not fix it.
        primaryLocationLineHash: fingerprint(finding.ruleId, uri, finding.package?.name ?? finding.target.line),
        'palisadeFindingId/v1': finding.id,
      },
      ...(finding.status === 'suppressed'
        ? {
            suppressions: [
              {
                kind: 'external',
                status: 'accepted',
                justification: finding.suppression?.reason ?? finding.suppression?.source ?? 'suppressed',
              },
            ],
          }
        : {}),
    }));

  const image = report.artifact.image;
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            fullName: 'Palisade cloud workload protection scanner',
            version: opts.toolVersion ?? DEFAULT_TOOL_VERSION,
            informationUri: TOOL_INFORMATION_URI,
            rules,
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
        properties: {
          artifactName: report.artifact.name,
          artifactType: report.artifact.type,
          ...(image?.id ? { imageID: image.id } : {}),
          ...(image?.repoTags ? { repoTags: image.repoTags } : {}),
          ...(image?.repoDigests ? { repoDigests: image.repoDigests } : {}),
          ...(truncated ? { truncatedResults: true } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function toRule(f: Finding, resultClass: ResultClass): SarifRule {
  const description = f.description?.trim() || f.title;
  const help = [
    `Vulnerability ${f.ruleId}`,
    `Severity: ${f.severity}`,
    f.package ? `Package: ${f.package.name}` : undefined,
    f.fixedVersion ? `Fixed Version: ${f.fixedVersion}` : undefined,
    f.references[0] ? `Link: ${f.references[0]}` : undefined,
    description,
  ].filter((l) => l !== undefined);
  const markdown = [
    '| Severity | Package | Fixed Version | Link |',
    '| --- | --- | --- | --- |',
    `| ${f.severity} | ${f.package?.name ?? ''} | ${f.fixedVersion ?? ''} | ${f.references[0] ? `[${f.ruleId}](${f.references[0]})` : ''} |`,
    '',
    escapeMarkdown(description),
  ];
  const tags = [f.type, 'security', f.severity, ...(f.package ? [f.package.ecosystem] : [])];
  const rule: SarifRule = {
    id: f.ruleId,
    name: ruleName(f, resultClass),
    shortDescription: { text: truncate(f.title || f.ruleId) },
    fullDescription: { text: truncate(description || f.ruleId) },
    defaultConfiguration: { level: LEVEL[f.severity] },
    help: { text: truncate(help.join('\n')), markdown: truncate(markdown.join('\n')) },
    properties: {
      precision: 'very-high',
      'security-severity': severityScore(f).toFixed(1),
      tags: [...new Set(tags)].slice(0, MAX_TAGS),
    },
  };
  if (f.references[0]) rule.helpUri = f.references[0];
  return rule;
}

/** GitHub shows rule names; they read best as a category: "OsPackageVulnerability", "Secret". */
function ruleName(f: Finding, resultClass: ResultClass): string {
  if (f.type === 'vulnerability') {
    return resultClass === 'os-pkgs' ? 'OsPackageVulnerability' : 'LanguageSpecificPackageVulnerability';
  }
  return f.type
    .split(/[^a-z]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function resultMessage(f: Finding): string {
  const lines = [f.title && f.title !== f.ruleId ? `${f.ruleId}: ${f.title}` : f.ruleId];
  if (f.package)
    lines.push(`Package: ${f.package.name}`, `Installed Version: ${f.installedVersion ?? f.package.version}`);
  lines.push(`Severity: ${f.severity}`);
  if (f.fixedVersion) lines.push(`Fixed Version: ${f.fixedVersion}`);
  if (f.references[0]) lines.push(`Link: ${f.references[0]}`);
  return lines.join('\n');
}

/** A relative URI reference: each path segment percent-encoded, slashes kept. */
function toUri(path: string): string {
  return path
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

function truncate(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  // Never split a surrogate pair.
  const cut = [...text.slice(0, MAX_TEXT - 1)].join('');
  const safe = /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
  return `${safe}…`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>|])/g, '\\$1');
}
