import type { Grant } from './auth.js';
import type { NsContext } from './context.js';
import { floorSeconds, httpDate } from './dates.js';
import { header, json, v3Status, type NsRequest, type Reply } from './http.js';
import { normalizeTreatmentDuration } from './duration.js';
import { matches, sortDocs, type Condition, type Op } from './query.js';
import { DEDUP_FALLBACK_FIELDS, fallbackKey, type Collection, type Doc } from './store.js';
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

/** v3 CREATE / PUT / PATCH / DELETE. */

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
  normalizeTreatmentDuration(doc);
  w.col.replace(stored, doc);
  if (isDeduplication) w.ctx.counters.deduplicated[w.col.name]++;
  const headers: Record<string, string> = { 'Last-Modified': httpDate(now) };
  const body: Record<string, unknown> = { status: 200, lastModified: now };
  if (storageDoc.identifier !== doc.identifier || isDeduplication) {
    // The Location path is joined from the identifier; a non-string one throws after the replace.
    if (typeof doc.identifier !== 'string') return v3Status(500, 'Database error');
    headers.Location = location(w, String(doc.identifier));
    body.identifier = doc.identifier;
    body.isDeduplication = true;
    if (storageDoc.identifier !== doc.identifier) body.deduplicatedIdentifier = storageDoc.identifier;
  }
  return json(200, body, headers);
}

const MONGO_OPS: readonly string[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$exists'];

const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

/** `{path: value}` as Mongo reads a filter: an object of `$` operators is a condition, anything else equality. */
function conditionsFor(path: string, value: unknown): Condition[] {
  if (!isOperatorObject(value)) return [{ path, op: '$eq', value }];
  return Object.entries(value).map(([op, v]) => {
    // Mongo refuses the query: the create answers its generic storage 500.
    if (!MONGO_OPS.includes(op)) throw new Error(`unknown operator: ${op}`);
    return { path, op: op as Op, value: v };
  });
}

/**
 * `identifyingFilter`, as a scan: the body's identifier and fallback fields go into the filter
 * unchanged, so an object value there (`{"$ne": null}`) is a query operator. Documents with an
 * identifier come first, as the server sorts them.
 */
function findByFilter(col: Collection, doc: Record<string, unknown>): Doc | undefined {
  const alternatives: Condition[][] = [];
  if (doc.identifier) {
    alternatives.push(conditionsFor('identifier', doc.identifier));
    if (typeof doc.identifier === 'string' && /^[0-9a-fA-F]{24}$/.test(doc.identifier)) {
      alternatives.push([{ path: 'identifier', op: '$exists', value: false }, { path: '_id', op: '$eq', value: doc.identifier }]);
    }
  }
  const fields = DEDUP_FALLBACK_FIELDS[col.name];
  if (fields.length > 0 && fields.every((f) => doc[f] !== undefined)) {
    alternatives.push([...fields.flatMap((f) => conditionsFor(f, doc[f])), { path: 'identifier', op: '$exists', value: false }]);
  }
  return sortDocs(col.all().filter((d) => alternatives.some((a) => matches(d, a))), [['identifier', -1]])[0];
}

/** Existing doc by identifier, by v1 `_id`, then fallback dedup against identifier-less docs only. */
function findExisting(col: Collection, doc: Record<string, unknown>): Doc | undefined {
  const keys = [doc.identifier, ...DEDUP_FALLBACK_FIELDS[col.name].map((f) => doc[f])];
  // Plain values use the indexes; an object (hostile, or a Mongo operator) needs the query's semantics.
  if (keys.some((v) => typeof v === 'object' && v !== null)) return findByFilter(col, doc);
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
  normalizeTreatmentDuration(doc, storageDoc);
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
