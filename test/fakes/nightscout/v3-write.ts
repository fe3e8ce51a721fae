import type { Grant } from './auth.js';
import type { NsContext } from './context.js';
import { floorSeconds, httpDate } from './dates.js';
import { header, json, v3Status, type NsRequest, type Reply } from './http.js';
import { fallbackKey, type Collection, type Doc } from './store.js';
import {
  demand,
  findByIdentifier,
  findForOne,
  immutableViolation,
  isEmptyBody,
  isReadOnly,
  parseDocDate,
  resolveIdentifier,
  toV3,
  validateCommon,
} from './v3-common.js';

/** v3 CREATE / PUT / PATCH / DELETE (nightscout-api.md §2.4–2.5). */

interface WriteCtx {
  ctx: NsContext;
  req: NsRequest;
  col: Collection;
  grant: Grant;
}

const location = (w: WriteCtx, identifier: string): string => `/api/v3/${w.col.name}/${identifier}`;

function insert(w: WriteCtx, doc: Record<string, unknown>): Reply {
  const denied = demand(w.ctx, w.grant, `api:${w.col.name}:create`);
  if (denied) return denied;
  if (typeof doc.identifier !== 'string' || doc.identifier === '') return v3Status(400, 'Bad or missing identifier field');
  const invalid = validateCommon(doc);
  if (invalid) return invalid;
  const now = w.ctx.now();
  doc.srvModified = now;
  doc.srvCreated = now;
  if (w.grant.subject) doc.subject = w.grant.subject.name;
  w.col.insert(doc);
  w.ctx.counters.created[w.col.name]++;
  return json(
    201,
    { status: 201, identifier: doc.identifier, lastModified: now },
    { 'Last-Modified': httpDate(now), Location: location(w, doc.identifier) },
  );
}

function replace(w: WriteCtx, doc: Record<string, unknown>, stored: Doc, isDeduplication: boolean): Reply {
  const denied = demand(w.ctx, w.grant, `api:${w.col.name}:update`);
  if (denied) return denied;
  const storageDoc = toV3(stored);
  if (isReadOnly(storageDoc)) return v3Status(422, 'Trying to modify read-only document');
  const invalid = immutableViolation(doc, storageDoc, { isDeduplication }) ?? validateCommon(doc);
  if (invalid) return invalid;
  const now = w.ctx.now();
  doc.srvModified = now;
  doc.srvCreated = storageDoc.srvCreated || now;
  if (w.grant.subject) doc.subject = w.grant.subject.name;
  w.col.replace(stored, doc);
  if (isDeduplication) w.ctx.counters.deduplicated[w.col.name]++;
  const headers: Record<string, string> = { 'Last-Modified': httpDate(now) };
  const body: Record<string, unknown> = { status: 200, lastModified: now };
  if (storageDoc.identifier !== doc.identifier || isDeduplication) {
    headers.Location = location(w, String(doc.identifier));
    body.identifier = doc.identifier;
    body.isDeduplication = true;
    if (storageDoc.identifier !== doc.identifier) body.deduplicatedIdentifier = storageDoc.identifier;
  }
  return json(200, body, headers);
}

/** Existing doc by identifier, by v1 `_id`, then fallback dedup against identifier-less docs only. */
function findExisting(col: Collection, doc: Record<string, unknown>): Doc | undefined {
  const direct = findByIdentifier(col, doc.identifier);
  if (direct) return direct;
  const k = fallbackKey(col.name, doc);
  return k === undefined ? undefined : col.lookup('fallback', k)[0];
}

export function create(w: WriteCtx, body: unknown): Reply {
  if (isEmptyBody(body)) return v3Status(400, 'Bad or missing request body');
  if (Array.isArray(body)) {
    // The server treats the array as one document without a date.
    return demand(w.ctx, w.grant, `api:${w.col.name}:create`) ?? v3Status(400, 'Bad or missing date field');
  }
  const doc = structuredClone(body) as Record<string, unknown>;
  parseDocDate(doc);
  resolveIdentifier(doc);
  const existing = findExisting(w.col, doc);
  return existing ? replace(w, doc, existing, true) : insert(w, doc);
}

function unmodifiedSinceFails(req: NsRequest, stored: Doc): boolean {
  const since = header(req, 'if-unmodified-since');
  if (!since || typeof stored.srvModified !== 'number') return false;
  return floorSeconds(new Date(since).getTime()) < floorSeconds(stored.srvModified);
}

export function put(w: WriteCtx, identifier: string, body: unknown): Reply {
  if (isEmptyBody(body) || Array.isArray(body)) return v3Status(400, 'Bad or missing request body');
  const doc = structuredClone(body) as Record<string, unknown>;
  parseDocDate(doc);
  doc.identifier = identifier;
  const stored = findByIdentifier(w.col, identifier);
  if (!stored) return insert(w, doc);
  const denied = demand(w.ctx, w.grant, `api:${w.col.name}:update`);
  if (denied) return denied;
  if (stored.isValid === false) return v3Status(410);
  if (unmodifiedSinceFails(w.req, stored)) return v3Status(412);
  return replace(w, doc, stored, false);
}

export function patch(w: WriteCtx, identifier: string, body: unknown): Reply {
  const denied = demand(w.ctx, w.grant, `api:${w.col.name}:update`);
  if (denied) return denied;
  if (isEmptyBody(body) || Array.isArray(body)) return v3Status(400, 'Bad or missing request body');
  const doc = structuredClone(body) as Record<string, unknown>;
  const stored = findForOne(w.col, identifier);
  if (!stored) return v3Status(404);
  if (stored.isValid === false) return v3Status(410);
  if (unmodifiedSinceFails(w.req, stored)) return v3Status(412);
  const storageDoc = toV3(stored);
  if (isReadOnly(storageDoc)) return v3Status(422, 'Trying to modify read-only document');
  const invalid = immutableViolation(doc, storageDoc, { isDeduplication: false }) ?? validateCommon(doc, true);
  if (invalid) return invalid;
  const now = w.ctx.now();
  doc.srvModified = now;
  if (w.grant.subject) doc.modifiedBy = w.grant.subject.name;
  w.col.merge(stored, doc);
  return json(200, { status: 200 }, { 'Last-Modified': httpDate(now) });
}

export function remove(w: WriteCtx, identifier: string): Reply {
  const denied = demand(w.ctx, w.grant, `api:${w.col.name}:delete`);
  if (denied) return denied;
  const stored = findForOne(w.col, identifier);
  if (!stored) return v3Status(404);
  if (w.req.query.get('permanent') === 'true') {
    w.col.remove(stored);
    return json(200, { status: 200 });
  }
  if (isReadOnly(stored)) return v3Status(422, 'Trying to modify read-only document');
  const changes: Record<string, unknown> = { isValid: false, srvModified: w.ctx.now() };
  if (w.grant.subject) changes.modifiedBy = w.grant.subject.name;
  w.col.merge(stored, changes);
  return json(200, { status: 200 });
}

export type { WriteCtx };
