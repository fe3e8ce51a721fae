import type { BridgeEvent } from '../lib/contracts/bridge-events.js';
import { describeAhead } from '../lib/future.js';
import { impossibleWarning } from '../lib/glucose-range.js';
import { describeNewest, type ShownUnit } from '../lib/glucose-text.js';
import { backlogStatus } from '../lib/backlog-progress.js';
import { fetchSummary, type FetchUnderWay } from '../lib/fetch-progress.js';
import { fetchTicker } from '../lib/fetch-ticker.js';
import type { Entry } from '../lib/domain.js';
import type { Logger } from '../lib/logger.js';

/**
 * Identifiers already warned about (future-dated, impossible glucose): a vendor that repeats one
 * every frame — LibreLink Up resends 12 h each minute — gets one line, not one a frame.
 */
const WARNED_REMEMBERED = 1_000;

/** The ones of `ids` not warned about yet, now remembered; the oldest are forgotten past the bound. */
function unwarned(seen: Set<string>, ids: readonly string[]): Set<string> {
  const fresh = new Set(ids.filter((id) => !seen.has(id)));
  for (const id of fresh) seen.add(id);
  for (const id of seen) {
    if (seen.size <= WARNED_REMEMBERED) break;
    seen.delete(id);
  }
  return fresh;
}

function formatDelay(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m}m` : `${m}m ${s % 60}s`;
}

interface Counts {
  stored: number;
  duplicates: number;
  rejected: number;
  queued: number;
}

const noCounts = (): Counts => ({ stored: 0, duplicates: 0, rejected: 0, queued: 0 });

export interface BridgeLogOptions {
  quietSuccess?: boolean;
  /** The bridge's clock, for how long a fetch took. */
  now?: () => number;
  /**
   * For a person at a terminal: each frame's line ends with the newest glucose, its arrow, local
   * time and age in `unit` (machine logs carry no glucose above debug), and a back-fill, or a
   * fetch running longer than 2 s, shows its progress on a status line (`progress(key, text)`,
   * undefined when done).
   */
  terminal?: { unit: ShownUnit; now: () => number; progress: (key: string, text: string | undefined) => void };
}

/** The newest sensor reading of `entries`, or `previous` when it is newer (a frame of duplicates). */
function newestReading(entries: readonly Entry[], previous: Entry | undefined): Entry | undefined {
  return entries.reduce<Entry | undefined>((best, e) => (e.sgv !== undefined && (best === undefined || e.date > best.date) ? e : best), previous);
}

/** A bridge's events to its log; `stop` when the bridge stops takes down its status lines. */
export type BridgeLog = ((event: BridgeEvent) => void) & { stop: () => void };

/**
 * Turns machine events into log lines: one line per frame and per state change worth knowing,
 * never glucose documents above debug level. A long fetch shows on a terminal's status line while
 * it runs, and gets one line in a machine log once it is over.
 */
export function bridgeLogger(log: Logger, options: BridgeLogOptions = {}): BridgeLog {
  const now = options.now ?? options.terminal?.now ?? Date.now;
  const fetching = new Map<string, FetchUnderWay>();
  const ticker = options.terminal && fetchTicker(options.terminal.progress, now);
  const fetchKey = (bridgeId: string, loop: string): string => `${bridgeId}/fetch/${loop}`;
  /** The fetch of `loop` is over, whatever its end. */
  const fetchEnded = (bridgeId: string, loop: string): FetchUnderWay | undefined => {
    const fetch = fetching.get(loop);
    fetching.delete(loop);
    ticker?.clear(fetchKey(bridgeId, loop));
    return fetch;
  };
  const stored = new Map<string, Counts>();
  const newest = new Map<string, Entry>();
  const backlog = backlogStatus();
  const futureSeen = new Set<string>();
  const impossibleSeen = new Set<string>();
  const toLog = (event: BridgeEvent): void => {
    switch (event.type) {
      case 'frame.impossible': {
        const ids = unwarned(impossibleSeen, event.readings.map((r) => r.identifier));
        const fresh = event.readings.filter((r) => ids.has(r.identifier));
        if (fresh.length === 0) return;
        const warning = impossibleWarning(event.loop, fresh);
        log.warn({ code: warning.code, loop: event.loop, count: fresh.length }, warning.toUserLine());
        // Glucose values only at debug, like every document.
        log.debug({ loop: event.loop, readings: fresh.map((r) => ({ date: new Date(r.date).toISOString(), mgdl: r.mgdl })) }, 'readings kept out of sgv');
        return;
      }
      case 'frame.future': {
        const ids = unwarned(futureSeen, event.documents.map(({ doc }) => doc.identifier));
        const fresh = event.documents.filter(({ doc }) => ids.has(doc.identifier));
        if (fresh.length === 0) return;
        const newest = fresh.reduce((a, b) => (b.doc.date > a.doc.date ? b : a));
        const what = fresh.length === 1 ? `a document in ${newest.collection}` : `${fresh.length} documents, the newest in ${newest.collection},`;
        log.warn(
          { code: 'DLQ004', loop: event.loop, count: fresh.length, date: new Date(newest.doc.date).toISOString() },
          `[DLQ004] ${event.loop}: the source sent ${what} dated ${describeAhead(newest.doc.date, event.nowMs)}; no output stores it before its time, and none counts it as newest`,
        );
        return;
      }
      case 'output.delivery':
        // The dead-letter queue logs its own progress lines and summary; a terminal also gets a live one.
        if (options.terminal) {
          const key = `${event.bridgeId}/${event.report.output}`;
          options.terminal.progress(key, backlog(key, event.report, options.terminal.now()));
        }
        return;
      case 'session.established':
        log.debug('session established');
        return;
      case 'session.failed':
        log.warn({ err: event.error }, 'login failed');
        return;
      case 'session.expired':
        log.info('session expired; will log in again');
        return;
      case 'frame.fetching': {
        const fetch = { label: event.loop, window: event.window, startedMs: event.startedMs };
        fetching.set(event.loop, fetch);
        ticker?.watch(fetchKey(event.bridgeId, event.loop), { ...fetch, label: `${event.bridgeId} ${event.loop}` });
        return;
      }
      case 'frame.fetched': {
        const fetch = fetchEnded(event.bridgeId, event.loop);
        // A terminal showed the long fetch while it ran; a machine log gets one line, and only for a long one.
        const summary = fetch && !options.terminal ? fetchSummary(fetch, now()) : undefined;
        if (summary !== undefined && fetch) log.info({ loop: event.loop, window: event.window, fetchMs: now() - fetch.startedMs }, summary);
        else log.debug({ loop: event.loop, window: event.window }, 'fetched');
        return;
      }
      case 'frame.transformed': {
        const reading = options.terminal && newestReading(event.batch.entries, newest.get(event.loop));
        if (reading) newest.set(event.loop, reading);
        log.debug({ loop: event.loop, entries: event.batch.entries.length, treatments: event.batch.treatments.length }, 'transformed');
        return;
      }
      case 'frame.stored': {
        const acc = stored.get(event.loop) ?? noCounts();
        acc.stored += event.result.stored;
        acc.duplicates += event.result.duplicates;
        acc.rejected += event.result.rejected ?? 0;
        if (event.result.delivery !== 'backlog') acc.queued += event.result.queued ?? 0;
        stored.set(event.loop, acc);
        const { error, ...counts } = event.result;
        if (counts.retrying !== undefined) {
          log.warn(
            { loop: event.loop, output: event.output, retrying: counts.retrying },
            `${event.output}: ${counts.retrying} document(s) failed on their own while the others went through; retried later, set aside if they keep failing (see gluco-hub dlq list)`,
          );
        }
        if (counts.delivery === 'backlog') {
          log.debug({ loop: event.loop, output: event.output, waiting: counts.waiting ?? 0 }, `${event.output}: delivering a backlog, ${counts.waiting ?? 0} waiting`);
        } else if (counts.queued !== undefined || error !== undefined) {
          log.warn(
            { loop: event.loop, output: event.output, queued: counts.queued ?? 0, waiting: counts.waiting ?? 0, err: error },
            `${event.output} unavailable: ${counts.queued ?? 0} queued, ${counts.waiting ?? 0} waiting to be delivered`,
          );
        } else log.debug({ loop: event.loop, output: event.output, ...counts }, 'stored');
        return;
      }
      case 'frame.outputFailed':
        log.warn({ loop: event.loop, output: event.output, err: event.error }, 'output failed');
        return;
      case 'frame.attemptFailed':
        fetchEnded(event.bridgeId, event.loop);
        log.warn({ loop: event.loop, attempt: event.attempt, err: event.error, retryInMs: event.retryInMs }, 'attempt failed');
        return;
      case 'frame.done': {
        fetchEnded(event.bridgeId, event.loop);
        const { rejected, queued, ...acc } = stored.get(event.loop) ?? noCounts();
        stored.delete(event.loop);
        const reading = newest.get(event.loop);
        const glucose = reading?.sgv !== undefined && options.terminal ? ` · ${describeNewest({ mgdl: reading.sgv, direction: reading.direction, date: reading.date }, options.terminal.unit, options.terminal.now())}` : '';
        const next = `${glucose}${event.nextInMs === undefined ? '' : `; next in ${formatDelay(event.nextInMs)}`}`;
        // Refused documents are rare and need a person's eye: shown only when there are some.
        const refused = (rejected > 0 ? `, ${rejected} rejected` : '') + (queued > 0 ? `, ${queued} queued for an output that is down` : '');
        const fields = { loop: event.loop, outcome: event.result.outcome, fetched: event.result.fetched, ...acc, ...(rejected > 0 ? { rejected } : {}), ...(queued > 0 ? { queued } : {}) };
        if (event.result.outcome === 'success' && options.quietSuccess) log.debug(fields, `${event.loop}: done`);
        else if (event.result.outcome === 'success' && rejected + queued > 0) log.warn(fields, `${event.loop}: ${acc.stored} new, ${acc.duplicates} already stored${refused}${next}`);
        else if (event.result.outcome === 'success') log.info(fields, `${event.loop}: ${acc.stored} new, ${acc.duplicates} already stored${next}`);
        else log.warn({ ...fields, err: event.result.error }, `${event.loop}: frame ${event.result.outcome}${next}`);
        return;
      }
    }
  };
  return Object.assign(toLog, { stop: () => ticker?.stop() });
}
