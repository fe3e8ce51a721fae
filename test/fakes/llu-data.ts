import {
  glucoseAt,
  lluTimestamp,
  MINUTE_MS,
  tickAtOrBefore,
  toMmol,
  trendArrowAt,
  uuidFrom,
} from './llu-wire.js';

/**
 * Response shapes of the fake LibreLink Up server: followed patients,
 * glucose items, connections and graph data, built from the deterministic trace in llu-wire.ts.
 */

export interface FakePatient {
  /** `patientId`: the id the graph path takes. */
  patientId: string;
  /** The connection's own `id` (not accepted by the graph endpoint). */
  connectionId: string;
  firstName: string;
  lastName: string;
  /** Display unit: `Value` and `GlucoseUnits` follow it; `ValueInMgPerDl` is always mg/dL. */
  unit: 'mg/dL' | 'mmol/L';
  /** Patient phone's offset from UTC in minutes: `Timestamp − FactoryTimestamp`. */
  utcOffsetMinutes: number;
  /** Picks the glucose trace. */
  seed: number;
  country: string;
  sensorSerial: string;
  /** Sensor activation, unix seconds (`sensor.a`). */
  sensorActivatedAt: number;
  targetLow: number;
  targetHigh: number;
}

/** A patient with stable ids derived from the name; the defaults are the spec fixture's patient. */
export function fakePatient(p: Partial<FakePatient> = {}): FakePatient {
  const firstName = p.firstName ?? 'Pat';
  const lastName = p.lastName ?? 'Ient';
  const isFixture = p.firstName === undefined && p.lastName === undefined;
  return {
    patientId: p.patientId ?? (isFixture ? 'bbbbbbbb-0000-0000-0000-000000000002' : uuidFrom(`patient:${firstName} ${lastName}`)),
    connectionId: p.connectionId ?? (isFixture ? 'aaaaaaaa-0000-0000-0000-000000000001' : uuidFrom(`connection:${firstName} ${lastName}`)),
    firstName,
    lastName,
    unit: p.unit ?? 'mg/dL',
    utcOffsetMinutes: p.utcOffsetMinutes ?? 60,
    seed: p.seed ?? 1,
    country: p.country ?? 'DE',
    sensorSerial: p.sensorSerial ?? '0ABCDEF123',
    sensorActivatedAt: p.sensorActivatedAt ?? 1_763_500_000,
    targetLow: p.targetLow ?? 70,
    targetHigh: p.targetHigh ?? 180,
  };
}

/** When readings exist: the current one moves every `currentEveryMs`, history every `graphEveryMs`. */
export interface Timing {
  /** Seconds past the minute every reading carries (sensors are not on the wall-clock minute). */
  phaseMs: number;
  currentEveryMs: number;
  graphEveryMs: number;
  /** The newest graph point is at least this old. */
  graphLagMs: number;
  /** Graph points are newer than now − this. */
  historyMs: number;
}

export const DEFAULT_TIMING: Timing = {
  phaseMs: 23_000,
  currentEveryMs: MINUTE_MS,
  graphEveryMs: 5 * MINUTE_MS,
  graphLagMs: 15 * MINUTE_MS,
  historyMs: 12 * 60 * MINUTE_MS,
};

/** Time of the current reading at `now`. */
export function currentTime(now: number, t: Timing): number {
  return tickAtOrBefore(now, t.currentEveryMs, t.phaseMs);
}

/** Times of the graph points at `now`, oldest first (as LLU sends them). */
export function graphTimes(now: number, t: Timing): number[] {
  const newest = tickAtOrBefore(now - t.graphLagMs, t.graphEveryMs, t.phaseMs);
  const times: number[] = [];
  for (let at = newest; at > now - t.historyMs; at -= t.graphEveryMs) times.push(at);
  return times.reverse();
}

function color(mgdl: number, p: FakePatient): number {
  if (mgdl < p.targetLow) return 3;
  if (mgdl > 250) return 3;
  return mgdl > p.targetHigh ? 2 : 1;
}

/** A glucose item; `arrow` only on current readings (`type` 1), never on graph history (`type` 0). */
export function glucoseItem(p: FakePatient, at: number, arrow?: number): Record<string, unknown> {
  const mgdl = glucoseAt(at, p.seed);
  const mmol = p.unit === 'mmol/L';
  const base = {
    FactoryTimestamp: lluTimestamp(at),
    Timestamp: lluTimestamp(at, p.utcOffsetMinutes),
    type: arrow === undefined ? 0 : 1,
    ValueInMgPerDl: mgdl,
  };
  const current = arrow === undefined ? {} : { TrendArrow: arrow, TrendMessage: null };
  return {
    ...base,
    ...current,
    MeasurementColor: color(mgdl, p),
    GlucoseUnits: mmol ? 0 : 1,
    Value: mmol ? toMmol(mgdl) : mgdl,
    isHigh: mgdl > p.targetHigh,
    isLow: mgdl < p.targetLow,
  };
}

function sensor(p: FakePatient): Record<string, unknown> {
  return { deviceId: '', sn: p.sensorSerial, a: p.sensorActivatedAt, w: 60, pt: 4 };
}

function device(p: FakePatient, now: number): Record<string, unknown> {
  return {
    did: uuidFrom(`device:${p.patientId}`),
    dtid: 40068,
    v: '3.6.0',
    ll: p.targetLow,
    hl: 250,
    u: Math.floor(now / 1000),
    fixedLowAlarmValues: { mgdl: 60, mmoll: 3.3 },
    alarms: false,
  };
}

/** Current reading's arrow in `glucoseMeasurement`; `glucoseItem` may disagree. */
export interface CurrentReading {
  at: number;
  mgdl: number;
  arrow: number;
}

export function currentReading(p: FakePatient, now: number, t: Timing): CurrentReading {
  const at = currentTime(now, t);
  return { at, mgdl: glucoseAt(at, p.seed), arrow: trendArrowAt(at, p.seed) };
}

/** A `/llu/connections` item, also `data.connection` of the graph. */
export function connection(p: FakePatient, now: number, t: Timing, itemArrowDiffers: boolean): Record<string, unknown> {
  const cur = currentReading(p, now, t);
  const itemArrow = itemArrowDiffers ? (cur.arrow % 5) + 1 : cur.arrow;
  return {
    id: p.connectionId,
    patientId: p.patientId,
    country: p.country,
    status: 2,
    firstName: p.firstName,
    lastName: p.lastName,
    targetLow: p.targetLow,
    targetHigh: p.targetHigh,
    uom: p.unit === 'mg/dL' ? 1 : 0,
    sensor: { ...sensor(p), s: true, lj: false },
    alarmRules: {
      c: true,
      h: { th: 250, thmm: 13.9, d: 1440, f: 0.1 },
      f: { th: 55, thmm: 3, d: 30, tl: 10, tlmm: 0.6 },
      l: { th: 70, thmm: 3.9, d: 1440, tl: 10, tlmm: 0.6 },
      nd: { i: 20, r: 5, l: 6 },
      p: 5,
      r: 5,
      std: {},
    },
    glucoseMeasurement: glucoseItem(p, cur.at, cur.arrow),
    glucoseItem: glucoseItem(p, cur.at, itemArrow),
    glucoseAlarm: null,
    patientDevice: { ...device(p, now), fixedLowThreshold: 60 },
    created: 1_700_000_000,
  };
}

/** `data` of `/llu/connections/{patientId}/graph`. */
export function graphData(p: FakePatient, now: number, t: Timing, itemArrowDiffers: boolean): Record<string, unknown> {
  return {
    connection: connection(p, now, t, itemArrowDiffers),
    activeSensors: [{ sensor: sensor(p), device: device(p, now) }],
    graphData: graphTimes(now, t).map((at) => glucoseItem(p, at)),
  };
}
