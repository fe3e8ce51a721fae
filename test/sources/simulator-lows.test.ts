import { describe, expect, it } from 'vitest';
import { eventsBetween } from '../../sources/simulator/events.js';
import { sampleTrace } from '../../sources/simulator/trace.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const STEP = 5 * MINUTE;
const FROM = Date.UTC(2026, 0, 1);
const DAYS = 14;

/** Lengths, in minutes, of every run of consecutive readings that satisfy `low`. */
function runs(values: readonly number[], low: (mgdl: number) => boolean): number[] {
  const lengths: number[] = [];
  let run = 0;
  for (const v of [...values, Number.POSITIVE_INFINITY]) {
    if (low(v)) run += 1;
    else if (run > 0) {
      lengths.push(run * 5);
      run = 0;
    }
  }
  return lengths;
}

describe('the simulated trace has lows like a real CGM trace: short, rare, treated', () => {
  // The default seed first; the others are what a demo with CONNECT_SIMULATOR_SEED would show.
  it.each([1, 2, 3, 7, 42])('seed %i over two weeks', (seed) => {
    const values = sampleTrace(seed, FROM, STEP, (DAYS * DAY) / STEP);
    const below70 = values.filter((v) => v < 70).length / values.length;
    expect(below70).toBeGreaterThan(0.003);
    expect(below70).toBeLessThan(0.04);
    // Never held at the sensor's floor, and never a run at or below 54 longer than half an hour.
    expect(Math.min(...values)).toBeGreaterThan(40);
    expect(Math.max(0, ...runs(values, (v) => v <= 54))).toBeLessThanOrEqual(30);
    // Each low lasts minutes, not hours.
    const lows = runs(values, (v) => v < 70);
    expect(lows.length).toBeGreaterThan(0);
    expect(Math.max(...lows)).toBeLessThanOrEqual(60);
  });

  it('every low is treated with fast carbs at its bottom, and glucose is back above 70 within 40 minutes', () => {
    const seed = 1;
    const values = sampleTrace(seed, FROM, STEP, (DAYS * DAY) / STEP);
    const hypos = eventsBetween(seed, FROM, FROM + DAYS * DAY - 2 * 60 * MINUTE).filter((e) => e.kind === 'hypo');
    expect(hypos.length).toBeGreaterThanOrEqual(DAYS / 2);
    for (const hypo of hypos) {
      expect(hypo.carbs).toBeGreaterThanOrEqual(15);
      expect(hypo.insulin).toBe(0);
      const at = Math.round((hypo.t - FROM) / STEP);
      expect(values[at]).toBeLessThan(70);
      expect(values[at]).toBeGreaterThanOrEqual(55);
      expect(values.slice(at, at + 9).some((v) => v >= 70)).toBe(true);
    }
  });
});
