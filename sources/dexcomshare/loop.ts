import type { Logger } from '../../lib/logger.js';
import { forgetOnExpiry } from '../../lib/saved-session.js';
import type { BackoffPolicy } from '../../lib/time.js';
import type { FetchWindow, SourceLoop } from '../../lib/contracts/source.js';
import type { ShareClient } from './client.js';
import { dexError } from './errors.js';
import { readingsAnswer } from './responses.js';
import { SESSION_RENEW_MS, type ShareSession } from './session.js';
import { transformReadings } from './transform.js';

const MINUTE_MS = 60_000;
/** A reading every 5 min. */
export const READING_INTERVAL_MS = 5 * MINUTE_MS;
/** New readings are on Share within ~20 s of the phone's upload. */
export const SHARE_LAG_MS = 20_000;
/** Share's limits: `minutes` ≤ 1440, `maxCount` ≤ 288 (24 h of 5-min readings). */
export const MAX_MINUTES = 1440;
export const MAX_COUNT = 288;
export const SHARE_HISTORY_MS = MAX_MINUTES * MINUTE_MS;
export const SHARE_MAX_RETRIES = 2;
export const SHARE_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 30 * MINUTE_MS };
/** After this long with nothing but empty answers, tell the user Share or the followers may be off. */
export const EMPTY_HINT_AFTER_MS = 24 * 60 * MINUTE_MS;

/** `minutes` and `maxCount` for a gap that starts at `fromMs`: the whole gap, within Share's limits. */
export function queryFor(window: FetchWindow, nowMs: number): { minutes: number; maxCount: number } {
  const minutes = Math.min(MAX_MINUTES, Math.max(1, Math.ceil((nowMs - window.fromMs) / MINUTE_MS)));
  const maxCount = Math.min(MAX_COUNT, Math.max(1, Math.ceil(minutes / 5) + 1));
  return { minutes, maxCount };
}

export interface ReadingsLoopOptions {
  client: ShareClient;
  forget: (session: ShareSession) => Promise<void>;
  now: () => number;
  log: Logger;
  /** The longest wait between two polls; polls align to readings within it. */
  intervalSeconds: number;
  /** The shortest wait between two successful polls. */
  minIntervalSeconds: number;
}

/** Counts empty answers; after a day of nothing, one warning a day. */
function emptyTracker(options: ReadingsLoopOptions): (count: number) => void {
  let emptySince: number | undefined;
  let warnedAt: number | undefined;
  return (count) => {
    const now = options.now();
    if (count > 0) {
      emptySince = undefined;
      warnedAt = undefined;
      return;
    }
    emptySince ??= now;
    const quietMs = now - emptySince;
    if (quietMs < EMPTY_HINT_AFTER_MS || (warnedAt !== undefined && now - warnedAt < EMPTY_HINT_AFTER_MS)) return;
    warnedAt = now;
    const hint = dexError('DEX016', { params: { hours: Math.floor(quietMs / (60 * MINUTE_MS)) } });
    options.log.warn({ code: hint.code }, hint.toUserLine());
  };
}

async function fetchReadings(options: ReadingsLoopOptions, noteCount: (n: number) => void, session: ShareSession, window: FetchWindow, signal: AbortSignal): Promise<unknown> {
  const now = options.now();
  if (now - session.establishedMs >= SESSION_RENEW_MS) {
    await options.forget(session);
    throw dexError('DEX006', { params: { reason: 'renewing a session close to 24 h old' }, cause: new Error(`session from ${new Date(session.establishedMs).toISOString()}`) });
  }
  const response = await options.client.readings(session, session.sessionId, queryFor(window, now), signal);
  // The machines log in again once (step 2 only); the dead session must not come back from the state store.
  const readings = await forgetOnExpiry(() => options.forget(session), () => readingsAnswer(response, options.now()));
  noteCount(readings.length);
  return readings;
}

/**
 * The one loop: each frame reads the readings since the outputs' newest (gap analysis), at most
 * 24 h / 288, and yields entries. The next frame is aligned to the newest reading + 5 min + ~20 s.
 */
export function readingsLoop(options: ReadingsLoopOptions): SourceLoop<ShareSession> {
  const noteCount = emptyTracker(options);
  return {
    name: 'entries',
    collections: ['entries'],
    expectedIntervalMs: Math.min(READING_INTERVAL_MS, options.intervalSeconds * 1000),
    minIntervalMs: options.minIntervalSeconds * 1000,
    lagMs: SHARE_LAG_MS,
    historyMs: SHARE_HISTORY_MS,
    maxRetries: SHARE_MAX_RETRIES,
    backoff: SHARE_BACKOFF,
    fetch: (session, window, signal) => fetchReadings(options, noteCount, session, window, signal),
    transform: (raw) => transformReadings(raw),
  };
}
