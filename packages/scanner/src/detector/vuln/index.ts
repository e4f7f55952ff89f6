// The vulnerability detector: OSV matching of package sets against the vulnerability database.

export { detectVulnerabilities } from './detect-vulnerabilities.js';
export { distroEcosystemKey, matchesBySourceName } from './distro-ecosystem.js';
export { type AffectedVerdict, type CompiledAffected, compileAffected, evaluateAffected } from './osv-range.js';
export { type RecordSeverity, ratingToSeverity, recordSeverity } from './osv-severity.js';
