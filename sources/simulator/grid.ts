import type { FetchWindow } from '../../lib/contracts/source.js';
import { DAY_MS, MINUTE_MS, SALT } from './events.js';
import { unitHash } from './hash.js';

/** How far back the simulated cloud keeps data, like the vendors' 24 h. */
export const HISTORY_MS = DAY_MS;

/** Readings sit at `phaseMs + k·intervalMs` for integer k. */
export interface Grid {
  intervalMs: number;
  /** Seeded offset in whole seconds, below one interval, so seeds do not all read on the same second. */
  phaseMs: number;
}

/** The reading grid for a seed and interval. */
export function gridFor(seed: number, intervalSeconds: number): Grid {
  const interval = Math.max(1, Math.round(intervalSeconds));
  return { intervalMs: interval * 1000, phaseMs: Math.floor(unitHash(seed, SALT.phase) * interval) * 1000 };
}

/** Index of the first grid time strictly after `t`. */
export function firstIndexAfter(grid: Grid, t: number): number {
  return Math.floor((t - grid.phaseMs) / grid.intervalMs) + 1;
}

/** Index of the last grid time at or before `t`. */
export function lastIndexAtOrBefore(grid: Grid, t: number): number {
  return Math.floor((t - grid.phaseMs) / grid.intervalMs);
}

export function gridTime(grid: Grid, k: number): number {
  return grid.phaseMs + k * grid.intervalMs;
}

/**
 * The arrow is computed over at least 5 minutes, as CGMs do, so a fast cadence does not turn
 * one-mg/dL rounding steps into steep arrows; it is a whole number of intervals to stay on the grid.
 */
export function trendLookbackMs(grid: Grid): number {
  return Math.ceil((5 * MINUTE_MS) / grid.intervalMs) * grid.intervalMs;
}

/** The part of a window the simulated cloud can answer: nothing after `now`, nothing older than its history. */
export function availableWindow(window: FetchWindow, nowMs: number): FetchWindow {
  return { fromMs: Math.max(window.fromMs, nowMs - HISTORY_MS), toMs: Math.min(window.toMs, nowMs) };
}
