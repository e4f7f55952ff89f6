// The `json` format: the ScanReport itself, pretty-printed with object keys sorted so that two
// scans of the same input diff cleanly.

import type { ScanReport } from '@palisade/core';
import { visibleFindings, type WriterOptions } from './writer.js';

export function writeJson(report: ScanReport, opts: WriterOptions): string {
  const shown: ScanReport = {
    ...report,
    results: report.results.map((r) => ({ ...r, findings: visibleFindings(r, opts) })),
  };
  return `${JSON.stringify(sortKeys(shown), null, 2)}\n`;
}

/** Copies a JSON value with every object's keys in code-point order; arrays keep their order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
