/**
 * Retention of the filesystem output (`keepDays`): which day files a sweep deletes. Pure; the
 * output does the deleting. Days are UTC days, as the files are named.
 */
import { DAY_FILE, dayOf } from './layout.js';

const DAY_MS = 24 * 60 * 60_000;

/** A sweep runs at start and then this often. */
export const SWEEP_INTERVAL_MS = DAY_MS;

/**
 * The oldest UTC day kept: today and the `keepDays` days before it stay, so at least `keepDays`
 * whole days of history are always there (a 14-day report with `keepDays` 14 has all of it).
 */
export function oldestKeptDay(nowMs: number, keepDays: number): string {
  return dayOf(nowMs - keepDays * DAY_MS);
}

/** Day file names among `names` that are older than the oldest kept day; never today's or a newer one. */
export function expiredDayFiles(names: readonly string[], nowMs: number, keepDays: number): string[] {
  const oldest = oldestKeptDay(nowMs, Math.max(1, Math.floor(keepDays)));
  return names.filter((name) => {
    const day = DAY_FILE.exec(name)?.[1];
    return day !== undefined && day < oldest;
  });
}
