// The analyzer that feeds configuration files into the misconfiguration scan during artifact
// analysis; its results travel in AnalysisResult.misconfigurations, one entry per file.

import type { Analyzer } from '../analyzer/types.js';
import { configTypeForPath } from './detect-config-type.js';
import { iacKindForPath } from './iac/detect-iac-type.js';
import { scanIacFile } from './iac/scan-iac-file.js';
import { MAX_CONFIG_BYTES, scanConfigFile } from './scan-config-file.js';

export const misconfigAnalyzer: Analyzer = {
  name: 'misconfig',
  category: 'config',
  required(filePath, info) {
    if (configTypeForPath(filePath) === undefined && iacKindForPath(filePath) === undefined) return false;
    // Manifests in dependency trees are vendored, not the user's configuration.
    if (filePath.includes('node_modules/') || filePath.includes('.terraform/')) return false;
    return info.size <= MAX_CONFIG_BYTES;
  },
  async analyze(input, ctx) {
    // A YAML/JSON file that is not a Kubernetes manifest may be CloudFormation, a plan, serverless.yml …
    const result = scanConfigFile(input.path, input.content) ?? (await scanIacFile(input.path, input.content));
    if (!result) return undefined;
    for (const w of result.warnings) ctx.warn(w);
    if (result.findings.length === 0) return undefined;
    return { misconfigurations: [{ filePath: input.path, type: result.type, findings: result.findings }] };
  },
};
