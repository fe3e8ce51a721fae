import type { Grant } from './auth.js';
import { API3_MAX_LIMIT, API3_VERSION, SERVER_VERSION, type NsContext } from './context.js';
import { floorSeconds, httpDate, isNumberInString, parseV3Date } from './dates.js';
import { header, json, v3Status, type NsRequest, type Reply } from './http.js';
import { permits } from './permissions.js';
import { compareValues, matches, pruneToFields, sortDocs, type Condition, type Op, type SortSpec } from './query.js';
import { COLLECTIONS, type Collection } from './store.js';
import { demand, fieldsParam, findForOne, resolveDates, toV3 } from './v3-common.js';

/** v3 SEARCH / READ / HISTORY and the collection-independent endpoints. */

const RESERVED = ['token', 'sort', 'sort$desc', 'limit', 'skip', 'fields', 'now'];
const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 're'];

/** `search/input.parseValue`. */
export function parseValue(field: string, raw: string): unknown {
  let value: unknown = isNumberInString(raw) ? parseFloat(raw) : raw;
  if (value === 'true') value = true;
  if (value === 'false') value = false;
  if (typeof value === 'string' && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
  if (['date', 'srvModified', 'srvCreated'].includes(field)) {
    const m = parseV3Date(value);
    if (m) value = m.ms;
  }
  if (field === 'created_at') {
    const m = parseV3Date(value);
    if (m) value = new Date(m.ms).toISOString();
  }
  return value;
}

/**
 * The server builds its Mongo filter as an object keyed by field, so a second condition on the
 * same field replaces the first: `date$gt=a&date$lte=b` filters by `date$lte=b` alone.
 */
function parseFilter(req: NsRequest): Condition[] | Reply {
  const conditions = new Map<string, Condition>();
  for (const param of new Set(req.query.keys())) {
    if (RESERVED.includes(param)) continue;
    let field = param;
    let operator = 'eq';
    const match = /(.*)\$([a-zA-Z]+)/.exec(param);
    if (match) {
      field = match[1]!;
      operator = match[2]!;
      if (!OPERATORS.includes(operator)) return v3Status(400, `Unsupported filter operator ${operator}`);
    }
    const value = parseValue(field, req.query.getAll(param).at(-1)!);
    conditions.delete(field);
    if (operator === 'in' || operator === 'nin') {
      conditions.set(field, { path: field, op: `$${operator}`, value: String(value).split('|') });
    } else if (operator === 're') {
      conditions.set(field, { path: field, op: '$regex', value: String(value) });
    } else {
      conditions.set(field, { path: field, op: `$${operator}` as Op, value });
    }
  }
  return [...conditions.values()];
}

function parseSort(req: NsRequest): SortSpec | Reply {
  const asc = req.query.get('sort');
  const desc = req.query.get('sort$desc');
  if (asc && desc) return v3Status(400, 'Parameters sort and sort_desc cannot be combined');
  const direction = desc ? -1 : 1;
  const fields = [desc || asc, 'identifier', 'created_at', 'date'].filter((f): f is string => !!f);
  return [...new Set(fields)].map((f) => [f, direction] as [string, 1 | -1]);
}

export function parseLimit(req: NsRequest): number | Reply {
  const raw = req.query.get('limit');
  if (!raw) return API3_MAX_LIMIT;
  const n = Number(raw);
  if (!Number.isNaN(n) && n > 0 && n <= API3_MAX_LIMIT) return parseInt(raw, 10);
  return v3Status(400, 'Parameter limit out of tolerance');
}

function parseSkip(req: NsRequest): number | Reply {
  const raw = req.query.get('skip');
  if (!raw) return 0;
  const n = Number(raw);
  if (!Number.isNaN(n) && n >= 0) return parseInt(raw, 10);
  return v3Status(400, 'Parameter skip out of tolerance');
}

const isReplyValue = (x: unknown): x is Reply => typeof x === 'object' && x !== null && !Array.isArray(x) && 'status' in x;

function demandRead(ctx: NsContext, grant: Grant, col: Collection): Reply | undefined {
  return demand(ctx, grant, col.name === 'settings' ? 'api:settings:admin' : `api:${col.name}:read`);
}

export function search(ctx: NsContext, req: NsRequest, grant: Grant, col: Collection): Reply {
  const denied = demandRead(ctx, grant, col);
  if (denied) return denied;
  const parsed = parseFilter(req);
  if (isReplyValue(parsed)) return parsed;
  // The server then sets its own `isValid: {$ne: false}`, over any isValid filter of the client.
  const filter = parsed.filter((c) => c.path !== 'isValid');
  const sort = parseSort(req);
  if (isReplyValue(sort)) return sort;
  const limit = parseLimit(req);
  if (typeof limit !== 'number') return limit;
  const skip = parseSkip(req);
  if (typeof skip !== 'number') return skip;
  const fields = fieldsParam(req);
  const found = sortDocs(
    col.all().filter((d) => d.isValid !== false && matches(d, filter)),
    sort,
  ).slice(skip, skip + limit);
  const result = found.map((d) => {
    const out = toV3(d);
    resolveDates(col.name, out);
    if (fields) pruneToFields(out, fields);
    return out;
  });
  return json(200, { status: 200, result });
}

export function read(ctx: NsContext, req: NsRequest, grant: Grant, col: Collection, identifier: string): Reply {
  const denied = demandRead(ctx, grant, col);
  if (denied) return denied;
  const stored = findForOne(col, identifier);
  if (!stored) return v3Status(404);
  if (stored.isValid === false) return v3Status(410);
  const doc = toV3(stored);
  const modified = resolveDates(col.name, doc);
  const headers: Record<string, string> = {};
  if (modified !== undefined) {
    headers['Last-Modified'] = httpDate(modified);
    const since = header(req, 'if-modified-since');
    if (since && floorSeconds(modified) <= floorSeconds(new Date(since).getTime())) return { status: 304, text: '', headers };
  }
  const fields = fieldsParam(req);
  if (fields) pruneToFields(doc, fields);
  return json(200, { status: 200, result: doc }, headers);
}

export function history(ctx: NsContext, req: NsRequest, grant: Grant, col: Collection, lastModifiedParam?: string): Reply {
  const denied = demandRead(ctx, grant, col);
  if (denied) return denied;
  let condition: Condition;
  if (lastModifiedParam) {
    const m = parseV3Date(lastModifiedParam);
    if (m === null) return v3Status(400, 'Bad or missing Last-Modified header/parameter');
    condition = { path: 'srvModified', op: '$gt', value: m.ms };
  } else {
    const lm = header(req, 'last-modified');
    if (!lm) return v3Status(400, 'Bad or missing Last-Modified header/parameter');
    condition = { path: 'srvModified', op: '$gte', value: floorSeconds(new Date(lm).getTime()) };
  }
  const limit = parseLimit(req);
  if (typeof limit !== 'number') return limit;
  const found = sortDocs(
    col.all().filter((d) => matches(d, [condition])),
    [['srvModified', 1]],
  ).slice(0, limit);
  if (found.length === 0) return json(200, { status: 200, result: [] });
  const max = Math.max(...found.map((d) => d.srvModified as number));
  const fields = fieldsParam(req);
  const result = found.map((d) => {
    const out = toV3(d);
    if (fields) pruneToFields(out, fields);
    return out;
  });
  return json(200, { status: 200, result }, { 'Last-Modified': httpDate(max), ETag: `W/"${max}"` });
}

function versionInfo(ctx: NsContext): Record<string, unknown> {
  return {
    version: SERVER_VERSION[ctx.mode.version],
    apiVersion: API3_VERSION,
    srvDate: ctx.now(),
    storage: { storage: 'mongodb', version: '5.0.0' },
  };
}

export const version = (ctx: NsContext): Reply => json(200, { status: 200, result: versionInfo(ctx) });

/** Checks `api:undefined:<action>` like the server (a bug), so only wildcard grants show. */
export function status(ctx: NsContext, grant: Grant): Reply {
  const apiPermissions: Record<string, string> = {};
  for (const name of COLLECTIONS) {
    const letters = (['create', 'read', 'update', 'delete'] as const)
      .filter((action) => permits(grant.permissions, `api:undefined:${action}`))
      .map((a) => a[0])
      .join('');
    if (letters) apiPermissions[name] = letters;
  }
  return json(200, { status: 200, result: { ...versionInfo(ctx), apiPermissions } });
}

function maxOf(col: Collection, field: string): unknown {
  let best: unknown;
  for (const d of col.all()) {
    const v = d[field];
    if (v === undefined || v === null) continue;
    if (best === undefined || compareValues(v, best) > 0) best = v;
  }
  return best;
}

export function lastModified(ctx: NsContext, grant: Grant): Reply {
  const collections: Record<string, number> = {};
  for (const name of COLLECTIONS) {
    if (!permits(grant.permissions, `api:${name}:read`)) continue;
    const col = ctx.store.col(name);
    const srv = maxOf(col, 'srvModified');
    let result = typeof srv === 'number' ? srv : null;
    let fallback = maxOf(col, name === 'entries' ? 'date' : 'created_at');
    if (typeof fallback === 'string') fallback = new Date(fallback).getTime();
    if (typeof fallback === 'number' && !Number.isNaN(fallback) && (result === null || result < fallback)) result = fallback;
    if (result) collections[name] = result;
  }
  return json(200, { status: 200, result: { srvDate: ctx.now(), collections } });
}
