import { z } from 'zod';
import { COLLECTIONS, emptyBatch, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../../lib/domain.js';
import { isFuture } from '../../lib/future.js';

/**
 * What an output has confirmed, per collection: the newest confirmed `date` (the watermark) and
 * the identifiers confirmed within `horizonMs` of it. A document is dropped when its identifier
 * was confirmed, or when it is older than `watermark − horizon`. Comparing dates alone would drop
 * late arrivals: LibreLink Up's history fills in 15–20 min behind the current reading, so a
 * reading older than the newest stored one can still be new. Pure: no I/O.
 */

/** Late arrivals are accepted this far behind the watermark; vendors keep ≤ 24 h of history. */
export const DEFAULT_HORIZON_MS = 24 * 60 * 60_000;

/**
 * A watermark learned from the destination (a fresh install, a new output) comes without the
 * identifiers behind it: only this much before it is sent again, for readings that arrive late
 * (LibreLink Up's history lags 15–20 min), instead of the whole horizon.
 */
export const SEED_LATE_MS = 60 * 60_000;

const collectionStateSchema = z.object({
  watermark: z.number(),
  /** identifier → date, for identifiers confirmed within the horizon. */
  recent: z.record(z.string(), z.number()),
  /** Documents at or before this date are taken as stored (set when the watermark was learned from the destination). */
  floor: z.number().optional(),
});

export const routerStateSchema = z.object({
  v: z.literal(1),
  collections: z.partialRecord(z.enum(COLLECTIONS), collectionStateSchema),
});
export type RouterState = z.infer<typeof routerStateSchema>;

export function emptyRouterState(): RouterState {
  return { v: 1, collections: {} };
}

export interface Routed {
  /** What the output does not have yet. */
  send: Batch;
  /** Documents dropped because the output already has them. */
  dropped: number;
}

function keep(state: RouterState, collection: Collection, doc: NightscoutDocument, horizonMs: number): boolean {
  const c = state.collections[collection];
  if (!c) return true;
  if (doc.identifier !== undefined && Object.hasOwn(c.recent, doc.identifier)) return false;
  if (c.floor !== undefined && doc.date <= c.floor) return false;
  return doc.date > c.watermark - horizonMs;
}

export function route(state: RouterState, batch: Batch, horizonMs: number): Routed {
  const send = emptyBatch();
  let dropped = 0;
  for (const collection of COLLECTIONS) {
    for (const doc of batch[collection]) {
      if (keep(state, collection, doc, horizonMs)) (send[collection] as NightscoutDocument[]).push(doc);
      else dropped += 1;
    }
  }
  return { send, dropped };
}

/** The state after the output confirmed `batch`; identifiers behind the horizon are forgotten. */
export function confirm(state: RouterState, batch: Batch, horizonMs: number): RouterState {
  const collections = { ...state.collections };
  for (const collection of COLLECTIONS) {
    const docs = batch[collection];
    if (docs.length === 0) continue;
    const before = collections[collection];
    const watermark = docs.reduce((max, d) => Math.max(max, d.date), before?.watermark ?? -Infinity);
    const recent: Record<string, number> = {};
    const floor = watermark - horizonMs;
    for (const [id, date] of Object.entries(before?.recent ?? {})) if (date > floor) recent[id] = date;
    for (const doc of docs) if (doc.identifier !== undefined && doc.date > floor) recent[doc.identifier] = doc.date;
    collections[collection] = { watermark, recent, ...(before?.floor === undefined ? {} : { floor: before.floor }) };
  }
  return { v: 1, collections };
}

/** The watermarks, for gap analysis. */
export function watermarks(state: RouterState): NewestDates {
  const out: NewestDates = {};
  for (const collection of COLLECTIONS) {
    const c = state.collections[collection];
    if (c) out[collection] = c.watermark;
  }
  return out;
}

/**
 * Seeds watermarks from what the output reports, where the router knows nothing yet. A reported
 * date in the future (another uploader's wrong clock, a forged retained message) is no watermark:
 * it would make every real reading look stored. Those collections stay unknown.
 */
export function seed(state: RouterState, reported: NewestDates, nowMs: number): RouterState {
  const collections = { ...state.collections };
  for (const collection of COLLECTIONS) {
    const date = reported[collection];
    if (date !== undefined && !isFuture(date, nowMs) && !collections[collection]) collections[collection] = { watermark: date, recent: {}, floor: date - SEED_LATE_MS };
  }
  return { v: 1, collections };
}

/**
 * A persisted watermark ahead of now (state from a version without the future check, a clock that
 * was wrong): it falls back to the newest confirmed identifier that is not in the future, or, with
 * none, the collection is forgotten and learned again from the output. `repaired` names them.
 */
export function repairFuture(state: RouterState, nowMs: number): { state: RouterState; repaired: Collection[] } {
  const collections = { ...state.collections };
  const repaired: Collection[] = [];
  for (const collection of COLLECTIONS) {
    const c = collections[collection];
    if (!c || (!isFuture(c.watermark, nowMs) && (c.floor === undefined || !isFuture(c.floor, nowMs)))) continue;
    repaired.push(collection);
    const recent = Object.fromEntries(Object.entries(c.recent).filter(([, date]) => !isFuture(date, nowMs)));
    const dates = Object.values(recent);
    if (dates.length === 0) delete collections[collection];
    else collections[collection] = { watermark: dates.reduce((a, b) => Math.max(a, b)), recent };
  }
  return { state: { v: 1, collections }, repaired };
}
