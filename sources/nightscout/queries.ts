import type { Collection } from '../../lib/domain.js';
import type { Api, NightscoutRequest } from '../../lib/nightscout/client.js';
import type { FetchWindow } from '../../lib/contracts/source.js';

/**
 * The read requests, as data. A document is found by its `date` (epoch ms) or its `created_at`
 * (ISO string): v1-written treatments and device statuses usually have no `date`, and v1 can
 * filter treatments and device statuses only by `created_at` (cgm-remote-monitor #8151).
 */

export type CursorField = 'date' | 'created_at';
export type CursorValue = number | string;

/** The fields a collection is searched by, in order; every document turns up under at least one. */
export function cursorFields(collection: Collection, api: Api): readonly CursorField[] {
  if (collection === 'entries') return ['date'];
  return api === 'v3' ? ['date', 'created_at'] : ['created_at'];
}

/** The window's bounds in the field's own form. */
export function bounds(field: CursorField, window: FetchWindow): { from: CursorValue; to: CursorValue } {
  if (field === 'date') return { from: window.fromMs, to: window.toMs };
  return { from: new Date(window.fromMs).toISOString(), to: new Date(window.toMs).toISOString() };
}

/** Whether a value lies at or before the window's end (ISO strings compare as the server compares them). */
export function notAfter(value: CursorValue, field: CursorField, window: FetchWindow): boolean {
  return value <= bounds(field, window).to;
}

/** The field's value in a returned document, when it has the type the server compared. */
export function cursorValue(doc: unknown, field: CursorField): CursorValue | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const value = (doc as Record<string, unknown>)[field];
  if (field === 'date') return typeof value === 'number' ? value : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Where the next ascending page starts: at the last value seen, skipping the documents with
 * that value already read. `$gt last` would lose the rest of a tie that straddles two pages.
 */
export interface AscendingCursor {
  value: CursorValue;
  skip: number;
}

/**
 * API v3 search, oldest first: `GET /api/v3/{col}?date$gt=…&sort=date&limit=N`. No upper bound in
 * the query: Nightscout keeps one operator per field (the last one in the query wins, so
 * `date$gt=…&date$lte=…` is read as `date$lte=…` alone); the reader drops what lies past the window.
 */
export function v3Page(collection: Collection, field: CursorField, window: FetchWindow, limit: number, cursor?: AscendingCursor): NightscoutRequest {
  const { from } = bounds(field, window);
  const lower = cursor ? { [`${field}$gte`]: cursor.value } : { [`${field}$gt`]: from };
  const query: Record<string, string | number> = { ...lower, sort: field, limit };
  if (cursor && cursor.skip > 0) query.skip = cursor.skip;
  return { method: 'GET', path: `/api/v3/${collection}`, query };
}

/**
 * API v1, which answers newest first and has no `skip`: each next page ends (`$lte`,
 * inclusive, so a tie is read again rather than lost) at the oldest value of the previous one.
 */
export function v1Page(collection: Collection, field: CursorField, window: FetchWindow, count: number, upTo?: CursorValue): NightscoutRequest {
  const { from, to } = bounds(field, window);
  return {
    method: 'GET',
    path: `/api/v1/${collection}.json`,
    query: { [`find[${field}][$gt]`]: from, [`find[${field}][$lte]`]: upTo ?? to, count },
  };
}
