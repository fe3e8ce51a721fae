import type { Reading } from './cache/types.js';

/**
 * The chart draws at most this many points per bridge: about twice the width of a phone in CSS
 * pixels, more than a screen can show apart. A 5-minute source (288 a day) is drawn whole; a 1 s
 * one (86,400 a day) would otherwise make a 10 MB page that blocks for a second and a half.
 */
export const MAX_POINTS_PER_BRIDGE = 600;

/**
 * One series (oldest first) thinned to at most `maxPoints` for drawing. Its time span is cut into
 * equal buckets and each bucket keeps its lowest and its highest reading, in time order, so every
 * peak and every low survives; the newest reading is always kept (it is drawn as "now"). A series
 * that already fits comes back unchanged. Pure: the same series gives the same points.
 */
export function thinSeries(series: readonly Reading[], maxPoints = MAX_POINTS_PER_BRIDGE): Reading[] {
  const first = series[0];
  const newest = series[series.length - 1];
  if (series.length <= maxPoints || first === undefined || newest === undefined) return [...series];
  // Two per bucket, plus the newest.
  const buckets = Math.max(1, Math.floor((maxPoints - 1) / 2));
  const width = (newest.date - first.date + 1) / buckets;
  const out: Reading[] = [];
  let bucket = 0;
  let low = first;
  let high = first;
  const flush = (): void => {
    if (low === high) out.push(low);
    else if (low.date <= high.date) out.push(low, high);
    else out.push(high, low);
  };
  for (let i = 1; i < series.length; i++) {
    const r = series[i]!;
    const b = Math.min(buckets - 1, Math.floor((r.date - first.date) / width));
    if (b !== bucket) {
      flush();
      bucket = b;
      low = high = r;
    } else if (r.sgv < low.sgv) low = r;
    else if (r.sgv > high.sgv) high = r;
  }
  flush();
  if (out[out.length - 1] !== newest) out.push(newest);
  return out;
}

/** Readings of any bridges (oldest first), each bridge's series thinned on its own (`thinSeries`), merged back oldest first. */
export function thinPerBridge(readings: readonly Reading[], maxPoints = MAX_POINTS_PER_BRIDGE): Reading[] {
  const bridge = readings[0]?.bridge;
  if (readings.every((r) => r.bridge === bridge)) return thinSeries(readings, maxPoints);
  const byBridge = new Map<string, Reading[]>();
  for (const r of readings) {
    const list = byBridge.get(r.bridge);
    if (list) list.push(r);
    else byBridge.set(r.bridge, [r]);
  }
  return [...byBridge.values()].flatMap((series) => thinSeries(series, maxPoints)).sort((a, b) => a.date - b.date);
}
