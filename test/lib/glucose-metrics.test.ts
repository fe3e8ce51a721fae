import { describe, expect, it } from 'vitest';
import { countEvents, glucoseMetrics, type Reading } from '../../lib/glucose-metrics.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1);
/** Readings every 5 minutes from T0 with these values. */
const trace = (values: readonly number[], stepMin = 5): Reading[] => values.map((mgdl, i) => ({ date: T0 + i * stepMin * MIN, mgdl }));
const lows = (values: readonly number[], stepMin = 5) => countEvents(trace(values, stepMin), (g) => g < 70, stepMin * MIN);

describe('glucose metrics (international consensus, Battelino et al. 2019/2023)', () => {
  it('a low event is at least 15 minutes below 70: three 5-minute readings, not two', () => {
    expect(lows([100, 65, 65, 100])).toBe(0);
    expect(lows([100, 65, 65, 65, 100])).toBe(1);
    // One 15-minute reading (Libre history) stands for 15 minutes.
    expect(lows([100, 65, 100], 15)).toBe(1);
  });

  it('an event ends only after 15 minutes back at or above 70: a short rise inside a low is the same event', () => {
    expect(lows([65, 65, 65, 80, 80, 65, 65, 65])).toBe(1);
    expect(lows([65, 65, 65, 80, 80, 80, 65, 65, 65])).toBe(2);
    // 70 itself is not below 70.
    expect(lows([70, 70, 70, 70])).toBe(0);
  });

  it('a gap of more than 30 minutes ends the run and the event: nothing is assumed about time without data', () => {
    const split: Reading[] = [...trace([65, 65]), { date: T0 + 45 * MIN, mgdl: 65 }];
    expect(countEvents(split, (g) => g < 70, 5 * MIN)).toBe(0);
    const twoEvents: Reading[] = [...trace([65, 65, 65]), ...trace([65, 65, 65]).map((r) => ({ ...r, date: r.date + 60 * MIN }))];
    expect(countEvents(twoEvents, (g) => g < 70, 5 * MIN)).toBe(2);
  });

  it('time in ranges, mean, SD, CV and GMI by the consensus formulas', () => {
    const values = [50, 60, 100, 150, 200, 260, 120, 130];
    const m = glucoseMetrics(trace(values), T0, T0 + values.length * 5 * MIN);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    expect(m.readings).toBe(8);
    expect(m.percentBelow54).toBe(12.5);
    expect(m.percentBelow70).toBe(25);
    expect(m.percentInRange).toBe(50);
    expect(m.percentAbove180).toBe(25);
    expect(m.percentAbove250).toBe(12.5);
    expect(m.mean?.mgdl).toBe(Math.round(mean * 10) / 10);
    expect(m.sd?.mgdl).toBe(Math.round(sd * 10) / 10);
    expect(m.cvPercent).toBe(Math.round((sd / mean) * 1000) / 10);
    expect(m.gmiPercent).toBe(Math.round((3.31 + 0.02392 * mean) * 10) / 10);
    expect(m.intervalMinutes).toBe(5);
    expect(m.coveragePercent).toBe(100);
    expect(m.sufficient).toBe(false);
  });

  it('coverage is the share of the span\'s sensor intervals that hold a reading', () => {
    const m = glucoseMetrics(trace([100, 100, 100, 100, 100]), T0, T0 + 10 * 5 * MIN);
    expect(m.coveragePercent).toBe(50);
    // Two readings in one interval count once.
    const doubled = glucoseMetrics([...trace([100, 100]), { date: T0 + MIN, mgdl: 100 }].sort((a, b) => a.date - b.date), T0, T0 + 10 * MIN);
    expect(doubled.coveragePercent).toBeLessThanOrEqual(100);
  });
});
