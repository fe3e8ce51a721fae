import { syncIdentifier } from '../../../lib/identity.js';
import type { Grant } from './auth.js';
import type { NsContext } from './context.js';
import { MIN_TIMESTAMP, parseV3Date } from './dates.js';
import { header, v3Status, type NsRequest, type Reply } from './http.js';
import { permits } from './permissions.js';
import type { Collection, CollectionName, Doc } from './store.js';

/** Pieces shared by the v3 operations: auth, date/identifier normalization, validation, doc views. */

export type Outcome<T> = T | Reply;
export const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'status' in x && !('kind' in x);

/** 15.x: `Authorization: Bearer <JWT>` only (any case of "bearer"); 14.2 also `?token=<accessToken>`. */
export async function authenticate(req: NsRequest, ctx: NsContext): Promise<Outcome<Grant>> {
  let token: string | undefined;
  let kind: 'jwt' | 'access-token' = 'jwt';
  const auth = header(req, 'authorization');
  if (auth) {
    const parts = auth.split(' ');
    if (parts.length === 2 && parts[0]!.toLowerCase() === 'bearer') token = parts[1];
  }
  if (token === undefined && ctx.mode.version === '14.2') {
    const q = req.query.get('token');
    if (q) {
      token = q;
      kind = 'access-token';
    }
  }
  if (!token) return v3Status(401, 'Missing or bad access token or JWT');
  await ctx.auth.penalty(req.ip);
  const grant = ctx.auth.resolveV3(token, kind);
  req.meta.auth = kind;
  if (grant.failed) {
    ctx.auth.fail(req.ip);
    return v3Status(401, 'Bad access token or JWT');
  }
  ctx.auth.succeed(req.ip);
  if (grant.subject) req.meta.subject = grant.subject.name;
  return grant;
}

export function demand(ctx: NsContext, grant: Grant, permission: string): Reply | undefined {
  if (permits(grant.permissions, permission)) return undefined;
  ctx.counters.forbidden++;
  return v3Status(403, `Missing permission ${permission}`);
}

/** `collection.parseDate` with created_at fallback on: `date` → ms, `utcOffset` from the zone, `created_at` rewritten. */
export function parseDocDate(doc: Record<string, unknown>): void {
  if (Object.keys(doc).length === 0) return;
  const parsed = parseV3Date([doc.date, doc.created_at]);
  if (parsed === null) return;
  doc.date = parsed.ms;
  if (doc.utcOffset === undefined) doc.utcOffset = parsed.offset;
  doc.created_at = new Date(parsed.ms).toISOString();
}

/** Client identifier kept as is (truthy); otherwise UUIDv5 of `<device>_<date>[_<eventType>]`. */
export function resolveIdentifier(doc: Record<string, unknown>): void {
  if (doc.identifier) return;
  // JS string concatenation on the server: a missing device renders as "undefined".
  const str = (v: unknown): string => `${v as string}`;
  doc.identifier = syncIdentifier({
    device: str(doc.device),
    date: doc.date as number,
    eventType: doc.eventType ? str(doc.eventType) : undefined,
  });
}

export function validateCommon(doc: Record<string, unknown>, patching = false): Reply | undefined {
  if ((!patching || doc.date !== undefined) && (typeof doc.date !== 'number' || doc.date <= MIN_TIMESTAMP)) {
    return v3Status(400, 'Bad or missing date field');
  }
  if (
    (!patching || doc.utcOffset !== undefined) &&
    (typeof doc.utcOffset !== 'number' || doc.utcOffset < -1440 || doc.utcOffset > 1440)
  ) {
    return v3Status(400, 'Bad or missing utcOffset field');
  }
  if ((!patching || doc.app !== undefined) && (typeof doc.app !== 'string' || doc.app === '')) {
    return v3Status(400, 'Bad or missing app field');
  }
  return undefined;
}

export const IMMUTABLE_FIELDS = [
  'identifier',
  'date',
  'utcOffset',
  'eventType',
  'device',
  'app',
  'srvCreated',
  'subject',
  'srvModified',
  'modifiedBy',
  'isValid',
] as const;

export const isReadOnly = (doc: Record<string, unknown>): boolean =>
  doc.isReadOnly === true || doc.readOnly === true || doc.readonly === true;

/** First immutable field the body would change (strict `!==`, as the server compares). */
export function immutableViolation(
  doc: Record<string, unknown>,
  stored: Record<string, unknown>,
  options: { isDeduplication: boolean },
): Reply | undefined {
  if (stored.isValid === false) return undefined;
  for (const field of IMMUTABLE_FIELDS) {
    if (field === 'identifier' && options.isDeduplication) continue;
    if (doc[field] !== undefined && doc[field] !== stored[field]) {
      return v3Status(400, `Field ${field} cannot be modified by the client`);
    }
  }
  return undefined;
}

/** `normalizeDoc`: `identifier` = `_id` for docs without one; `_id` dropped. */
export function toV3(doc: Doc): Record<string, unknown> {
  const out = structuredClone(doc) as Record<string, unknown>;
  if (!out.identifier && out._id != null) out.identifier = out._id;
  delete out._id;
  return out;
}

/** `resolveDates`: virtual `srvModified`/`srvCreated` from `date` (entries) or `created_at` (others). */
export function resolveDates(col: CollectionName, doc: Record<string, unknown>): number | undefined {
  let modified: number | undefined;
  if (doc.srvModified) {
    modified = new Date(doc.srvModified as number).getTime();
  } else {
    const parsed = parseV3Date(col === 'entries' ? doc.date : doc.created_at);
    if (parsed) {
      modified = parsed.ms;
      doc.srvModified = modified;
    }
  }
  if (doc.srvModified && !doc.srvCreated && modified !== undefined) doc.srvCreated = modified;
  return modified;
}

/** `filterForOne`: `identifier == id`, or a v1 doc whose `_id` is `id`. */
export function findForOne(col: Collection, id: string): Doc | undefined {
  const byIdentifier = col.lookup('identifier', id)[0];
  if (byIdentifier) return byIdentifier;
  return col.byId(id);
}

/** `identifyingFilter(identifier)` without fallback: the `_id` form only matches docs without an identifier. */
export function findByIdentifier(col: Collection, id: unknown): Doc | undefined {
  if (!id) return undefined;
  if (typeof id !== 'string') return undefined;
  const byIdentifier = col.lookup('identifier', id)[0];
  if (byIdentifier) return byIdentifier;
  const byId = col.byId(id);
  return byId && byId.identifier === undefined ? byId : undefined;
}

/** `fields=a,b` → those paths; `_all` or absent → everything. */
export function fieldsParam(req: NsRequest): string[] | undefined {
  const f = req.query.get('fields');
  if (!f || f === '_all') return undefined;
  return f.split(',');
}

export const isEmptyBody = (body: unknown): boolean =>
  body === undefined || body === null || typeof body !== 'object' || Object.keys(body).length === 0;
