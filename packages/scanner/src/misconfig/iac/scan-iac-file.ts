// Scans IaC: one file (Terraform, plan JSON, CloudFormation/SAM, serverless.yml, function configs)
// or a Terraform directory with its local modules; runs the cloud rules and applies inline suppressions.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '@palisade/core';
import { buildFinding } from '../build-finding.js';
import { isBinary } from '../detect-config-type.js';
import { getIn } from '../kubernetes-resource.js';
import { IAC_RULES, PARSE_ERROR_RULE } from '../rules/index.js';
import { MAX_CONFIG_BYTES } from '../scan-config-file.js';
import { applySuppressions, inlineSuppressions, type SuppressionRule } from '../suppression.js';
import type { ConfigScanResult, ConfigType, IacRule } from '../types.js';
import { cloudFormationResources, looksLikeCloudFormation } from './cloudformation/cloudformation-parser.js';
import { iacKindForPath, isNamedIacFile, mayBeIac } from './detect-iac-type.js';
import type { IacSource, ParsedIac } from './iac-resource.js';
import { functionConfigResources } from './serverless/function-configs.js';
import { looksLikeServerlessFramework, serverlessFrameworkResources } from './serverless/serverless-framework.js';
import { looksLikeTerraformPlan, terraformPlanResources } from './terraform/plan-parser.js';
import { parseTerraformModule, type TerraformFile } from './terraform/terraform-parser.js';
import { isParseFailure, parseYamlWithPositions } from './yaml-positions.js';

export interface ScanIacOptions {
  /** The date suppression expiries and runtime end-of-life dates are compared with (default: now). */
  now?: Date;
  rules?: readonly IacRule[];
}

const TYPE_OF_SOURCE: Record<IacSource, ConfigType> = {
  terraform: 'terraform',
  'terraform-plan': 'terraform-plan',
  cloudformation: 'cloudformation',
  serverless: 'serverless',
  'azure-functions': 'function-config',
  'function-config': 'function-config',
};

/**
 * Scans one IaC file. Returns undefined when the file is none of the recognised kinds, so
 * callers may hand it every YAML/JSON file after the Kubernetes scan has passed on it.
 */
export async function scanIacFile(
  filePath: string,
  content: Buffer,
  opts: ScanIacOptions = {},
): Promise<ConfigScanResult | undefined> {
  const kind = iacKindForPath(filePath);
  if (!kind) return undefined;
  const guessType: ConfigType = kind === 'terraform' ? 'terraform' : 'cloudformation';
  if (content.length > MAX_CONFIG_BYTES) {
    return {
      type: guessType,
      findings: [],
      warnings: [`${filePath}: ${content.length} bytes is too large for a configuration file; skipped`],
    };
  }
  if (isBinary(content)) {
    // A binary named main.tf is not Terraform: say so once, never try to parse it.
    return kind === 'terraform'
      ? { type: 'terraform', findings: [], warnings: [`${filePath}: binary content; skipped`] }
      : undefined;
  }
  const text = content.toString('utf8');
  if (kind === 'terraform') {
    const parsed = await parseTerraformModule([{ path: filePath, text }]);
    return evaluate('terraform', parsed, new Map([[filePath, text]]), opts);
  }
  if (!mayBeIac(filePath, text)) return undefined;
  const doc = parseYamlWithPositions(text, { cloudFormation: true });
  if (isParseFailure(doc)) {
    // Only a file that claims to be IaC (by name or marker) earns a parse finding here.
    if (!isNamedIacFile(filePath) && !/AWSTemplateFormatVersion|resource_changes/.test(text)) return undefined;
    const parsed: ParsedIac = {
      resources: [],
      errors: [{ file: filePath, line: doc.line, message: doc.message }],
      warnings: [],
    };
    return evaluate(guessType, parsed, new Map([[filePath, text]]), opts);
  }
  let parsed: ParsedIac | undefined;
  let type: ConfigType = 'cloudformation';
  if (looksLikeTerraformPlan(doc.data)) {
    parsed = terraformPlanResources(filePath, doc);
    type = 'terraform-plan';
  } else if (looksLikeCloudFormation(doc.data)) {
    parsed = cloudFormationResources(filePath, doc);
  } else if (looksLikeServerlessFramework(doc.data)) {
    parsed = serverlessFrameworkResources(filePath, doc);
    type = 'serverless';
  } else {
    const fns = functionConfigResources(filePath, doc);
    if (fns) {
      parsed = { resources: fns, errors: [], warnings: [] };
      type = fns[0] ? TYPE_OF_SOURCE[fns[0].source] : 'function-config';
    }
  }
  if (!parsed) return undefined;
  return evaluate(type, parsed, new Map([[filePath, text]]), opts);
}

/**
 * Scans a Terraform root module: every .tf file in `dir` evaluated together (variables and locals
 * shared across files) and local modules followed with the arguments the caller passes.
 */
/**
 * Scans a Terraform module directory as Terraform sees it: every `.tf` file together, local
 * modules followed. With `root`, files are read under it and reported relative to it, so that
 * finding ids do not depend on where the checkout lives.
 */
export async function scanTerraformDir(
  dir: string,
  opts: ScanIacOptions & { root?: string } = {},
): Promise<ConfigScanResult> {
  const texts = new Map<string, string>();
  const warnings: string[] = [];
  const root = opts.root;
  const readModule = async (d: string): Promise<TerraformFile[]> => {
    const abs = root ? path.resolve(root, d) : d;
    const names = (await readdir(abs)).filter((n) => n.endsWith('.tf')).sort();
    const files: TerraformFile[] = [];
    for (const n of names) {
      const p = path.join(d, n);
      const buf = await readFile(path.join(abs, n));
      if (buf.length > MAX_CONFIG_BYTES || isBinary(buf)) {
        warnings.push(`${p}: binary or too large; skipped`);
        continue;
      }
      const text = buf.toString('utf8');
      texts.set(p, text);
      files.push({ path: p, text });
    }
    return files;
  };
  const start = root ? path.relative(root, path.resolve(root, dir)) || '.' : dir;
  const parsed = await parseTerraformModule(await readModule(start), { readModule });
  parsed.warnings.unshift(...warnings);
  return evaluate('terraform', parsed, texts, opts);
}

function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function evaluate(
  type: ConfigType,
  parsed: ParsedIac,
  texts: Map<string, string>,
  opts: ScanIacOptions,
): ConfigScanResult {
  const now = opts.now ?? new Date();
  const rules = opts.rules ?? IAC_RULES;
  const warnings = [...parsed.warnings];
  const findings: Finding[] = [];
  const inlineByFile = new Map<string, Map<number, SuppressionRule>>();
  const inlineOf = (file: string): Map<number, SuppressionRule> => {
    let m = inlineByFile.get(file);
    if (!m) {
      m = inlineSuppressions(texts.get(file) ?? '', file);
      inlineByFile.set(file, m);
    }
    return m;
  };
  for (const e of parsed.errors) {
    const f = buildFinding(PARSE_ERROR_RULE, `${e.file}:${e.line}: ${e.message}`, {
      path: e.file,
      line: e.line,
      subject: '',
      content: e.message,
    });
    const inline = inlineOf(e.file);
    applySuppressions(f, [inline.get(e.line), inline.get(e.line - 1)], now, warnings);
    findings.push(f);
  }
  const ctx = { resources: parsed.resources, now };
  const seen = new Set<string>();
  for (const r of parsed.resources) {
    const inline = inlineOf(r.file);
    const header = r.lineOf([]);
    const subject = r.type === 'function' ? r.name : `${r.type} ${r.name}`;
    for (const rule of rules) {
      for (const issue of rule.check(r, ctx)) {
        const line = r.lineOf(issue.path);
        const value = scalarText(getIn(r.attrs, issue.path));
        const content = `${issue.path.join('.')}=${value ?? issue.detail}`;
        const f = buildFinding(rule, issue.detail, { path: r.file, line, subject, content });
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        // The finding's line or the one above it, then the resource's header line or the one above it.
        applySuppressions(
          f,
          [inline.get(line), inline.get(line - 1), inline.get(header), inline.get(header - 1)],
          now,
          warnings,
        );
        findings.push(f);
      }
    }
  }
  return { type, findings, warnings };
}
