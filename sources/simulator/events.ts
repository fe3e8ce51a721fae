import { between, mix32, streamFor } from './hash.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Salts keep the per-seed streams (parameters, days, noise, phase) independent of each other. */
export const SALT = { person: 1, day: 2, noise: 3, phase: 4, trace: 5 } as const;

/**
 * Something that moves glucose: a meal with its bolus, a correction bolus, or a low (too much
 * insulin on board, exercise) that the person treats with fast carbs at its bottom.
 */
export interface SimEvent {
  kind: 'meal' | 'correction' | 'hypo';
  /** Epoch ms, whole minutes; also the treatment's `date` (for a low: when the carbs are taken, at its bottom). */
  t: number;
  /** Grams; meals and lows. */
  carbs?: number;
  /** Units of insulin, one decimal; 0 for a low's carbs. */
  insulin: number;
  /** Height of the excursion in mg/dL (positive for meals, the dip depth for corrections, the rebound after a low's carbs). */
  amplitude: number;
  /** Lows only: the bottom of the dip, mg/dL. */
  nadir?: number;
  /** Time from the event to the top of the excursion. */
  peakMs: number;
}

/** No event moves glucose measurably longer than this after it happened. */
export const EVENT_HORIZON_MS = 16 * HOUR_MS;

interface Slot {
  kind: SimEvent['kind'];
  /** Earliest minute of the UTC day the event can happen at. */
  startMinute: number;
  spreadMinutes: number;
  probability: number;
  /** Carbs for meals, insulin units for corrections, the bottom (mg/dL) for lows. */
  amount: readonly [number, number];
}

const SLOTS: readonly Slot[] = [
  { kind: 'meal', startMinute: 6 * 60 + 30, spreadMinutes: 120, probability: 1, amount: [30, 60] },
  { kind: 'correction', startMinute: 9 * 60 + 30, spreadMinutes: 60, probability: 0.25, amount: [0.5, 1.5] },
  { kind: 'meal', startMinute: 11 * 60 + 30, spreadMinutes: 120, probability: 0.95, amount: [40, 80] },
  { kind: 'meal', startMinute: 15 * 60, spreadMinutes: 90, probability: 0.4, amount: [10, 25] },
  { kind: 'meal', startMinute: 18 * 60, spreadMinutes: 120, probability: 1, amount: [40, 90] },
  { kind: 'correction', startMinute: 21 * 60 + 30, spreadMinutes: 120, probability: 0.35, amount: [0.5, 2] },
  // Lows come last, so adding them left every earlier slot's draws (and so each seed's meals) as they were.
  // Together about one low a day, ~15–40 min below 70 each: 1–3 % of the time, as on a real CGM.
  { kind: 'hypo', startMinute: 15 * 60 + 30, spreadMinutes: 180, probability: 0.5, amount: [57, 66] },
  { kind: 'hypo', startMinute: 2 * 60, spreadMinutes: 240, probability: 0.4, amount: [57, 66] },
];

/** The simulated person's ratios, fixed per seed. */
interface Person {
  /** Grams of carbs one unit of insulin covers. */
  carbRatio: number;
  /** mg/dL one unit of insulin lowers glucose. */
  sensitivity: number;
  /** mg/dL one gram of carbs raises glucose before insulin acts. */
  carbRise: number;
}

function personOf(seed: number): Person {
  const rand = streamFor(seed, SALT.person);
  return { carbRatio: between(rand, 8, 12), sensitivity: between(rand, 30, 50), carbRise: between(rand, 1.4, 1.9) };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * The rise time grows with the meal so big meals stay under ~3 mg/dL/min, as real ones mostly do;
 * the excursion shape's steepest slope is 1.7 × amplitude / peak.
 */
function eventFromSlot(slot: Slot, dayStart: number, rand: () => number, person: Person): SimEvent {
  const t = dayStart + Math.floor(slot.startMinute + rand() * slot.spreadMinutes) * MINUTE_MS;
  const amount = between(rand, slot.amount[0], slot.amount[1]);
  if (slot.kind === 'hypo') {
    const carbs = Math.round(between(rand, 15, 20));
    // Fast carbs: a quick, modest rebound (half a meal's rise per gram), not a meal's excursion.
    return { kind: 'hypo', t, carbs, insulin: 0, nadir: Math.round(amount), amplitude: carbs * person.carbRise * 0.5, peakMs: 40 * MINUTE_MS };
  }
  if (slot.kind === 'correction') {
    const insulin = round1(amount);
    const peakMinutes = between(rand, 90, 120);
    return { kind: 'correction', t, insulin, amplitude: Math.min(insulin * person.sensitivity, 70), peakMs: peakMinutes * MINUTE_MS };
  }
  const carbs = Math.round(amount);
  const peakMinutes = Math.min(90, Math.max(45, 40 + carbs * 0.7 + rand() * 15));
  return {
    kind: 'meal',
    t,
    carbs,
    insulin: Math.max(0.1, round1(carbs / person.carbRatio)),
    amplitude: carbs * person.carbRise,
    peakMs: peakMinutes * MINUTE_MS,
  };
}

/** The events of one UTC day (day 0 starts at the epoch), in time order; pure in (seed, day). */
export function eventsOfDay(seed: number, day: number): SimEvent[] {
  const rand = streamFor(mix32(seed, SALT.day), day);
  const person = personOf(seed);
  const events: SimEvent[] = [];
  for (const slot of SLOTS) {
    // Draw for every slot even when it is skipped so one slot's outcome never shifts another's.
    const happens = rand() < slot.probability;
    const event = eventFromSlot(slot, day * DAY_MS, rand, person);
    if (happens) events.push(event);
  }
  return events;
}

/** Every event with `fromMs < t <= toMs`, in time order. */
export function eventsBetween(seed: number, fromMs: number, toMs: number): SimEvent[] {
  const events: SimEvent[] = [];
  for (let day = Math.floor(fromMs / DAY_MS); day <= Math.floor(toMs / DAY_MS); day++) {
    for (const event of eventsOfDay(seed, day)) {
      if (event.t > fromMs && event.t <= toMs) events.push(event);
    }
  }
  return events;
}
