import { isDeepStrictEqual } from 'node:util';
import type { NsContext } from './context.js';
import { parseV1Date, type ParsedDate } from './dates.js';
import { purifyObject } from './purify.js';
import { v1Key, type Collection, type Doc } from './store.js';

/** v1 write paths and their normalization/dedup rules. */

type Rec = Record<string, unknown>;

const OBJECT_ID_HEX = /^[0-9a-fA-F]{24}$/;
const isRecord = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);

/** 15.0.7 `UUID_HANDLING`: a non-ObjectId string `_id` becomes `identifier` and is dropped. */
function normalizeId(ctx: NsContext, doc: Rec): void {
  if (ctx.mode.version !== '15') return;
  if (typeof doc._id === 'string' && !OBJECT_ID_HEX.test(doc._id)) {
    if (!doc.identifier) doc.identifier = doc._id;
    delete doc._id;
  }
}

/** Body → entries to store: an object counts only if it has a `date` key; arrays are taken whole. Strings are purified. */
export function incomingEntries(body: unknown): Rec[] {
  let incoming: unknown[] = [];
  if (isRecord(body) && 'date' in body) incoming.push(body);
  if (Array.isArray(body) && body.length > 0) incoming = incoming.concat(body);
  const docs = incoming.filter(isRecord).map((d) => structuredClone(d));
  docs.forEach(purifyObject);
  return docs;
}

const MOMENT_UNITS = /^(y|years?|M|months?|d|days?|dates?|D|h|hours?|m|minutes?|s|seconds?|ms|milliseconds?)$/;

/**
 * `moment(date)`: an object is read as date units; one with none of them (a hostile
 * `{"$gt": 0}`) is today's midnight on the server (UTC here). Units themselves are not modelled.
 */
function entryDate(ctx: NsContext, date: unknown): ParsedDate | null {
  if (!isRecord(date)) return parseV1Date(date);
  if (Object.keys(date).some((k) => MOMENT_UNITS.test(k))) return null;
  const now = ctx.now();
  return { ms: now - (now % 86_400_000), offset: 0 };
}

/** `sysTime`/`utcOffset` from `dateString` (zone kept), else `date`, else now; `dateString` rewritten to UTC. */
export function prepareEntry(ctx: NsContext, doc: Rec): Rec {
  normalizeId(ctx, doc);
  let parsed: ParsedDate | null;
  if (doc.dateString) parsed = parseV1Date(doc.dateString);
  else if (doc.date) parsed = entryDate(ctx, doc.date);
  else parsed = { ms: ctx.now(), offset: 0 };
  // An unparseable date gives moment's invalid date: NaN offset, null ISO string.
  doc.utcOffset = parsed ? parsed.offset : NaN;
  doc.sysTime = parsed ? new Date(parsed.ms).toISOString() : null;
  if (doc.dateString) doc.dateString = doc.sysTime;
  return doc;
}

function sameFields(stored: Doc, doc: Rec): boolean {
  return Object.entries(doc).every(([k, v]) => isDeepStrictEqual(stored[k], v));
}

/** Upsert keyed on `{sysTime, type}` ($set-merge in 15.0.7, replace before); unless both are truthy the whole doc is the key. */
export function storeEntry(ctx: NsContext, col: Collection, doc: Rec): Rec {
  const key = v1Key('entries', doc);
  const match = key !== undefined ? col.lookup('v1key', key)[0] : col.all().find((d) => sameFields(d, doc));
  if (match) {
    if (ctx.mode.version === '15') col.merge(match, doc);
    else col.replace(match, doc);
    ctx.counters.deduplicated.entries++;
    return doc;
  }
  const stored = col.insert(doc);
  ctx.counters.created.entries++;
  return { ...doc, _id: stored._id };
}

/** `prepareData`: created_at (default now) to UTC ISO + utcOffset, numeric coercion, falsy deletions. */
export function prepareTreatment(ctx: NsContext, obj: Rec): { created_at: string; preBolusCarbs: unknown } {
  const d = (obj.created_at ? parseV1Date(obj.created_at) : null) ?? { ms: ctx.now(), offset: 0 };
  const results: { created_at: string; preBolusCarbs: unknown } = { created_at: new Date(d.ms).toISOString(), preBolusCarbs: '' };
  obj.utcOffset = d.offset;
  for (const f of ['glucose', 'targetTop', 'targetBottom', 'carbs', 'insulin', 'duration', 'percent', 'absolute', 'relative', 'preBolus']) {
    obj[f] = Number(obj[f]);
  }
  if (obj.eventTime) {
    // `new Date(x).toISOString()` throws on an invalid eventTime → 500, as on the server.
    results.created_at = new Date(obj.eventTime as string).toISOString();
  }
  obj.created_at = results.created_at;
  if (obj.preBolus && obj.carbs) {
    results.preBolusCarbs = obj.carbs;
    delete obj.carbs;
  }
  if (obj.eventType === 'Announcement') obj.isAnnouncement = true;
  delete obj.eventTime;
  for (const f of ['targetTop', 'targetBottom', 'carbs', 'insulin', 'percent', 'relative', 'notes', 'preBolus']) {
    if (!obj[f]) delete obj[f];
  }
  for (const f of ['absolute', 'duration']) if (Number.isNaN(obj[f])) delete obj[f];
  if (obj.glucose === 0 || Number.isNaN(obj.glucose)) {
    delete obj.glucose;
    delete obj.glucoseType;
    delete obj.units;
  }
  return results;
}

/** Replace-upsert: 15.0.7 keys on identifier, then `_id`, then `{created_at, eventType}`; 14.2 always on the latter. */
function upsertTreatment(ctx: NsContext, col: Collection, obj: Rec): Rec {
  let match: Doc | undefined;
  let keepExistingId = false;
  if (ctx.mode.version === '15' && obj.identifier) {
    delete obj._id;
    match = typeof obj.identifier === 'string' ? col.lookup('identifier', obj.identifier)[0] : undefined;
    keepExistingId = true;
  } else if (ctx.mode.version === '15' && obj._id !== undefined && obj._id !== null && obj._id !== '') {
    match = typeof obj._id === 'string' ? col.byId(obj._id) : undefined;
  } else {
    match = col.lookup('v1key', v1Key('treatments', obj)!)[0];
  }
  if (match) {
    col.replace(match, obj);
    ctx.counters.deduplicated.treatments++;
    return keepExistingId ? { ...obj, _id: match._id } : obj;
  }
  const stored = col.insert(obj);
  ctx.counters.created.treatments++;
  return { ...obj, _id: stored._id };
}

export function storeTreatments(ctx: NsContext, col: Collection, body: unknown): Rec[] {
  const list = (Array.isArray(body) ? body : [body]).filter(isRecord).map((d) => structuredClone(d));
  const out: Rec[] = [];
  for (const obj of list) {
    purifyObject(obj);
    normalizeId(ctx, obj);
    const results = prepareTreatment(ctx, obj);
    out.push(upsertTreatment(ctx, col, obj));
    if (obj.preBolus) {
      // The carbs of a pre-bolus go into a second treatment `preBolus` minutes later.
      const pb: Rec = {
        created_at: new Date(new Date(results.created_at).getTime() + Number(obj.preBolus) * 60_000).toISOString(),
        eventType: obj.eventType,
        carbs: results.preBolusCarbs,
      };
      if (obj.notes) pb.notes = obj.notes;
      const existing = col.lookup('v1key', v1Key('treatments', pb)!)[0];
      if (existing) {
        col.replace(existing, pb);
        out.push(pb);
      } else {
        out.push({ ...pb, _id: col.insert(pb)._id });
        ctx.counters.created.treatments++;
      }
    }
  }
  return out;
}

/** `PUT /api/v1/treatments`: one object, replace-upsert (xDrip sends its own `_id`). */
export function saveTreatment(ctx: NsContext, col: Collection, body: Rec): Rec {
  const obj = structuredClone(body);
  normalizeId(ctx, obj);
  prepareTreatment(ctx, obj);
  return upsertTreatment(ctx, col, obj);
}

const isValidObjectId = (id: unknown): boolean => id === undefined || id === null || (typeof id === 'string' && OBJECT_ID_HEX.test(id));

/** Plain inserts, never deduplicated; `_id` must be 24-hex (or null) when sent (15.0.7); strings are purified. */
export function storeDeviceStatus(ctx: NsContext, col: Collection, body: unknown): { docs: Rec[] } | { invalidId: unknown } {
  const list = (Array.isArray(body) ? body : [body]).filter(isRecord).map((d) => structuredClone(d));
  const invalid = ctx.mode.version === '15' ? list.find((d) => !isValidObjectId(d._id)) : undefined;
  if (invalid) return { invalidId: invalid._id };
  list.forEach(purifyObject);
  const docs = list.map((obj) => {
    const d = obj.created_at === undefined ? null : parseV1Date(obj.created_at);
    const when = d ?? { ms: ctx.now(), offset: 0 };
    obj.created_at = new Date(when.ms).toISOString();
    obj.utcOffset = when.offset;
    if (obj._id === null) delete obj._id;
    const stored = col.insert(obj);
    ctx.counters.created.devicestatus++;
    return { ...obj, _id: stored._id };
  });
  return { docs };
}
