import { COLLECTIONS, type Batch, type Collection, type NewestDates, type NightscoutDocument } from '../lib/domain.js';
import { isFuture } from '../lib/future.js';
import { classify, type Decision } from '../lib/errors.js';
import type { FetchWindow } from '../lib/contracts/source.js';

/** Where in a frame an attempt failed; it changes what the error means. */
export type Phase = 'session' | 'gaps' | 'fetch' | 'transform' | 'persist';

/**
 * The window a frame asks the vendor for. It starts at the oldest of the outputs' newest
 * documents, so the output furthest behind is filled; an output that has nothing (or could not
 * say) for one of the loop's collections means "back-fill everything the vendor keeps".
 * Never older than the vendor's history, never newer than now.
 */
export function gapWindow(
  nowMs: number,
  loop: { historyMs: number; collections: readonly Collection[] },
  newest: readonly (NewestDates | undefined)[],
): FetchWindow {
  const floor = nowMs - loop.historyMs;
  let oldest: number | undefined;
  let anyMissing = newest.length === 0 || loop.collections.length === 0;
  for (const dates of newest) {
    for (const collection of loop.collections) {
      const date = dates?.[collection];
      if (date === undefined) anyMissing = true;
      else oldest = oldest === undefined ? date : Math.min(oldest, date);
    }
  }
  const fromMs = anyMissing || oldest === undefined ? floor : Math.max(floor, oldest);
  return { fromMs: Math.min(fromMs, nowMs), toMs: nowMs };
}

/** Newest entry any output already holds: tells the scheduler when the vendor had its last reading. */
export function newestEntryAcross(newest: readonly (NewestDates | undefined)[]): number | undefined {
  let max: number | undefined;
  for (const dates of newest) {
    const date = dates?.entries;
    if (date !== undefined && (max === undefined || date > max)) max = date;
  }
  return max;
}

/**
 * What a failed attempt means for the next one. Vendor-side errors go through `classify`.
 * A transform failure is never retried: the same vendor answer fails the same way.
 * Output-side errors are always retried: outputs are idempotent, and an output's 401 or 429 says
 * nothing about the vendor session or the vendor's rate limit. A 401 while logging in means the
 * credentials were refused: logging in again at once would only count towards a vendor lockout.
 */
export function decide(error: unknown, phase: Phase, nowMs: number): Decision {
  if (phase === 'transform') return { action: 'stop' };
  if (phase === 'persist' || phase === 'gaps') return { action: 'retry' };
  const decision = classify(error, nowMs);
  if (phase === 'session' && decision.action === 'reauthenticate') return { action: 'stop' };
  return decision;
}

/** Documents of a batch dated in the future: outputs hold them until their time (DLQ004). */
export function futureDocuments(batch: Batch, nowMs: number): { collection: Collection; doc: NightscoutDocument }[] {
  const out: { collection: Collection; doc: NightscoutDocument }[] = [];
  for (const collection of COLLECTIONS) for (const doc of batch[collection] as NightscoutDocument[]) if (isFuture(doc.date, nowMs)) out.push({ collection, doc });
  return out;
}

/** The newest entry of a batch that is not in the future: a wrong clock must not move the schedule. */
export function newestPlausibleEntry(batch: Batch, nowMs: number): number | undefined {
  let newest: number | undefined;
  for (const doc of batch.entries) if (!isFuture(doc.date, nowMs) && (newest === undefined || doc.date > newest)) newest = doc.date;
  return newest;
}
