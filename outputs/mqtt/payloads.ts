import type { Direction, Entry } from '../../lib/domain.js';
import { toMmol } from '../../lib/units.js';
import type { SensorExpiry } from '../../lib/sensor-expiry.js';
import type { GlucosePayload, HealthPayload, SensorPayload, StatsPayload, StatusPayload, Trend } from './topics.js';

/** Pure: documents → the payloads of `topics.ts`. No clock, no I/O. */

/** A sensor glucose reading: an `sgv` entry with a value. */
export type Reading = Entry & { type: 'sgv'; sgv: number };

export function isReading(entry: Entry): entry is Reading {
  return entry.type === 'sgv' && typeof entry.sgv === 'number' && Number.isFinite(entry.sgv);
}

/** Nightscout direction → the payload's `trend` (snake_case); `NONE` has none. */
export const TREND_OF: Record<Direction, Trend | null> = {
  TripleUp: 'triple_up',
  DoubleUp: 'double_up',
  SingleUp: 'single_up',
  FortyFiveUp: 'forty_five_up',
  Flat: 'flat',
  FortyFiveDown: 'forty_five_down',
  SingleDown: 'single_down',
  DoubleDown: 'double_down',
  TripleDown: 'triple_down',
  'NOT COMPUTABLE': 'not_computable',
  'RATE OUT OF RANGE': 'rate_out_of_range',
  NONE: null,
};

export interface ReadingContext {
  bridge: string;
  source: string;
  unit: 'mgdl' | 'mmol';
  /** Already filtered by `includePatient`. */
  patient?: string | undefined;
}

export function glucosePayload(r: Reading, ctx: ReadingContext): GlucosePayload {
  const mmol = toMmol(r.sgv);
  const payload: GlucosePayload = {
    v: 1,
    identifier: r.identifier,
    mgdl: r.sgv,
    mmol,
    unit: ctx.unit === 'mmol' ? 'mmol/L' : 'mg/dL',
    value: ctx.unit === 'mmol' ? mmol : r.sgv,
    direction: r.direction ?? null,
    trend: r.direction ? TREND_OF[r.direction] : null,
    delta: typeof r.delta === 'number' && Number.isFinite(r.delta) ? r.delta : null,
    date: new Date(r.date).toISOString(),
    dateMs: r.date,
    device: r.device,
    source: ctx.source,
    bridge: ctx.bridge,
  };
  if (ctx.patient !== undefined) payload.patient = ctx.patient;
  return payload;
}

export function statusPayload(newestReadingMs: number | undefined, nowMs: number, staleAfterMs: number, stale: boolean): StatusPayload {
  const known = newestReadingMs !== undefined;
  return {
    v: 1,
    stale,
    lastReadingMs: known ? newestReadingMs : null,
    lastReading: known ? new Date(newestReadingMs).toISOString() : null,
    ageSeconds: known ? Math.max(0, Math.floor((nowMs - newestReadingMs) / 1000)) : null,
    staleAfterSeconds: Math.round(staleAfterMs / 1000),
  };
}

export function sensorPayload(expiry: SensorExpiry): SensorPayload {
  return { v: 1, expiresAt: new Date(expiry.expiresMs).toISOString(), expiresMs: expiry.expiresMs };
}

export function healthPayload(online: boolean, extra: Omit<HealthPayload, 'v' | 'online'> = {}): HealthPayload {
  return { v: 1, online, ...extra };
}

/** What the output counts; `statsPayload` turns it into `<prefix>/_stats`. */
export interface Counters {
  readings: number;
  duplicates: number;
  failedStores: number;
  connects: number;
  disconnects: number;
  lastPublishMs: number | undefined;
}

export function emptyCounters(): Counters {
  return { readings: 0, duplicates: 0, failedStores: 0, connects: 0, disconnects: 0, lastPublishMs: undefined };
}

export function statsPayload(c: Counters, startedMs: number, nowMs: number): StatsPayload {
  return {
    v: 1,
    startedAt: new Date(startedMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - startedMs) / 1000)),
    readings: c.readings,
    duplicates: c.duplicates,
    failedStores: c.failedStores,
    connects: c.connects,
    disconnects: c.disconnects,
    lastPublishAt: c.lastPublishMs === undefined ? null : new Date(c.lastPublishMs).toISOString(),
  };
}

/**
 * What one batch publishes, in order: every new reading to history, oldest first, then the newest
 * to `glucose` only when it is newer than what that topic already holds — it never moves backwards.
 */
export function plan(readings: readonly Reading[], published: ReadonlySet<string>, retainedNewestMs: number | undefined) {
  const unique = [...new Map(readings.map((r) => [r.identifier, r])).values()].sort((a, b) => a.date - b.date);
  const fresh = unique.filter((r) => !published.has(r.identifier));
  // From every reading, not only the fresh ones: a resend after a store that failed between the
  // history and `glucose` must still move `glucose` forward.
  const newest = unique.at(-1);
  const current = newest !== undefined && (retainedNewestMs === undefined || newest.date > retainedNewestMs) ? newest : undefined;
  return { history: fresh, current, duplicates: readings.length - fresh.length };
}
