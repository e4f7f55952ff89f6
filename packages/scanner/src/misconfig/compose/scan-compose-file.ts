// Scans a docker-compose file: parses it with positions, runs the compose rules over each
// service, applies inline suppressions. Invalid YAML becomes a PAL-PARSE finding.

import type { Finding } from '@palisade/core';
import { buildFinding } from '../build-finding.js';
import { isParseFailure, parseYamlWithPositions } from '../iac/yaml-positions.js';
import { getIn, isObject } from '../kubernetes-resource.js';
import { PARSE_ERROR_RULE } from '../rules/index.js';
import { applySuppressions, inlineSuppressions } from '../suppression.js';
import type { ComposeRule, ConfigScanResult } from '../types.js';

/** docker-compose.yml, compose.yaml, docker-compose.override.yml, compose.prod.yaml … */
const COMPOSE_NAME = /^(docker-)?compose(\.[\w-]+)*\.ya?ml$/i;

export function isComposeFileName(filePath: string): boolean {
  return COMPOSE_NAME.test(filePath.slice(filePath.lastIndexOf('/') + 1));
}

export function scanComposeText(
  filePath: string,
  text: string,
  now: Date,
  rules: readonly ComposeRule[],
): ConfigScanResult | undefined {
  const warnings: string[] = [];
  const findings: Finding[] = [];
  const inline = inlineSuppressions(text, filePath);
  const parsed = parseYamlWithPositions(text);
  if (isParseFailure(parsed)) {
    const f = buildFinding(PARSE_ERROR_RULE, `${filePath}:${parsed.line}: ${parsed.message}`, {
      path: filePath,
      line: parsed.line,
      subject: '',
      content: parsed.message,
    });
    applySuppressions(f, [inline.get(parsed.line), inline.get(parsed.line - 1)], now, warnings);
    return { type: 'docker-compose', findings: [f], warnings };
  }
  const services = isObject(parsed.data) ? parsed.data.services : undefined;
  // A file named like compose but without services (an env file, a fragment) is not ours.
  if (!isObject(services)) return undefined;
  const seen = new Set<string>();
  for (const [name, object] of Object.entries(services)) {
    if (!isObject(object)) continue;
    const service = { name, object };
    for (const rule of rules) {
      for (const issue of rule.check(service)) {
        const docPath = ['services', name, ...issue.path];
        const line = parsed.lineOf(docPath);
        const value = getIn(object, issue.path);
        // Never the value of an environment variable: it may be the secret.
        const shown =
          issue.path[0] === 'environment' || isObject(value) || Array.isArray(value) ? '' : String(value ?? '');
        const content = `${issue.path.join('.')}=${shown}\n${issue.detail}`;
        const f = buildFinding(rule, issue.detail, { path: filePath, line, subject: `service ${name}`, content });
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        applySuppressions(f, [inline.get(line), inline.get(line - 1)], now, warnings);
        findings.push(f);
      }
    }
  }
  return { type: 'docker-compose', findings, warnings };
}
