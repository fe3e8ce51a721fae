import type { Collection } from '../../lib/domain.js';
import type { Logger } from '../../lib/logger.js';
import type { FetchWindow, SourceLoop } from '../../lib/contracts/source.js';
import { nssError } from './errors.js';
import { readCollection, type ReadOptions } from './read.js';
import type { NssSession } from './session.js';
import { transformAnswer, type TransformReport } from './transform.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface LoopTiming {
  expectedIntervalMs: number;
  lagMs: number;
  historyMs: number;
}

/**
 * Per collection. Uploaders write a CGM reading every 5 min and usually within seconds; the
 * entries frame runs 30 s after the next reading is due. Treatments and device statuses are not
 * aligned to readings, so they are simply read every 5 min. A first run (or an output that lost
 * its data) back-fills 30 days of entries and treatments — a useful back-up or migration of the
 * recent past without hours of paging; device statuses are large (loop predictions, tens of KB
 * each) and only recent ones matter to Nightscout's displays, so they go back 7 days.
 */
export const LOOP_TIMING: Record<Collection, LoopTiming> = {
  entries: { expectedIntervalMs: 5 * MINUTE_MS, lagMs: 30_000, historyMs: 30 * DAY_MS },
  treatments: { expectedIntervalMs: 5 * MINUTE_MS, lagMs: 0, historyMs: 30 * DAY_MS },
  devicestatus: { expectedIntervalMs: 5 * MINUTE_MS, lagMs: 0, historyMs: 7 * DAY_MS },
};

/** Nightscout has no rate limit; this floor only keeps a late-reading chase from hammering it. */
export const MIN_INTERVAL_MS = MINUTE_MS;
export const MAX_RETRIES = 3;
/**
 * A first run pages through 30 days (up to 200 pages of 500), which can take minutes against a
 * slow site; a fetch that is cut off stores nothing and would start over, so the bound is generous.
 */
export const FETCH_DEADLINE_MS = 15 * MINUTE_MS;

const REPORTED_REASONS = 3;

/** Skips and repairs are worth a warning (their codes are listed in docs/errors.md); the rest is debug detail. */
function logReport(log: Logger, report: TransformReport): void {
  const { collection, skipped, dropped } = report;
  if (skipped.length > 0) {
    const reasons = skipped.slice(0, REPORTED_REASONS).map((s) => `${s.key}: ${s.reason}`).join('; ');
    const more = skipped.length > REPORTED_REASONS ? `; and ${skipped.length - REPORTED_REASONS} more` : '';
    const error = nssError('NSS004', { params: { count: skipped.length, collection, reasons: `${reasons}${more}` } });
    log.warn({ code: error.code, collection, skipped: skipped.length }, error.message);
  }
  if (dropped.size > 0) {
    const fields = [...dropped].map(([field, n]) => `${field} ×${n}`).join(', ');
    const count = Math.max(...dropped.values());
    const error = nssError('NSS005', { params: { count, collection, fields } });
    log.warn({ code: error.code, collection }, error.message);
  }
  if (report.deleted + report.duplicates + report.outside > 0) {
    log.debug({ collection, deleted: report.deleted, duplicates: report.duplicates, outside: report.outside }, 'documents not passed on');
  }
}

export interface CollectionLoopOptions {
  read: ReadOptions;
  log: Logger;
  /** `device` for documents without one. */
  device: string;
}

/** One loop per collection: read the window from the source site, pass on what is new. */
export function collectionLoop(collection: Collection, options: CollectionLoopOptions): SourceLoop<NssSession> {
  return {
    name: collection,
    collections: [collection],
    ...LOOP_TIMING[collection],
    minIntervalMs: MIN_INTERVAL_MS,
    maxRetries: MAX_RETRIES,
    fetchDeadlineMs: FETCH_DEADLINE_MS,
    fetch: (session: NssSession, window: FetchWindow, signal: AbortSignal) => readCollection(options.read, session.api, collection, window, signal),
    transform(raw: unknown, window: FetchWindow) {
      const report = transformAnswer(raw, window, options.device);
      logReport(options.log, report);
      return report.batch;
    },
  };
}
