/**
 * Freshness: poll when the next reading should be visible at the vendor, learn how late the
 * vendor really is for this bridge, and when the expected reading is not there yet, look again
 * shortly instead of a whole interval later. Pure; the cycle keeps the state (a few numbers).
 *
 * The learned lag moves like a congestion window: a reading that was missing at the target and
 * then found sets the lag to when it was found (an upper bound of the true lag); a reading found
 * right at the target lowers the lag by a small probe, so a vendor that got faster is followed.
 * The price of the probe is an occasional miss, i.e. one extra request every few readings.
 */
export interface Freshness {
  /** Learned lag: how long after its timestamp a reading is visible at the vendor. */
  lagMs: number;
  /** Newest reading date seen so far. */
  newestMs?: number | undefined;
  /** Polls since `newestMs` that expected a newer reading and found none. */
  misses: number;
  /** When the last of those polls was: the reading was not visible then (a lower bound of its lag). */
  lastMissMs?: number | undefined;
}

/** The first retry after a miss is this fraction of the interval… */
const RETRY_FRACTION = 1 / 12;
/** …but at least this long, so a short cadence cannot turn retries into a busy loop… */
export const MIN_MISS_RETRY_MS = 2_000;
/** …and no step (they double per miss) is ever longer than this. */
export const MAX_MISS_RETRY_MS = 20_000;
/** The probe lowers the lag by this fraction of the interval per on-time reading. */
const PROBE_FRACTION = 1 / 200;
/** A frame's own duration (session, gap analysis, the call) still counts as "at the target". */
const ON_TIME_SLACK_MS = 2_000;

export function initialFreshness(lagMs: number): Freshness {
  return { lagMs: Math.max(0, lagMs), misses: 0 };
}

/** The longest lag we believe: beyond one interval the "next" reading is really the one after. */
export function maxLagMs(intervalMs: number, baseLagMs: number): number {
  return Math.max(intervalMs, baseLagMs);
}

/**
 * Folds one successful frame into the state. `nowMs` is when its answer arrived: a reading first
 * seen then was visible no later than that.
 */
export function observeFrame(state: Freshness, nowMs: number, newestMs: number | undefined, intervalMs: number, baseLagMs: number): Freshness {
  if (newestMs === undefined) return state;
  const previous = state.newestMs;
  if (previous !== undefined && newestMs <= previous) {
    const expected = nowMs >= previous + intervalMs;
    return expected ? { ...state, misses: state.misses + 1, lastMissMs: nowMs } : state;
  }
  let lagMs = state.lagMs;
  if (previous !== undefined) {
    // Only the reading right after the previous one tells us anything about the lag; a jump over
    // several readings (after an outage or a late start) says only that we were late.
    const isNext = newestMs - previous <= intervalMs * 1.5;
    const seenAfterMs = nowMs - newestMs;
    if (isNext && state.misses > 0 && state.lastMissMs !== undefined) {
      // Missing at the last miss, there now: somewhere in between. Long retry steps would
      // overstate it, so never more than one short step past the last miss.
      lagMs = Math.min(seenAfterMs, state.lastMissMs - newestMs + missRetryMs(1, intervalMs));
    } else if (isNext && seenAfterMs <= state.lagMs + ON_TIME_SLACK_MS) {
      // Found at the target: maybe it was there earlier. Found later (a floor, a stagger, a late
      // start) says nothing about the vendor.
      lagMs = state.lagMs - intervalMs * PROBE_FRACTION;
    }
    lagMs = Math.min(maxLagMs(intervalMs, baseLagMs), Math.max(0, lagMs));
  }
  // Found late, the reading after it may be due already and not here: that is a miss too, so it
  // is retried shortly rather than a whole slot later.
  const nextDue = nowMs >= newestMs + intervalMs + lagMs;
  return { lagMs, newestMs, misses: nextDue ? 1 : 0, lastMissMs: nextDue ? nowMs : undefined };
}

/** The step before the `misses`-th retry (from 1): interval/12 within 2–20 s, doubling. */
export function missRetryMs(misses: number, intervalMs: number): number {
  const first = Math.min(MAX_MISS_RETRY_MS, Math.max(MIN_MISS_RETRY_MS, intervalMs * RETRY_FRACTION));
  return Math.min(MAX_MISS_RETRY_MS, first * 2 ** Math.max(0, misses - 1));
}

/**
 * When the reading expected at `newest + interval + lag` was missing: retry after a short step
 * while that reading is still due, i.e. before the slot after it (`newest + 2·interval + lag`).
 * Returns undefined when no short retry applies (not missed, or the slot passed: the vendor has
 * a gap, and polling on slots once an interval is enough).
 */
export function missRetryDelayMs(state: Freshness, nowMs: number, intervalMs: number): number | undefined {
  if (state.misses === 0 || state.newestMs === undefined) return undefined;
  const nextSlotMs = state.newestMs + 2 * intervalMs + state.lagMs;
  if (nowMs >= nextSlotMs) return undefined;
  return Math.min(missRetryMs(state.misses, intervalMs), nextSlotMs - nowMs);
}
