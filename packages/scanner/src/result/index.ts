// Result filtering: severity and unfixed filters, `.palisadeignore` rules and VEX documents
// applied to a ScanReport before a writer from @palisade/report turns it into output.

export { type Baseline, loadBaseline, parseBaseline, writeBaseline } from './baseline.js';
export { explainSuppressions } from './explain.js';
export { filterReport } from './filter-report.js';
export { loadIgnoreFile, parseIgnoreFile } from './ignore-file.js';
export type { FilterOptions, IgnoreRule, IgnoreRules, VexDocument, VexStatement, VexStatus } from './types.js';
export { loadVex, parseVex } from './vex.js';
