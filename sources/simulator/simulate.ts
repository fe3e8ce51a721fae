import type { FetchWindow } from '../../lib/contracts/source.js';
import { eventsBetween } from './events.js';
import { availableWindow, firstIndexAfter, gridTime, lastIndexAtOrBefore, trendLookbackMs, type Grid } from './grid.js';
import type { RawPoint, RawSimulation, RawTreatment } from './raw.js';
import { sampleTrace } from './trace.js';

/** Readings with `fromMs < t <= toMs` that exist at `nowMs`, oldest first. */
export function simulateReadings(seed: number, grid: Grid, window: FetchWindow, nowMs: number): RawPoint[] {
  const { fromMs, toMs } = availableWindow(window, nowMs);
  const first = firstIndexAfter(grid, fromMs);
  const last = lastIndexAtOrBefore(grid, toMs);
  if (last < first) return [];
  const lookbackMs = trendLookbackMs(grid);
  const lookbackSteps = lookbackMs / grid.intervalMs;
  const count = last - first + 1;
  // Sample the lookback before the first reading too, so its arrow is as good as any other.
  const values = sampleTrace(seed, gridTime(grid, first - lookbackSteps), grid.intervalMs, count + lookbackSteps);
  const lookbackMinutes = lookbackMs / 60_000;
  const points = new Array<RawPoint>(count);
  for (let i = 0; i < count; i++) {
    const mgdl = values[i + lookbackSteps]!;
    points[i] = { t: gridTime(grid, first + i), mgdl, rate: (mgdl - values[i]!) / lookbackMinutes };
  }
  return points;
}

/** Boluses and a low's carbs with `fromMs < t <= toMs` that exist at `nowMs`, at the times the trace uses, oldest first. */
export function simulateTreatments(seed: number, window: FetchWindow, nowMs: number): RawTreatment[] {
  const { fromMs, toMs } = availableWindow(window, nowMs);
  if (toMs <= fromMs) return [];
  return eventsBetween(seed, fromMs, toMs).map((event) =>
    event.kind === 'correction'
      ? { t: event.t, kind: 'correction', insulin: event.insulin }
      : { t: event.t, kind: event.kind, carbs: event.carbs ?? 0, insulin: event.insulin },
  );
}

/** The simulated cloud's answer for one loop. */
export function simulate(
  what: 'entries' | 'treatments',
  seed: number,
  grid: Grid,
  window: FetchWindow,
  nowMs: number,
): RawSimulation {
  if (what === 'entries') return { points: simulateReadings(seed, grid, window, nowMs), treatments: [] };
  return { points: [], treatments: simulateTreatments(seed, window, nowMs) };
}
