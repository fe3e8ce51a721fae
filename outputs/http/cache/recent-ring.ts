import { z } from 'zod';
import { directionSchema } from '../../../lib/domain.js';
import { isFuture } from '../../../lib/future.js';
import { CACHE_MS } from './model.js';
import type { Reading } from './types.js';

/**
 * The decisions behind each bridge's ring of recent readings (`recent-readings.jsonl` in its state
 * folder), which lets the status cache start warm after a restart. Pure: the file is written by
 * `recent-file.ts`. The ring holds what the status model would: sensor readings of the last 24 h,
 * none from the future, one per time (the newest line wins).
 */

export const RING_KEY = 'recent-readings';

/** A reading a minute for a day and then some: real sensors send at most one a minute. */
export const MAX_RING_READINGS = 2_880;

/** Lines the file may hold beyond twice what the ring keeps before it is rewritten. */
export const COMPACT_SLACK_LINES = 100;

/** One line of the file. The bridge is the folder; the source is kept to notice a config change. */
export const ringLineSchema = z.object({
  date: z.number().int(),
  sgv: z.number().finite(),
  direction: directionSchema.optional(),
  trend: z.number().finite().optional(),
  device: z.string(),
  source: z.string(),
});
export type RingLine = z.infer<typeof ringLineSchema>;

/** Readings by date. */
export type Ring = Map<number, RingLine>;

export function toRingLine(reading: Reading): RingLine {
  const { bridge: _bridge, direction, trend, ...rest } = reading;
  return { ...rest, ...(direction === undefined ? {} : { direction }), ...(trend === undefined ? {} : { trend }) };
}

function keeps(line: RingLine, nowMs: number): boolean {
  return line.date >= nowMs - CACHE_MS && !isFuture(line.date, nowMs);
}

/** Drops what aged past 24 h, then the oldest beyond the size bound. */
export function trimRing(ring: Ring, nowMs: number): void {
  for (const [date, line] of ring) if (!keeps(line, nowMs)) ring.delete(date);
  if (ring.size <= MAX_RING_READINGS) return;
  const dates = [...ring.keys()].sort((a, b) => a - b);
  for (const date of dates.slice(0, ring.size - MAX_RING_READINGS)) ring.delete(date);
}

/**
 * The ring a file's lines describe, for a bridge whose source is `source`. Lines of another shape
 * (a torn line, a hand edit), of another source (the bridge id now names another account or the
 * simulator), from the future or older than 24 h are left out.
 */
export function restoreRing(lines: readonly unknown[], source: string, nowMs: number): Ring {
  const ring: Ring = new Map();
  for (const value of lines) {
    const parsed = ringLineSchema.safeParse(value);
    if (parsed.success && parsed.data.source === source && keeps(parsed.data, nowMs)) ring.set(parsed.data.date, parsed.data);
  }
  trimRing(ring, nowMs);
  return ring;
}

function same(a: RingLine, b: RingLine): boolean {
  return a.sgv === b.sgv && a.direction === b.direction && a.trend === b.trend && a.device === b.device && a.source === b.source;
}

/**
 * The oldest date a new reading can have and still be kept: within 24 h, and among the newest
 * `MAX_RING_READINGS` of what the ring holds and what arrives. Lets a day's back-fill at a 1-s
 * cadence (86,400 readings, fetched again while an output catches up) be skipped over, not copied.
 */
export function admissionFloor(ring: Ring, dates: readonly number[], nowMs: number): number {
  let floor = nowMs - CACHE_MS;
  if (ring.size >= MAX_RING_READINGS) {
    let oldest = Infinity;
    for (const date of ring.keys()) oldest = Math.min(oldest, date);
    floor = Math.max(floor, oldest);
  }
  if (dates.length > MAX_RING_READINGS) {
    const sorted = Float64Array.from(dates).sort();
    floor = Math.max(floor, sorted[sorted.length - MAX_RING_READINGS]!);
  }
  return floor;
}

/** Puts `lines` into the ring and returns those that are news (a new time or a changed value): the ones to append. */
export function admitToRing(ring: Ring, lines: readonly RingLine[], nowMs: number): RingLine[] {
  const news: RingLine[] = [];
  for (const line of lines) {
    if (!keeps(line, nowMs)) continue;
    const known = ring.get(line.date);
    if (known && same(known, line)) continue;
    ring.set(line.date, line);
    news.push(line);
  }
  trimRing(ring, nowMs);
  // A line the size bound dropped at once (older than everything kept) is not worth writing.
  return news.filter((line) => ring.get(line.date) === line);
}

/** Rewriting is due once the file holds about twice what the ring keeps: bounded size, rare rewrites. */
export function compactionDue(fileLines: number, kept: number): boolean {
  return fileLines > 2 * kept + COMPACT_SLACK_LINES;
}

/** The ring oldest first, as the file is written. */
export function ringLines(ring: Ring): RingLine[] {
  return [...ring.values()].sort((a, b) => a.date - b.date);
}

export function ringReadings(ring: Ring, bridge: string): Reading[] {
  return ringLines(ring).map((line) => ({ ...line, bridge }));
}
