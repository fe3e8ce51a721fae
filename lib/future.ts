/**
 * Dates from the future, checked at every edge. A phone with a wrong clock on another uploader,
 * a vendor glitch or anyone who can publish a retained MQTT message can put a reading a month
 * ahead where gluco-hub looks; taken as "the newest", it would make every real reading look
 * already stored. Clocks disagree by seconds, not minutes, so a small skew is allowed.
 */

/** A document dated more than this after now is from the future. */
export const FUTURE_SKEW_MS = 10 * 60_000;

/** A document dated more than this ahead is not held for later: no sensor reads tomorrow. */
export const MAX_HOLD_AHEAD_MS = 24 * 60 * 60_000;

/** The latest date that is not in the future at `nowMs`. */
export function latestPlausible(nowMs: number): number {
  return nowMs + FUTURE_SKEW_MS;
}

export function isFuture(dateMs: number, nowMs: number): boolean {
  return dateMs > latestPlausible(nowMs);
}

/** `dateMs`, or undefined when it is in the future: for newest dates reported by a target. */
export function unlessFuture(dateMs: number | undefined, nowMs: number): number | undefined {
  return dateMs === undefined || isFuture(dateMs, nowMs) ? undefined : dateMs;
}

/** "2027-01-05T10:00:00.000Z (30 d ahead)", for warnings. */
export function describeAhead(dateMs: number, nowMs: number): string {
  const ahead = dateMs - nowMs;
  const minutes = Math.round(ahead / 60_000);
  const text = minutes < 120 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} d`;
  return `${new Date(dateMs).toISOString()} (${text} ahead)`;
}
