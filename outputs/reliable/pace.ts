/**
 * How fast an output takes a backlog, pure: the slice size that keeps one request round near
 * `SLICE_TARGET_MS` (a slow site gets small slices, so a deadline or a stop costs little; a fast
 * one large slices, so the queue file is rewritten seldom), and the time left at the pace so far.
 */

export const SLICE_TARGET_MS = 2_000;
export const MIN_SLICE = 10;
/** A local output (files, a broker) takes a day of 1-second readings in one or two slices. */
export const MAX_SLICE = 50_000;
export const FIRST_SLICE = 100;

export function nextSliceSize(sent: number, elapsedMs: number): number {
  if (sent <= 0) return FIRST_SLICE;
  const perMs = sent / Math.max(1, elapsedMs);
  return Math.round(Math.min(MAX_SLICE, Math.max(MIN_SLICE, perMs * SLICE_TARGET_MS)));
}

export interface Backlog {
  startedMs: number;
  /** Documents waiting when it started, plus those added since. */
  total: number;
  delivered: number;
}

export function startBacklog(nowMs: number, waiting: number): Backlog {
  return { startedMs: nowMs, total: waiting, delivered: 0 };
}

/** Milliseconds left at the pace so far; undefined before anything was delivered. */
export function etaMs(backlog: Backlog, waiting: number, nowMs: number): number | undefined {
  const elapsed = nowMs - backlog.startedMs;
  if (backlog.delivered <= 0 || elapsed <= 0) return undefined;
  return Math.round((waiting * elapsed) / backlog.delivered);
}

