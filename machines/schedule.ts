import { backoffMs, clampDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../lib/time.js';
import type { FrameResult } from '../lib/contracts/bridge-events.js';
import { missRetryDelayMs, type Freshness } from './freshness.js';

/** The next frame never starts sooner than this after the last one, so nothing can spin. */
export const MIN_FRAME_GAP_MS = 1_000;

export interface ScheduleLoop {
  collections: readonly string[];
  expectedIntervalMs: number;
  lagMs: number;
  /** The configured floor: no frame after a successful one starts sooner than this. */
  minIntervalMs?: number;
  backoff?: BackoffPolicy;
}

/**
 * When the vendor should have the reading after `newestEntryMs`: newest + interval + lag, or,
 * when that moment has passed (a missed reading), the next such slot in the future. A newest date
 * in the future (clock skew) never pushes the next frame beyond one interval + lag.
 */
export function alignedDelayMs(nowMs: number, newestEntryMs: number, intervalMs: number, lagMs: number): number {
  const longest = intervalMs + lagMs;
  let next = newestEntryMs + longest;
  if (next <= nowMs) {
    const slots = Math.floor((nowMs - newestEntryMs - lagMs) / intervalMs) + 1;
    next = newestEntryMs + slots * intervalMs + lagMs;
  }
  return clampDelay(Math.min(Math.max(MIN_FRAME_GAP_MS, next - nowMs), Math.max(MIN_FRAME_GAP_MS, longest)));
}

/**
 * Backoff after `failures` consecutive failed frames. The step starts at the loop's interval
 * (never below the policy's base) so a failing bridge does not log in more often than a healthy
 * one polls — three quick failed logins lock LibreLinkUp accounts. A vendor's `notBeforeMs`
 * always wins over a shorter backoff.
 */
export function failedFrameDelayMs(
  nowMs: number,
  failures: number,
  loop: ScheduleLoop,
  rand: () => number,
  notBeforeMs?: number,
): number {
  const policy = loop.backoff ?? DEFAULT_BACKOFF;
  const baseMs = Math.max(policy.baseMs, loop.expectedIntervalMs);
  const backoff = backoffMs(failures, { baseMs, capMs: Math.max(policy.capMs, baseMs) }, rand);
  const vendorWait = notBeforeMs === undefined ? 0 : notBeforeMs - nowMs;
  return clampDelay(Math.max(MIN_FRAME_GAP_MS, backoff, vendorWait));
}

/**
 * Delay before the frame after `result`; `failures` already counts `result` if it failed.
 * `freshness` (already updated with `result`) replaces the loop's fixed lag with the learned one
 * and turns a missed reading into a short retry (freshness.ts); without it the lag is `loop.lagMs`.
 */
export function nextFrameDelayMs(
  nowMs: number,
  result: FrameResult,
  failures: number,
  loop: ScheduleLoop,
  rand: () => number,
  freshness?: Freshness,
): number {
  if (result.outcome === 'failed') return failedFrameDelayMs(nowMs, failures, loop, rand, result.notBeforeMs);
  const interval = Math.max(MIN_FRAME_GAP_MS, loop.expectedIntervalMs);
  const floor = Math.max(MIN_FRAME_GAP_MS, loop.minIntervalMs ?? 0);
  if (result.outcome === 'success' && result.newestEntryMs !== undefined && loop.collections.includes('entries')) {
    // A retry for a reading that is due but late is not a new poll cycle: the floor does not apply.
    const retry = freshness ? missRetryDelayMs(freshness, nowMs, interval) : undefined;
    if (retry !== undefined) return clampDelay(Math.max(MIN_FRAME_GAP_MS, retry));
    const lagMs = Math.max(0, freshness?.lagMs ?? loop.lagMs);
    return clampDelay(Math.max(floor, alignedDelayMs(nowMs, result.newestEntryMs, interval, lagMs)));
  }
  return clampDelay(Math.max(floor, interval));
}
