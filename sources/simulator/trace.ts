import { between, mix32, streamFor, unitHash } from './hash.js';
import { EVENT_HORIZON_MS, HOUR_MS, MINUTE_MS, SALT, eventsBetween, type SimEvent } from './events.js';

/** The sensor's range: real CGMs report LOW/HIGH outside it. */
export const MIN_MGDL = 40;
export const MAX_MGDL = 400;

/**
 * Noise knots sit on a fixed 5-minute grid, whatever the reading interval, so a 1-second
 * cadence shows the same smooth sensor signal instead of jitter of several mg/dL per second.
 */
const NOISE_KNOT_MS = 5 * MINUTE_MS;
const NOISE_AMPLITUDE = 2;
/** Share of a meal's height the insulin pulls below the baseline afterwards, for a realistic tail. */
const UNDERSHOOT = 0.15;
/**
 * Below about this, counter-regulation and a person who eats something keep glucose from drifting
 * lower for hours: the baseline, tails and corrections bend towards it instead of crossing it
 * (softplus, width FLOOR_SOFTNESS). Lows come only from `hypo` events, short and treated.
 */
const SOFT_FLOOR = 80;
const FLOOR_SOFTNESS = 8;
/** A low's fall to its bottom and its recovery after the carbs (Gaussian widths): ~15–40 min below 70. */
const HYPO_FALL_MS = 45 * MINUTE_MS;
const HYPO_RECOVERY_MS = 28 * MINUTE_MS;
/** A low is felt this long before its carbs (the fall): later events are looked up that far ahead. */
const HYPO_LEAD_MS = 3 * HYPO_FALL_MS;

interface Wave {
  amplitude: number;
  periodMs: number;
  phase: number;
}

/** The per-seed parameters of the glucose model. */
export interface TraceModel {
  seed: number;
  /** mg/dL the baseline drifts around. */
  mean: number;
  waves: readonly Wave[];
  noiseSeed: number;
}

/** The model for a seed; cheap, but worth computing once per fetch. */
export function traceModel(seed: number): TraceModel {
  const rand = streamFor(seed, SALT.trace);
  const wave = (minHours: number, maxHours: number, minAmp: number, maxAmp: number): Wave => ({
    amplitude: between(rand, minAmp, maxAmp),
    periodMs: between(rand, minHours, maxHours) * HOUR_MS,
    phase: rand() * 2 * Math.PI,
  });
  return {
    seed,
    mean: between(rand, 105, 140),
    waves: [wave(5, 9, 10, 20), wave(11, 17, 8, 15), wave(23, 31, 5, 12)],
    noiseSeed: mix32(seed, SALT.noise),
  };
}

/** Rises to 1 at x = 1 and fades out by x ≈ 6; steepest slope 1.7 (at x ≈ 0.29). */
function bump(x: number): number {
  if (x <= 0) return 0;
  const y = x * Math.exp(1 - x);
  return y * y;
}

/** What one event adds to glucose `dt` ms after it. */
function eventEffect(event: SimEvent, dt: number): number {
  if (dt <= 0 || dt > EVENT_HORIZON_MS) return 0;
  const x = dt / event.peakMs;
  if (event.kind === 'correction') return -event.amplitude * bump(x);
  if (event.kind === 'hypo') return event.amplitude * bump(x);
  return event.amplitude * (bump(x) - UNDERSHOOT * bump(x / 2));
}

function baselineAt(model: TraceModel, t: number): number {
  let value = model.mean;
  for (const wave of model.waves) value += wave.amplitude * Math.sin((2 * Math.PI * t) / wave.periodMs + wave.phase);
  return value;
}

/** Smoothly interpolated value noise: continuous, deterministic in (seed, knot). */
function noiseAt(model: TraceModel, t: number): number {
  const knot = Math.floor(t / NOISE_KNOT_MS);
  const f = t / NOISE_KNOT_MS - knot;
  const s = f * f * (3 - 2 * f);
  const a = unitHash(model.noiseSeed, knot) * 2 - 1;
  const b = unitHash(model.noiseSeed, knot + 1) * 2 - 1;
  return NOISE_AMPLITUDE * (a + (b - a) * s);
}

/**
 * Sensor glucose in whole mg/dL at `t`. `events` must hold every event that can still act at `t`
 * (a low from HYPO_LEAD_MS before its time);
 * those before `fromIndex` are known to be past their horizon and skipped.
 */
export function glucoseAt(model: TraceModel, events: readonly SimEvent[], t: number, fromIndex = 0): number {
  let value = baselineAt(model, t);
  for (let i = fromIndex; i < events.length; i++) value += eventEffect(events[i]!, t - events[i]!.t);
  value = softFloor(value);
  for (let i = fromIndex; i < events.length; i++) value = towardsNadir(events[i]!, value, t - events[i]!.t);
  value += noiseAt(model, t);
  return Math.min(MAX_MGDL, Math.max(MIN_MGDL, Math.round(value)));
}

function softFloor(value: number): number {
  return SOFT_FLOOR + FLOOR_SOFTNESS * Math.log1p(Math.exp((value - SOFT_FLOOR) / FLOOR_SOFTNESS));
}

/** A low pulls glucose to its bottom at the event (whatever the level it starts from) and lets go as the carbs act. */
function towardsNadir(event: SimEvent, value: number, dt: number): number {
  if (event.kind !== 'hypo' || event.nadir === undefined || value <= event.nadir) return value;
  const width = dt < 0 ? HYPO_FALL_MS : HYPO_RECOVERY_MS;
  const weight = Math.exp(-((dt / width) ** 2));
  return value + (event.nadir - value) * weight;
}

/**
 * Glucose at `count` times `firstMs + i·stepMs`, linear in `count`: the events are looked up once
 * and only those within their horizon are evaluated per sample.
 */
export function sampleTrace(seed: number, firstMs: number, stepMs: number, count: number): number[] {
  const model = traceModel(seed);
  const lastMs = firstMs + (count - 1) * stepMs;
  const events = eventsBetween(seed, firstMs - EVENT_HORIZON_MS, lastMs + HYPO_LEAD_MS);
  const values = new Array<number>(count);
  let active = 0;
  for (let i = 0; i < count; i++) {
    const t = firstMs + i * stepMs;
    while (active < events.length && t - events[active]!.t > EVENT_HORIZON_MS) active++;
    values[i] = glucoseAt(model, events, t, active);
  }
  return values;
}
