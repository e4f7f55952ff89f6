// The analyzer that feeds configuration files into the misconfiguration scan during artifact
// analysis; its results travel in AnalysisResult.misconfigurations, one entry per file.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AnalysisResult, Analyzer, AnalyzerContext } from '../analyzer/types.js';
import { configTypeForPath } from './detect-config-type.js';
import { scanHelmChart } from './helm/scan-helm-chart.js';
import { iacKindForPath } from './iac/detect-iac-type.js';
import { scanIacFile } from './iac/scan-iac-file.js';
import { KUBERNETES_RULES } from './rules/index.js';
import { MAX_CONFIG_BYTES, scanConfigFile } from './scan-config-file.js';
import type { K8sRule } from './types.js';

export interface MisconfigAnalyzerOptions {
  /** User rules (CEL, from loadUserRules) run beside the built-in Kubernetes rules. */
  extraRules?: readonly K8sRule[];
  /**
   * The scanned directory on disk (fs/repo scans): a directory holding Chart.yaml is then
   * rendered with `helm template` when helm is on PATH. Without it, charts are not rendered.
   */
  sourceRoot?: string;
  /** `--values` files for every rendered chart. */
  helmValues?: readonly string[];
  /** The PATH searched for `helm` (default: the process's PATH). */
  pathEnv?: string;
}

export function createMisconfigAnalyzer(opts: MisconfigAnalyzerOptions = {}): Analyzer {
  return {
    name: 'misconfig',
    category: 'config',
    required(filePath, info) {
      if (configTypeForPath(filePath) === undefined && iacKindForPath(filePath) === undefined) return false;
      // Manifests in dependency trees are vendored, not the user's configuration.
      if (filePath.includes('node_modules/') || filePath.includes('.terraform/')) return false;
      return info.size <= MAX_CONFIG_BYTES;
    },
    async analyze(input, ctx) {
      if (opts.sourceRoot && path.posix.basename(input.path) === 'Chart.yaml') {
        return scanChartAt(input.path, opts.sourceRoot, opts, ctx);
      }
      // A YAML/JSON file that is not a Kubernetes manifest may be CloudFormation, a plan, serverless.yml …
      const result =
        scanConfigFile(input.path, input.content, { extraRules: opts.extraRules }) ??
        (await scanIacFile(input.path, input.content));
      if (!result) return undefined;
      for (const w of result.warnings) ctx.warn(w);
      if (result.findings.length === 0) return undefined;
      return { misconfigurations: [{ filePath: input.path, type: result.type, findings: result.findings }] };
    },
  };
}

export const misconfigAnalyzer: Analyzer = createMisconfigAnalyzer();

async function scanChartAt(
  chartFile: string,
  root: string,
  opts: MisconfigAnalyzerOptions,
  ctx: AnalyzerContext,
): Promise<AnalysisResult | undefined> {
  const displayDir = path.posix.dirname(chartFile);
  // A subchart (parent/charts/sub/Chart.yaml) is rendered by its parent chart, not again alone.
  const parts = displayDir.split('/');
  if (parts.length >= 2 && parts[parts.length - 2] === 'charts') {
    const parent = parts.slice(0, -2).join('/');
    if (existsSync(path.join(root, parent, 'Chart.yaml'))) return undefined;
  }
  const rules = opts.extraRules?.length ? [...KUBERNETES_RULES, ...opts.extraRules] : KUBERNETES_RULES;
  const result = await scanHelmChart(path.join(root, displayDir), displayDir, {
    rules,
    valuesFiles: opts.helmValues,
    pathEnv: opts.pathEnv,
  });
  for (const w of result.warnings) ctx.warn(w);
  return result.misconfigurations.length > 0 ? { misconfigurations: result.misconfigurations } : undefined;
}
