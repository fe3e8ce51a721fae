import type { FetchWindow } from './contracts/source.js';
import { PROGRESS_AFTER_MS } from './backlog-progress.js';
import { localDayAndClock } from './glucose-text.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** How much history a window asks for, in words: `14 days`, `3 hours`, `25 minutes`. */
export function describeSpan(window: FetchWindow): string {
  const ms = Math.max(0, window.toMs - window.fromMs);
  if (ms >= DAY - HOUR / 2) return plural(Math.round(ms / DAY), 'day');
  if (ms >= HOUR - MINUTE / 2) return plural(Math.round(ms / HOUR), 'hour');
  return plural(Math.max(1, Math.round(ms / MINUTE)), 'minute');
}

/** `6 s`, `2 min 5 s`. */
export function describeElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 === 0 ? '' : ` ${s % 60} s`}`;
}

export interface FetchUnderWay {
  /** Who fetches, as the line starts: `glooko cgm`. */
  label: string;
  window: FetchWindow;
  startedMs: number;
}

/**
 * The status-line text of a fetch still running — `glooko cgm: fetching 14 days of history (since
 * 23 Nov 10:00) · 6 s` — or undefined while it is younger than `PROGRESS_AFTER_MS`: most polls
 * are over before anyone could read a line.
 */
export function fetchProgress(fetch: FetchUnderWay, nowMs: number, timeZone?: string): string | undefined {
  const elapsed = nowMs - fetch.startedMs;
  if (elapsed < PROGRESS_AFTER_MS) return undefined;
  return `${fetch.label}: fetching ${describeSpan(fetch.window)} of history (since ${localDayAndClock(fetch.window.fromMs, timeZone)}) · ${describeElapsed(elapsed)}`;
}

/**
 * The one log line a machine log gets for a fetch that took `PROGRESS_AFTER_MS` or longer —
 * `cgm: fetched 14 days of history in 12 s` — and undefined for a shorter one (every poll).
 */
export function fetchSummary(fetch: FetchUnderWay, nowMs: number): string | undefined {
  const elapsed = nowMs - fetch.startedMs;
  if (elapsed < PROGRESS_AFTER_MS) return undefined;
  return `${fetch.label}: fetched ${describeSpan(fetch.window)} of history in ${describeElapsed(elapsed)}`;
}
