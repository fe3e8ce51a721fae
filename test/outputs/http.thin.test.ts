import { describe, expect, it } from 'vitest';
import { MAX_POINTS_PER_BRIDGE, thinPerBridge, thinSeries } from '../../outputs/http/thin.js';
import type { Reading } from '../../outputs/http/cache/types.js';
import { NOW, reading } from '../fakes/status-data.js';

const DAY = 24 * 3_600_000;

/** A day at `everyMs`, oldest first: a slow wave, with one low and one high a few seconds wide somewhere inside. */
function day(everyMs: number, bridge = 'sim', lowAt = 0.37, highAt = 0.81): Reading[] {
  const n = Math.floor(DAY / everyMs);
  const out: Reading[] = [];
  for (let i = 0; i < n; i++) {
    const sgv = Math.round(140 + 50 * Math.sin(i / 500));
    out.push(reading(NOW - DAY + i * everyMs, sgv, 'Flat', { bridge }));
  }
  out[Math.floor(n * lowAt)] = { ...out[Math.floor(n * lowAt)]!, sgv: 41 };
  out[Math.floor(n * highAt)] = { ...out[Math.floor(n * highAt)]!, sgv: 399 };
  return out;
}

const ascending = (rs: Reading[]): boolean => rs.every((r, i) => i === 0 || rs[i - 1]!.date <= r.date);

describe('thinSeries', () => {
  it('gives a series that fits back unchanged', () => {
    const series = day(5 * 60_000);
    expect(series).toHaveLength(288);
    expect(thinSeries(series)).toEqual(series);
    expect(thinSeries([])).toEqual([]);
  });

  it('thins a day at 1 s to at most 600 points, oldest first, keeping the lowest, the highest and the newest', () => {
    const series = day(1_000);
    const thin = thinSeries(series);
    expect(thin.length).toBeLessThanOrEqual(MAX_POINTS_PER_BRIDGE);
    expect(thin.length).toBeGreaterThan(MAX_POINTS_PER_BRIDGE / 2);
    expect(ascending(thin)).toBe(true);
    expect(Math.min(...thin.map((r) => r.sgv))).toBe(41);
    expect(Math.max(...thin.map((r) => r.sgv))).toBe(399);
    expect(thin.at(-1)).toBe(series.at(-1));
    // Only readings from the series, none made up.
    const given = new Set(series);
    expect(thin.every((r) => given.has(r))).toBe(true);
  });

  it('keeps the lowest and highest of every stretch of time, not only the overall ones', () => {
    const series = day(1_000);
    // 21 points: 10 equal stretches of time, two points each, and the newest.
    const thin = thinSeries(series, 21);
    const first = series[0]!.date;
    const width = (series.at(-1)!.date - first + 1) / 10;
    for (let k = 0; k < 10; k++) {
      const within = (rs: Reading[]) => rs.filter((r) => r.date >= first + k * width && r.date < first + (k + 1) * width).map((r) => r.sgv);
      expect(Math.min(...within(thin)), `stretch ${k}`).toBe(Math.min(...within(series)));
      expect(Math.max(...within(thin)), `stretch ${k}`).toBe(Math.max(...within(series)));
    }
  });

  it('copes with odd input: one value throughout, one time throughout, a tiny limit', () => {
    const flat = Array.from({ length: 5_000 }, (_, i) => reading(NOW - i * 1_000, 100)).reverse();
    expect(thinSeries(flat).length).toBeLessThanOrEqual(MAX_POINTS_PER_BRIDGE);
    const sameTime = Array.from({ length: 5_000 }, (_, i) => reading(NOW, 40 + (i % 300)));
    const thin = thinSeries(sameTime);
    expect(thin.length).toBeLessThanOrEqual(3);
    expect(thin.map((r) => r.sgv)).toEqual(expect.arrayContaining([40, 339]));
    expect(thinSeries(day(60_000), 3).length).toBeLessThanOrEqual(3);
  });
});

describe('thinPerBridge', () => {
  it('gives every bridge its own 600 points, merged oldest first', () => {
    const a = day(1_000, 'a', 0.1, 0.2);
    const b = day(2_000, 'b', 0.6, 0.9).map((r) => ({ ...r, sgv: r.sgv === 41 ? 55 : r.sgv === 399 ? 301 : r.sgv }));
    const merged = [...a, ...b].sort((x, y) => x.date - y.date);
    const thin = thinPerBridge(merged);
    expect(ascending(thin)).toBe(true);
    for (const [bridge, low, high] of [['a', 41, 399], ['b', 55, 301]] as const) {
      const mine = thin.filter((r) => r.bridge === bridge);
      expect(mine.length).toBeLessThanOrEqual(MAX_POINTS_PER_BRIDGE);
      expect(mine.map((r) => r.sgv)).toEqual(expect.arrayContaining([low, high]));
    }
  });
});
