// Scans one configuration file: detects its type, parses it with positions, runs the rules of
// that type, applies inline and annotation suppressions. Bad input becomes a finding or a warning.

import type { Finding } from '@palisade/core';
import { buildFinding } from './build-finding.js';
import { scanComposeText } from './compose/scan-compose-file.js';
import { configTypeForPath, isBinary, looksLikeKubernetes } from './detect-config-type.js';
import { type Dockerfile, parseDockerfile } from './dockerfile-parser.js';
import { parseKubernetesYaml } from './kubernetes-parser.js';
import { asObject, getIn, type K8sResource, podSpecOf, resourceLabel } from './kubernetes-resource.js';
import { COMPOSE_RULES, DOCKERFILE_RULES, KUBERNETES_RULES, PARSE_ERROR_RULE } from './rules/index.js';
import { annotationSuppression, applySuppressions, inlineSuppressions, type SuppressionRule } from './suppression.js';
import type { ComposeRule, ConfigScanResult, DockerfileRule, DocPath, K8sRule } from './types.js';

/** Larger files are not configuration anyone writes by hand; they are skipped with a warning. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface ScanConfigOptions {
  /** The date expiries are compared with (default: now). */
  now?: Date;
  kubernetesRules?: readonly K8sRule[];
  dockerfileRules?: readonly DockerfileRule[];
  composeRules?: readonly ComposeRule[];
  /** User rules (CEL, from loadUserRules) run after the Kubernetes rules. */
  extraRules?: readonly K8sRule[];
}

/**
 * Scans one file. Returns undefined when the file is not a Dockerfile or a Kubernetes manifest
 * (by name, then for YAML/JSON by content), so callers can hand it every file they meet.
 */
export function scanConfigFile(
  filePath: string,
  content: Buffer,
  opts: ScanConfigOptions = {},
): ConfigScanResult | undefined {
  const type = configTypeForPath(filePath);
  if (!type) return undefined;
  if (content.length > MAX_CONFIG_BYTES) {
    return {
      type,
      findings: [],
      warnings: [`${filePath}: ${content.length} bytes is too large for a configuration file; skipped`],
    };
  }
  if (isBinary(content)) {
    // A binary named like a manifest is not one; say nothing unless it claimed to be a Dockerfile.
    if (type === 'kubernetes') return undefined;
    return { type, findings: [], warnings: [`${filePath}: binary content; skipped`] };
  }
  const text = content.toString('utf8');
  const now = opts.now ?? new Date();
  if (type === 'dockerfile') return scanDockerfileText(filePath, text, now, opts.dockerfileRules ?? DOCKERFILE_RULES);
  if (type === 'docker-compose') return scanComposeText(filePath, text, now, opts.composeRules ?? COMPOSE_RULES);
  if (!looksLikeKubernetes(text)) return undefined;
  const k8sRules = opts.kubernetesRules ?? KUBERNETES_RULES;
  const rules = opts.extraRules?.length ? [...k8sRules, ...opts.extraRules] : k8sRules;
  return scanKubernetesText(filePath, text, now, rules);
}

function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function scanKubernetesText(
  filePath: string,
  text: string,
  now: Date,
  rules: readonly K8sRule[],
): ConfigScanResult | undefined {
  const warnings: string[] = [];
  const findings: Finding[] = [];
  const parsed = parseKubernetesYaml(text);
  if (parsed.documents.length === 0 && parsed.errors.length === 0) return undefined;
  if (parsed.errors.length > 0 && text.includes('{{')) {
    warnings.push(
      `${filePath}: looks like an unrendered template ({{ … }}); not checked (render it with helm template first)`,
    );
    return { type: 'kubernetes', findings, warnings };
  }
  const inline = inlineSuppressions(text, filePath);
  for (const e of parsed.errors) {
    const f = buildFinding(PARSE_ERROR_RULE, `${filePath}:${e.line}: ${e.message}`, {
      path: filePath,
      line: e.line,
      subject: '',
      content: e.message,
    });
    applySuppressions(f, [inline.get(e.line), inline.get(e.line - 1)], now, warnings);
    findings.push(f);
  }
  const seen = new Set<string>();
  for (const doc of parsed.documents) {
    for (const resource of doc.resources) {
      const subject = resourceLabel(resource);
      // The resource's own annotations, and for workloads those of its pod template.
      const annotations = [
        annotationSuppression(asObject(getIn(resource.object, ['metadata', 'annotations'])), `${filePath} ${subject}`),
        annotationSuppression(podSpecOf(resource)?.annotations, `${filePath} ${subject} (pod template)`),
      ];
      for (const rule of rules) {
        for (const issue of rule.check(resource)) {
          const line = doc.lineOf(issue.path);
          const content = `${relativePath(resource, issue.path).join('.')}=${scalarText(getIn(resource.object, relativePath(resource, issue.path))) ?? issue.detail}`;
          const f = buildFinding(rule, issue.detail, { path: filePath, line, subject, content });
          if (seen.has(f.id)) continue;
          seen.add(f.id);
          applySuppressions(f, [inline.get(line), inline.get(line - 1), ...annotations], now, warnings);
          findings.push(f);
        }
      }
    }
  }
  return { type: 'kubernetes', findings, warnings };
}

function relativePath(r: K8sResource, path: DocPath): DocPath {
  return path.slice(r.basePath.length);
}

export function scanDockerfileText(
  filePath: string,
  text: string,
  now: Date,
  rules: readonly DockerfileRule[],
): ConfigScanResult {
  const warnings: string[] = [];
  const findings: Finding[] = [];
  const df: Dockerfile = parseDockerfile(text);
  const inline = inlineSuppressions(text, filePath);
  const seen = new Set<string>();
  for (const rule of rules) {
    for (const issue of rule.check(df)) {
      const i = issue.instruction;
      const stage = df.stages[i.stage];
      const subject = stage ? `stage ${stage.name ?? stage.index}` : 'global';
      const content = `${i.keyword} ${i.args}\n${issue.detail}`;
      const f = buildFinding(rule, issue.detail, { path: filePath, line: i.line, subject, content });
      if (seen.has(f.id)) continue;
      seen.add(f.id);
      const candidates: (SuppressionRule | undefined)[] = [];
      for (let l = i.line; l <= i.endLine; l++) candidates.push(inline.get(l));
      candidates.push(inline.get(i.line - 1));
      applySuppressions(f, candidates, now, warnings);
      findings.push(f);
    }
  }
  return { type: 'dockerfile', findings, warnings };
}
