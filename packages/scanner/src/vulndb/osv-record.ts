// The OSV record shape (https://ossf.github.io/osv-schema/) as far as Palisade reads it, and the
// validation at the edge: a record that breaks the shape is rejected whole with a reason.

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  events: OsvEvent[];
  repo?: string;
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

export interface OsvAffected {
  package?: OsvPackage;
  ranges?: OsvRange[];
  versions?: string[];
  severity?: OsvSeverity[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvReference {
  type?: string;
  url: string;
}

export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: OsvReference[];
  database_specific?: Record<string, unknown>;
}

/** Why a record was rejected; the importer turns it into a warning naming the file. */
export class OsvFormatError extends Error {
  override name = 'OsvFormatError';
}

const EVENT_KEYS = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, problem: string): never {
  throw new OsvFormatError(`${where}: ${problem}`);
}

function optionalString(obj: Record<string, unknown>, key: string, where: string): void {
  if (obj[key] !== undefined && typeof obj[key] !== 'string') fail(`${where}.${key}`, 'not a string');
}

function optionalStringArray(obj: Record<string, unknown>, key: string, where: string): void {
  const v = obj[key];
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(`${where}.${key}`, 'not an array of strings');
}

function optionalObject(obj: Record<string, unknown>, key: string, where: string): void {
  if (obj[key] !== undefined && !isObject(obj[key])) fail(`${where}.${key}`, 'not an object');
}

function checkSeverities(v: unknown, where: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) fail(where, 'not an array');
  v.forEach((s, i) => {
    if (!isObject(s) || typeof s.type !== 'string' || typeof s.score !== 'string') {
      fail(`${where}[${i}]`, 'needs string "type" and "score"');
    }
  });
}

function checkRange(r: unknown, where: string): void {
  if (!isObject(r)) fail(where, 'not an object');
  if (typeof r.type !== 'string') fail(`${where}.type`, 'not a string');
  if (!Array.isArray(r.events)) fail(`${where}.events`, 'not an array');
  r.events.forEach((e, i) => {
    const keys = isObject(e) ? Object.keys(e) : [];
    const key = keys[0];
    if (!isObject(e) || keys.length !== 1 || key === undefined || !EVENT_KEYS.has(key) || typeof e[key] !== 'string') {
      fail(`${where}.events[${i}]`, 'must hold exactly one of introduced, fixed, last_affected, limit as a string');
    }
  });
  optionalString(r, 'repo', where);
}

function checkAffected(a: unknown, where: string): void {
  if (!isObject(a)) fail(where, 'not an object');
  if (a.package !== undefined) {
    const p = a.package;
    if (!isObject(p) || typeof p.ecosystem !== 'string' || typeof p.name !== 'string') {
      fail(`${where}.package`, 'needs string "ecosystem" and "name"');
    }
    optionalString(p, 'purl', `${where}.package`);
  }
  if (a.ranges !== undefined) {
    if (!Array.isArray(a.ranges)) fail(`${where}.ranges`, 'not an array');
    a.ranges.forEach((r, i) => {
      checkRange(r, `${where}.ranges[${i}]`);
    });
  }
  optionalStringArray(a, 'versions', where);
  checkSeverities(a.severity, `${where}.severity`);
  optionalObject(a, 'ecosystem_specific', where);
  optionalObject(a, 'database_specific', where);
}

/** Checks a parsed JSON value against the OSV shape; throws OsvFormatError naming the bad field. */
export function parseOsvRecord(value: unknown): OsvRecord {
  if (!isObject(value)) fail('record', 'not a JSON object');
  if (typeof value.id !== 'string' || value.id.length === 0 || value.id.length > 256) {
    fail('id', 'missing or not a string');
  }
  if (typeof value.modified !== 'string' || Number.isNaN(Date.parse(value.modified))) {
    fail('modified', 'missing or not an RFC 3339 time');
  }
  for (const key of ['published', 'withdrawn', 'summary', 'details']) optionalString(value, key, 'record');
  for (const key of ['aliases', 'related']) optionalStringArray(value, key, 'record');
  checkSeverities(value.severity, 'severity');
  optionalObject(value, 'database_specific', 'record');
  if (value.affected !== undefined) {
    if (!Array.isArray(value.affected)) fail('affected', 'not an array');
    value.affected.forEach((a, i) => {
      checkAffected(a, `affected[${i}]`);
    });
  }
  if (value.references !== undefined) {
    if (!Array.isArray(value.references)) fail('references', 'not an array');
    value.references.forEach((r, i) => {
      if (!isObject(r) || typeof r.url !== 'string') fail(`references[${i}]`, 'needs a string "url"');
    });
  }
  return value as unknown as OsvRecord;
}
