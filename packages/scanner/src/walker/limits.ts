// Size limits that keep a hostile artifact from exhausting memory or time: per-file content cap,
// total uncompressed bytes per archive or layer, and a compression-ratio guard against bombs.

export const DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024;
export const DEFAULT_MAX_ARCHIVE_BYTES = 32 * 1024 * 1024 * 1024;

/** Past this many uncompressed bytes, a stream whose ratio exceeds MAX_COMPRESSION_RATIO is a bomb. */
export const RATIO_GUARD_MIN_BYTES = 256 * 1024 * 1024;
/** Real layers and packages compress 2–10×; deflate tops out near 1032× on pure zeros. */
export const MAX_COMPRESSION_RATIO = 200;

export interface WalkLimits {
  maxFileSize: number;
  maxArchiveBytes: number;
}
