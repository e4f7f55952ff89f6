// @palisade/report: turns a ScanReport into text in one of the supported formats. The registry
// below is the one place that lists the formats; a new format is one file plus one line here.

import type { ScanReport } from '@palisade/core';
import { UsageError } from '@palisade/core';
import { writeCycloneDx } from './cyclonedx.js';
import { writeJson } from './json.js';
import { writeJunit } from './junit.js';
import { writeSarif } from './sarif.js';
import { writeSpdxJson } from './spdx-json.js';
import { writeTable } from './table.js';
import type { ReportWriter, WriterOptions } from './writer.js';

export type ReportFormat = 'table' | 'json' | 'sarif' | 'cyclonedx' | 'spdx-json' | 'junit';

const WRITERS = new Map<ReportFormat, ReportWriter>([
  ['table', writeTable],
  ['json', writeJson],
  ['sarif', writeSarif],
  ['cyclonedx', writeCycloneDx],
  ['spdx-json', writeSpdxJson],
  ['junit', writeJunit],
]);

export const REPORT_FORMATS: readonly ReportFormat[] = [...WRITERS.keys()];

export function isReportFormat(name: string): name is ReportFormat {
  return WRITERS.has(name as ReportFormat);
}

export function writeReport(report: ScanReport, format: ReportFormat, opts: WriterOptions = {}): string {
  const writer = WRITERS.get(format);
  if (!writer) throw new UsageError(`unknown report format "${format}" (expected one of ${REPORT_FORMATS.join(', ')})`);
  return writer(report, opts);
}

export type { WriterOptions } from './writer.js';
