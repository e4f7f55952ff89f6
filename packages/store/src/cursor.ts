// Keyset ("cursor") pagination shared by every list: an opaque cursor holds the last row's sort
// value and id, so the next page starts strictly after it whatever was inserted meanwhile.

import { InputError } from '@palisade/core';
import { type SelectQueryBuilder, sql } from 'kysely';

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

type CursorValue = string | number;

export function encodeCursor(sortValue: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [CursorValue, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InputError(`cursor "${cursor.slice(0, 40)}" is not a cursor this server issued`);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !(typeof parsed[0] === 'string' || typeof parsed[0] === 'number') ||
    typeof parsed[1] !== 'string'
  ) {
    throw new InputError(`cursor "${cursor.slice(0, 40)}" is not a cursor this server issued`);
  }
  return [parsed[0], parsed[1]];
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError(`limit ${limit} is out of range (1..${MAX_PAGE_SIZE})`);
  }
  return limit;
}

export interface KeysetSpec {
  /** Qualified column to sort by, e.g. "findings.last_seen". */
  sortColumn: string;
  /** Unique tie-breaker column, e.g. "findings.id". */
  idColumn: string;
  direction: 'asc' | 'desc';
  limit: number;
  cursor?: string;
  /** The sort column holds numbers: a cursor carrying anything else is refused, not sent to SQL. */
  numeric?: boolean;
}

/** Orders by (sort, id), starts after the cursor and fetches one extra row to know if more exist. */
export function applyKeyset<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  spec: KeysetSpec,
): SelectQueryBuilder<DB, TB, O> {
  const sort = sql.ref(spec.sortColumn);
  const id = sql.ref(spec.idColumn);
  const op = spec.direction === 'asc' ? '>' : '<';
  let q = qb;
  if (spec.cursor) {
    const [value, lastId] = decodeCursor(spec.cursor);
    if ((typeof value === 'number') !== Boolean(spec.numeric)) {
      throw new InputError(`cursor "${spec.cursor.slice(0, 40)}" does not belong to this sort order`);
    }
    q = q.where(
      sql<boolean>`(${sort} ${sql.raw(op)} ${value} or (${sort} = ${value} and ${id} ${sql.raw(op)} ${lastId}))`,
    );
  }
  return q
    .orderBy(sort, spec.direction)
    .orderBy(id, spec.direction)
    .limit(spec.limit + 1);
}

/** Cuts the extra row fetched by applyKeyset and builds the next cursor from the last kept row. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  key: (row: R) => [CursorValue, string],
  map: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const page: Page<T> = { items: kept.map(map) };
  const last = kept[kept.length - 1];
  if (more && last !== undefined) page.nextCursor = encodeCursor(...key(last));
  return page;
}
