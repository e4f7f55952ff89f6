// Public API of the scanner: the scan pipeline, the vulnerability database, SBOM input and
// result filtering. Analyzers and artifact readers stay internal behind `scanArtifact`.

export type { ArtifactKind, ScanProgress } from './analyze-artifact.js';
export type * from './analyzer/types.js';
export { parseSbom, readSbom } from './artifact/sbom/index.js';
export { detectVulnerabilities } from './detector/vuln/index.js';
export * from './host-audit/index.js';
export * from './result/index.js';
export { type ScannerName, type ScanOptions, type ScanTargetKind, scanArtifact } from './scan.js';
export * from './vulndb/index.js';
export { vulnDbPath } from './vulndb-path.js';
