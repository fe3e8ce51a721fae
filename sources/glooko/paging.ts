import type { CookieJar } from 'tough-cookie';
import type { GlookoClient } from './client.js';
import { glkError } from './errors.js';
import type { Endpoint } from './regions.js';
import { dataAnswer } from './responses.js';

/**
 * Glooko's v2 sync feeds: records updated after the cursor
 * `(lastUpdatedAt, lastGuid)`, 500 a page, each page naming the next cursor, until `lastPage`.
 * A cursor that does not move (or comes back) would page forever: that is an error, not a loop.
 */

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
export const PAGE_LIMIT = 500;
/** nightscout-connect's safety limit per feed and poll. */
export const MAX_PAGES = 200;

export interface Feed {
  /** The response's collection key, e.g. `normalBoluses`. */
  key: string;
  path: string;
}

export interface Cursor {
  /** Real UTC, ISO. */
  lastUpdatedAt: string;
  lastGuid: string;
}

export interface FeedRead {
  endpoint: Endpoint;
  jar: CookieJar;
  glookoCode: string;
  /** Where paging starts. */
  from: Cursor;
  /** Extra parameters (the CGM feed's `startDate`). */
  extra?: Record<string, string>;
  nowMs: () => number;
  signal: AbortSignal;
}

/** Every record of `feed` updated after `read.from`, in the order served; `undefined` if the account has no such feed (404). */
export async function readFeed(client: GlookoClient, feed: Feed, read: FeedRead): Promise<unknown[] | undefined> {
  const records: unknown[] = [];
  const seen = new Set<string>();
  let cursor = read.from;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const params = {
      patient: read.glookoCode,
      lastUpdatedAt: cursor.lastUpdatedAt,
      lastGuid: cursor.lastGuid,
      limit: String(PAGE_LIMIT),
      sendSoftDeleted: 'false',
      allDevicesFlag: 'true',
      ...read.extra,
    };
    const body = dataAnswer(await client.feedPage(read.endpoint, read.jar, feed.path, params, read.signal), read.nowMs());
    if (body === undefined) return page === 1 ? undefined : records;
    const rows = body[feed.key];
    if (!Array.isArray(rows)) throw glkError('GLK016', { params: { feed: feed.key, where: `${feed.key}: not a list` } });
    records.push(...(rows as unknown[]));
    if (body.lastPage === true || (rows.length === 0 && body.lastPage !== false)) return records;
    // A legacy answer without `lastPage`: a short page is the last one.
    if (body.lastPage === undefined && rows.length < PAGE_LIMIT) return records;
    const next = { lastUpdatedAt: body.lastUpdatedAt, lastGuid: body.lastGuid };
    const key = `${String(next.lastUpdatedAt)}|${String(next.lastGuid)}`;
    if (typeof next.lastUpdatedAt !== 'string' || typeof next.lastGuid !== 'string' || key === `${cursor.lastUpdatedAt}|${cursor.lastGuid}` || seen.has(key)) {
      throw glkError('GLK014', { params: { feed: feed.key, cursor: `${String(next.lastUpdatedAt)} / ${String(next.lastGuid)}` } });
    }
    seen.add(key);
    cursor = { lastUpdatedAt: next.lastUpdatedAt, lastGuid: next.lastGuid };
  }
  throw glkError('GLK015', { params: { feed: feed.key, pages: MAX_PAGES } });
}
