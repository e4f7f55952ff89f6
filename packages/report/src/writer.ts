// The contract every report writer follows, and the few facts about findings that all writers
// share (which findings are shown, where a finding lives, the tool's identity).

import type { Finding, ScanReport, ScanResult } from '@palisade/core';

export interface WriterOptions {
  /** ANSI colours in terminal formats (table); ignored by machine formats. */
  color?: boolean;
  /** Version of the tool that produced the report, written into SARIF/CycloneDX/SPDX metadata. */
  toolVersion?: string;
  /** Show findings with status "suppressed" (ignore file, VEX). CycloneDX always reports them with `analysis`. */
  showSuppressed?: boolean;
}

export type ReportWriter = (report: ScanReport, opts: WriterOptions) => string;

export const TOOL_NAME = 'palisade';
export const TOOL_INFORMATION_URI = 'https://github.com/palisade-dev/palisade';
export const DEFAULT_TOOL_VERSION = '0.1.0';

/** The findings a writer shows for one result: suppressed ones only when asked. */
export function visibleFindings(result: ScanResult, opts: WriterOptions): Finding[] {
  if (opts.showSuppressed) return result.findings;
  return result.findings.filter((f) => f.status !== 'suppressed');
}

/** Path of the file a finding is about, relative to the artifact root, without a leading slash. */
export function findingPath(finding: Finding, result: ScanResult): string {
  // Empty strings fall through too: GitHub needs a non-empty location for every result.
  const p = [finding.target.path, finding.package?.filePath, result.target]
    .map((x) => x?.replace(/^\/+/, ''))
    .find((x) => x);
  return p || 'unknown';
}
