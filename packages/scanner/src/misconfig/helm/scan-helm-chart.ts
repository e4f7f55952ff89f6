// Scans a Helm chart: renders it when `helm` is on PATH and checks each rendered template with
// the Kubernetes rules; without helm, one warning says the chart was not rendered.

import path from 'node:path';
import type { MisconfigurationSet } from '../../analyzer/types.js';
import { KUBERNETES_RULES } from '../rules/index.js';
import { scanKubernetesText } from '../scan-config-file.js';
import type { K8sRule } from '../types.js';
import { findOnPath, renderHelmChart } from './render-helm-chart.js';

export interface ScanHelmOptions {
  now?: Date;
  rules?: readonly K8sRule[];
  /** `--values` files for `helm template`; the chart's own values.yaml applies without them. */
  valuesFiles?: readonly string[];
  /** The PATH searched for `helm` (default: the process's PATH). */
  pathEnv?: string;
}

export interface HelmScanResult {
  misconfigurations: MisconfigurationSet[];
  warnings: string[];
}

/**
 * chartDir is where Chart.yaml lives on disk; displayDir is how findings name it (relative to
 * the scanned tree). A finding's path is the template's real path: displayDir + the part of
 * helm's `# Source:` after the chart name ("web/templates/x.yaml" → "charts/web/templates/x.yaml").
 */
export async function scanHelmChart(
  chartDir: string,
  displayDir: string,
  opts: ScanHelmOptions = {},
): Promise<HelmScanResult> {
  const helmBinary = findOnPath('helm', opts.pathEnv);
  if (!helmBinary) {
    return {
      misconfigurations: [],
      warnings: [`helm not found on PATH: chart ${displayDir} not rendered; its templates were skipped`],
    };
  }
  let rendered: Awaited<ReturnType<typeof renderHelmChart>>;
  try {
    rendered = await renderHelmChart(chartDir, { helmBinary, valuesFiles: opts.valuesFiles });
  } catch (err) {
    return { misconfigurations: [], warnings: [err instanceof Error ? err.message : String(err)] };
  }
  const now = opts.now ?? new Date();
  const misconfigurations: MisconfigurationSet[] = [];
  const warnings: string[] = [];
  for (const t of rendered) {
    const slash = t.source.indexOf('/');
    const inChart = slash < 0 ? t.source : t.source.slice(slash + 1);
    const filePath = displayDir === '' || displayDir === '.' ? inChart : path.posix.join(displayDir, inChart);
    const result = scanKubernetesText(filePath, t.text, now, opts.rules ?? KUBERNETES_RULES);
    if (!result) continue;
    warnings.push(...result.warnings);
    if (result.findings.length > 0) misconfigurations.push({ filePath, type: 'kubernetes', findings: result.findings });
  }
  return { misconfigurations, warnings };
}
