import type { Grant } from './auth.js';
import { SERVER_VERSION, type NsContext } from './context.js';
import { header, json, type NsRequest, type Reply } from './http.js';
import { permits } from './permissions.js';
import { matches, sortDocs, type Condition } from './query.js';
import type { Collection, Doc } from './store.js';
import { buildFind, countParam, DEFAULT_WALKER, ENTRIES_WALKER, hasFind, TREATMENTS_WALKER } from './v1-query.js';

/** v1 reads, `status.json` and `verifyauth`. */

function list(col: Collection, conditions: Condition[], sortField: string, count: number): Doc[] {
  const found = sortDocs(
    col.all().filter((d) => matches(d, conditions)),
    [[sortField, -1]],
  );
  // Mongo's limit(0) means no limit.
  return (count > 0 ? found.slice(0, count) : found).map((d) => structuredClone(d));
}

export function wantsJson(req: NsRequest): boolean {
  return req.path.endsWith('.json') || /json/i.test(header(req, 'accept') ?? '');
}

/** The v1 text format: each of dateString, date, sgv, direction, device JSON-encoded (null as `""`, missing as nothing), tab-separated, CRLF between lines. */
function tsv(docs: Doc[]): string {
  const field = (v: unknown): string => (v === undefined ? '' : v === null ? '""' : JSON.stringify(v));
  return docs.map((d) => [d.dateString, d.date, d.sgv, d.direction, d.device].map(field).join('\t')).join('\r\n');
}

/** `Last-Modified` is the newest listed entry's date; `If-Modified-Since` at or after it is a 304. */
function entriesReply(req: NsRequest, docs: Doc[]): Reply {
  const headers: Record<string, string> = {};
  const newest = docs[0]?.date;
  if (newest !== undefined && newest !== null && newest !== '' && newest !== 0) {
    const lastModified = new Date(newest as number | string);
    headers['Last-Modified'] = lastModified.toUTCString();
    const since = header(req, 'if-modified-since');
    if (since !== undefined && lastModified.getTime() <= new Date(since).getTime()) return { status: 304, text: '', headers };
  }
  if (wantsJson(req)) return json(200, docs, headers);
  return { status: 200, text: tsv(docs), contentType: 'text/plain; charset=utf-8', headers };
}

/** `/entries`, `/entries/<type>`, `/entries/current`, `/entries/<_id>`. */
export function listEntries(ctx: NsContext, req: NsRequest, spec?: string): Reply {
  const extra: Condition[] = [];
  let count = countParam(req.query, 10);
  if (spec === 'current') {
    extra.push({ path: 'type', op: '$eq', value: 'sgv' });
    count = countParam(req.query, 1);
  } else if (spec !== undefined && /^[0-9a-fA-F]{24}$/.test(spec)) {
    extra.push({ path: '_id', op: '$eq', value: spec });
  } else if (spec !== undefined) {
    extra.push({ path: 'type', op: '$eq', value: spec });
  }
  const conditions = buildFind(req.query, { walker: ENTRIES_WALKER, dateField: 'date', useEpoch: true, now: ctx.now(), extra });
  return entriesReply(req, list(ctx.store.col('entries'), conditions, 'date', count));
}

export function listTreatments(ctx: NsContext, req: NsRequest): Reply {
  const count = countParam(req.query, hasFind(req.query) ? 1000 : 100);
  const conditions = buildFind(req.query, { walker: TREATMENTS_WALKER, dateField: 'created_at', useEpoch: false, now: ctx.now() });
  // The server forces these through Number() on the way out, so absent ones read back as null.
  const docs = list(ctx.store.col('treatments'), conditions, 'created_at', count).map((d) => ({
    ...d,
    insulin: Number(d.insulin),
    carbs: Number(d.carbs),
  }));
  return json(200, docs);
}

export function listDeviceStatus(ctx: NsContext, req: NsRequest): Reply {
  const count = countParam(req.query, 10);
  const conditions = buildFind(req.query, { walker: DEFAULT_WALKER, dateField: 'created_at', useEpoch: false, now: ctx.now() });
  return json(200, list(ctx.store.col('devicestatus'), conditions, 'created_at', count));
}

export function statusJson(ctx: NsContext, req: NsRequest): Reply {
  const now = ctx.now();
  const token = req.query.get('token');
  return json(200, {
    status: 'ok',
    name: 'nightscout',
    version: SERVER_VERSION[ctx.mode.version],
    serverTime: new Date(now).toISOString(),
    serverTimeEpoch: now,
    apiEnabled: true,
    careportalEnabled: true,
    boluscalcEnabled: false,
    settings: { units: 'mg/dl', timeFormat: 12, authDefaultRoles: ctx.auth.defaultRolesSetting(), enable: ['careportal', 'iob', 'cob', 'basal'] },
    extendedSettings: {},
    authorized: token ? ctx.auth.issueJwt(token) : null,
    runtimeState: 'loaded',
  });
}

export function verifyAuth(grant: Grant): Reply {
  const ok = !grant.failed;
  const canRead = ok && permits(grant.permissions, '*:*:read');
  const canWrite = ok && permits(grant.permissions, '*:*:write');
  const isAdmin = ok && permits(grant.permissions, '*:*:admin');
  // A wrong credential resolves to nothing at all: not the default roles, and not "DEFAULT" either.
  const defaults = grant.kind === 'none' && !grant.failed;
  return json(200, {
    status: 200,
    message: {
      canRead,
      canWrite,
      isAdmin,
      message: canRead && !defaults ? 'OK' : 'UNAUTHORIZED',
      rolefound: grant.subject ? 'FOUND' : 'NOTFOUND',
      permissions: defaults ? 'DEFAULT' : 'ROLE',
    },
  });
}
