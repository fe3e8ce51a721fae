import type { Collection } from '../../lib/domain.js';
import type { Api, NightscoutClient, NightscoutRequest } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { excerpt, responseCause, type WireResponse } from '../../lib/wire.js';
import type { FetchWindow } from '../../lib/contracts/source.js';
import { nssError } from './errors.js';
import { cursorFields, cursorValue, notAfter, v1Page, v3Page, type AscendingCursor, type CursorField, type CursorValue } from './queries.js';
import { firstIssue, v1PageSchema, v3PageSchema, type ReadAnswer } from './wire.js';

/**
 * Reads every document of a window, page by page, until the window is covered: a window with
 * more documents than one page (a first run back-fills weeks) must arrive whole, and a document
 * that two pages both return must arrive once.
 */

/** Below API v3's default `API3_MAX_LIMIT` (1000); device statuses can be tens of KB each. */
export const PAGE_SIZE = 500;
/** A server that ignores the filters would otherwise be paged forever. */
export const MAX_PAGES = 200;

export interface ReadOptions {
  client: NightscoutClient;
  pageSize: number;
}

interface Query {
  options: ReadOptions;
  api: Api;
  collection: Collection;
  field: CursorField;
  window: FetchWindow;
  signal: AbortSignal;
}

function message(response: WireResponse): string {
  const body = response.json as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : excerpt(response.text) || 'no message';
}

async function readPage(query: Query, request: NightscoutRequest): Promise<unknown[]> {
  const response = await query.options.client.request(query.api, request, query.signal);
  const cause = responseCause(response);
  if (response.httpStatus !== 200) {
    const params = { what: response.what, status: response.httpStatus, reason: message(response), limit: query.options.pageSize };
    throw nssError('NSS002', { params, status: response.httpStatus, cause });
  }
  if (response.json === undefined) {
    throw nsError('NS008', { params: { site: query.options.client.site.names.site, what: response.what, reason: 'not JSON' }, status: 200, cause });
  }
  const parsed = (query.api === 'v3' ? v3PageSchema : v1PageSchema).safeParse(response.json);
  if (!parsed.success) {
    throw nssError('NSS001', { params: { what: response.what, collection: query.collection, reason: firstIssue(parsed.error) }, cause });
  }
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.result;
}

/** The source's own identity of a document: v3 `identifier` (the `_id` hex for v1 documents) or v1 `_id`. */
function sourceKey(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { identifier, _id: id } = doc as Record<string, unknown>;
  if (typeof identifier === 'string') return identifier;
  return typeof id === 'string' ? id : undefined;
}

/** Collects documents once each; documents without any identity cannot be recognised and are all kept. */
class Collected {
  readonly documents: unknown[] = [];
  readonly #seen = new Set<string>();

  /** How many of `docs` were new. */
  add(docs: readonly unknown[]): number {
    let fresh = 0;
    for (const doc of docs) {
      const key = sourceKey(doc);
      if (key !== undefined) {
        if (this.#seen.has(key)) continue;
        this.#seen.add(key);
      }
      this.documents.push(doc);
      fresh += 1;
    }
    return fresh;
  }
}

function stuck(query: Query, reason: string): Error {
  return nssError('NSS003', { params: { what: `the ${query.collection} by ${query.field}`, reason } });
}

function lastValue(query: Query, docs: readonly unknown[]): CursorValue {
  const value = cursorValue(docs[docs.length - 1], query.field);
  if (value === undefined) throw stuck(query, `a returned document has no ${query.field}`);
  return value;
}

/** API v3: oldest first, each next page from the last value with the tie already read skipped. */
async function readAscending(query: Query, into: Collected): Promise<void> {
  const { pageSize } = query.options;
  let cursor: AscendingCursor | undefined;
  let tie = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const docs = await readPage(query, v3Page(query.collection, query.field, query.window, pageSize, cursor));
    // Oldest first: the first document past the window's end ends the read.
    const within = docs.filter((d) => {
      const value = cursorValue(d, query.field);
      return value === undefined || notAfter(value, query.field, query.window);
    });
    const fresh = into.add(within);
    if (docs.length < pageSize || within.length < docs.length) return;
    if (fresh === 0) throw stuck(query, 'a full page brought no new document');
    const value = lastValue(query, docs);
    const sameOnPage = docs.filter((d) => cursorValue(d, query.field) === value).length;
    tie = cursor?.value === value ? tie + sameOnPage : sameOnPage;
    cursor = { value, skip: tie };
  }
  throw stuck(query, `more than ${MAX_PAGES} pages of ${pageSize}`);
}

/** API v1: newest first, each next page up to (and including) the oldest value of the last one. */
async function readNewestFirst(query: Query, into: Collected): Promise<void> {
  const { pageSize } = query.options;
  let upTo: CursorValue | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const docs = await readPage(query, v1Page(query.collection, query.field, query.window, pageSize, upTo));
    const fresh = into.add(docs);
    if (docs.length < pageSize) return;
    upTo = lastValue(query, docs);
    if (fresh === 0) throw stuck(query, `more than ${pageSize} documents have ${query.field} ${String(upTo)}`);
  }
  throw stuck(query, `more than ${MAX_PAGES} pages of ${pageSize}`);
}

/** Every document of `collection` in the window, found by each of its cursor fields, each once. */
export async function readCollection(options: ReadOptions, api: Api, collection: Collection, window: FetchWindow, signal: AbortSignal): Promise<ReadAnswer> {
  const into = new Collected();
  for (const field of cursorFields(collection, api)) {
    const query: Query = { options, api, collection, field, window, signal };
    await (api === 'v3' ? readAscending(query, into) : readNewestFirst(query, into));
  }
  return { collection, api, documents: into.documents };
}
