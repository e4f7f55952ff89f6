// The vulnerability database: OSV records in SQLite, filled by `db import` and `db update`.

export { type ImportOptions, type ImportProgress, type ImportStats, importOsv } from './import-osv.js';
export { ecosystemBase, ecosystemKey, packageKey } from './osv-keys.js';
export type { OsvAffected, OsvEvent, OsvRange, OsvRecord, OsvSeverity } from './osv-record.js';
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from './osv-zip.js';
export {
  DEFAULT_ECOSYSTEMS,
  DEFAULT_OSV_MIRROR,
  /** The name the CLI uses. */
  DEFAULT_OSV_MIRROR as DEFAULT_MIRROR,
  type EcosystemUpdate,
  type UpdateOptions,
  type UpdateProgress,
  type UpdateStats,
  updateDb,
} from './update-db.js';
export {
  AdvisoryCandidate,
  type DbStatus,
  type PutResult,
  VULNDB_SCHEMA_VERSION,
  VulnDb,
  WriteSession,
} from './vuln-db.js';
