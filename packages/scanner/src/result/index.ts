// Result filtering: severity and unfixed filters, `.palisadeignore` rules and VEX documents
// applied to a ScanReport before a writer from @palisade/report turns it into output.

export { filterReport } from './filter-report.js';
export { loadIgnoreFile, parseIgnoreFile } from './ignore-file.js';
export type { FilterOptions, IgnoreRule, IgnoreRules, VexDocument, VexStatement, VexStatus } from './types.js';
export { loadVex, parseVex } from './vex.js';
