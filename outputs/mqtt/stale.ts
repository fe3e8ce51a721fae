import { MAX_TIMER_MS } from '../../lib/time.js';

/** What {@link staleState} needs: the newest reading the bridge has stored, and the clock. */
export interface StaleInput {
  /** Epoch ms of the newest reading; absent before the first one. */
  newestReadingMs?: number | undefined;
  nowMs: number;
  /** Readings at least this old (or none at all) are stale (`GLUCO_HUB__MQTT__STALE_AFTER`, in ms). */
  staleAfterMs: number;
  /**
   * Upper bound for `nextCheckInMs`. Default Node's timer limit; pass the status republish period
   * (e.g. 60 000) to also be woken to refresh `ageSeconds`.
   */
  maxCheckInMs?: number | undefined;
}

export interface StaleState {
  /** True when there is no reading, or the newest one is `staleAfterMs` old or older. */
  stale: boolean;
  /** Whole seconds since the newest reading, never negative; absent without a reading. */
  ageSeconds?: number;
  /**
   * Milliseconds until `stale` can change by time alone, so the output sets one timer instead of
   * polling: at least 1 while fresh (so a timer never spins), capped by `maxCheckInMs`. When
   * already stale only a new reading can change the answer, so this is the cap.
   */
  nextCheckInMs: number;
}

/**
 * Whether the data of a bridge is stale — the state of the "Data stale" problem sensor. Pure: the
 * output calls it after every store and when its timer fires, and publishes `<prefix>/status`
 * when the answer changed. Stale is *decided here*, not by Home Assistant's `expire_after`, which
 * can only make an entity unavailable.
 */
export function staleState(input: StaleInput): StaleState {
  const cap = Math.max(1, Math.min(input.maxCheckInMs ?? MAX_TIMER_MS, MAX_TIMER_MS));
  const newest = input.newestReadingMs;
  if (newest === undefined || !Number.isFinite(newest)) return { stale: true, nextCheckInMs: cap };
  const ageMs = input.nowMs - newest;
  // A reading from the future (clock skew between vendor and us) counts as brand new.
  const ageSeconds = Math.max(0, Math.floor(ageMs / 1000));
  if (ageMs >= input.staleAfterMs) return { stale: true, ageSeconds, nextCheckInMs: cap };
  return { stale: false, ageSeconds, nextCheckInMs: Math.min(Math.max(1, input.staleAfterMs - ageMs), cap) };
}
