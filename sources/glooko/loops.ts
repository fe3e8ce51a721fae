import { forgetOnExpiry } from '../../lib/saved-session.js';
import type { BackoffPolicy } from '../../lib/time.js';
import type { FetchWindow, SourceLoop } from '../../lib/contracts/source.js';
import type { GlookoClient } from './client.js';
import { countUsable, transformCgm, type CgmRaw } from './entries.js';
import { CGM_SERIES, EGVS, TREATMENT_FEEDS } from './feeds.js';
import { readFeed, ZERO_GUID, type Cursor } from './paging.js';
import { dataAnswer } from './responses.js';
import type { GlookoSession } from './session.js';
import { utcToWall, wallIso } from './timezone.js';
import { transformTreatments, type TreatmentsRaw } from './treatments.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/**
 * Each frame's feeds start this far before the outputs' newest document. Update times (the
 * cursor) are real UTC and never earlier than the event, but event times are only as right as the
 * pump's clock and the zone: a pump an hour off after a clock change must not hide an update.
 */
export const CURSOR_SLACK_MS = 3 * 60 * MINUTE_MS;
/** The graph answers at most two days per request. */
export const GRAPH_SLICE_MS = 2 * DAY_MS;
/** Glooko is sync-driven: data arrives when the phone or pump uploads; a frame soon after is enough. */
export const GLOOKO_LAG_MS = 60_000;
export const GLOOKO_MAX_RETRIES = 2;
export const GLOOKO_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 30 * MINUTE_MS };

export interface LoopOptions {
  client: GlookoClient;
  forget: (session: GlookoSession) => Promise<void>;
  now: () => number;
  /** How far back a first run reads, and the oldest gap filled. */
  lookbackDays: number;
  intervalSeconds: number;
  /** Read `/api/v3/graph/data` when the egvs feed has nothing. */
  useGraph: boolean;
}

/**
 * The first page of a frame: updates since the outputs' newest document (minus the slack), as real
 * UTC. A failed frame stores nothing, so the next one starts from the same place: the cursor is kept.
 */
export function startCursor(window: FetchWindow): Cursor {
  return { lastUpdatedAt: new Date(window.fromMs - CURSOR_SLACK_MS).toISOString(), lastGuid: ZERO_GUID };
}

/**
 * A first run pages through the whole look-back (up to 200 pages a feed, 3 requests at a time),
 * which can take minutes against a slow Glooko; a fetch that is cut off stores nothing and would
 * start over, so the bound is generous.
 */
export const GLOOKO_FETCH_DEADLINE_MS = 15 * 60_000;

/** Both loops poll on the same cadence and reach back the same look-back. */
function schedule(options: LoopOptions): Omit<SourceLoop<GlookoSession>, 'name' | 'collections' | 'fetch' | 'transform'> {
  return {
    expectedIntervalMs: options.intervalSeconds * 1000,
    minIntervalMs: options.intervalSeconds * 1000,
    lagMs: GLOOKO_LAG_MS,
    historyMs: options.lookbackDays * DAY_MS,
    maxRetries: GLOOKO_MAX_RETRIES,
    backoff: GLOOKO_BACKOFF,
    fetchDeadlineMs: GLOOKO_FETCH_DEADLINE_MS,
  };
}

/** Runs a data call; a 401 drops the persisted session before the machines sign in again. */
function guarded<T>(options: LoopOptions, session: GlookoSession, call: () => Promise<T>): Promise<T> {
  return forgetOnExpiry(() => options.forget(session), call);
}

/** The graph's CGM points for `window`, newest slice first, two days a request. */
async function graphPoints(options: LoopOptions, session: GlookoSession, window: FetchWindow, signal: AbortSignal): Promise<unknown[]> {
  const slices: { from: number; to: number }[] = [];
  for (let to = window.toMs; to > window.fromMs; to -= GRAPH_SLICE_MS) slices.push({ from: Math.max(window.fromMs, to - GRAPH_SLICE_MS), to });
  const answers = await Promise.all(
    slices.map(async (slice) => {
      const params = {
        patient: session.glookoCode,
        startDate: wallIso(utcToWall(session.zone, slice.from)),
        endDate: wallIso(utcToWall(session.zone, slice.to)),
        locale: 'en',
        insulinTooltips: 'false',
        filterBgReadings: 'false',
        splitByDay: 'false',
      };
      return dataAnswer(await options.client.graph(session, session.jar, params, CGM_SERIES, signal), options.now());
    }),
  );
  return answers.flatMap((body) => {
    const series = body?.series as Record<string, unknown> | undefined;
    return CGM_SERIES.flatMap((name) => (Array.isArray(series?.[name]) ? (series[name] as unknown[]) : []));
  });
}

/** The CGM loop: the egvs feed, and the graph when the feed has never had a reading for this account. */
export function cgmLoop(options: LoopOptions): SourceLoop<GlookoSession> {
  // An empty feed after readings came through means "nothing new yet", not "this account has no feed".
  let feedHasReadings = false;
  // An account with no CGM at all would otherwise have its whole look-back asked of the graph every poll.
  let graphEmptyUntil: number | undefined;
  async function fallback(session: GlookoSession, window: FetchWindow, signal: AbortSignal): Promise<unknown[]> {
    const fromMs = graphEmptyUntil === undefined ? window.fromMs : Math.max(window.fromMs, graphEmptyUntil - CURSOR_SLACK_MS);
    const points = await graphPoints(options, session, { fromMs, toMs: window.toMs }, signal);
    graphEmptyUntil = points.length === 0 ? window.toMs : undefined;
    return points;
  }
  async function fetch(session: GlookoSession, window: FetchWindow, signal: AbortSignal): Promise<CgmRaw> {
    return guarded(options, session, async () => {
      const from = startCursor(window);
      const startDate = wallIso(utcToWall(session.zone, window.fromMs - CURSOR_SLACK_MS));
      const egvs = await readFeed(options.client, EGVS, {
        endpoint: session,
        jar: session.jar,
        glookoCode: session.glookoCode,
        from,
        extra: { startDate },
        nowMs: options.now,
        signal,
      });
      const usable = countUsable(egvs ?? []);
      if (usable > 0) feedHasReadings = true;
      const useGraph = options.useGraph && usable === 0 && !feedHasReadings;
      const graph = useGraph ? await fallback(session, window, signal) : [];
      return { zone: session.zone, ...(session.meterUnits === undefined ? {} : { meterUnits: session.meterUnits }), egvs: egvs ?? [], graph };
    });
  }
  return { ...schedule(options), name: 'entries', collections: ['entries'], fetch, transform: (raw) => transformCgm(raw) };
}

/**
 * The treatments loop: every pump, food and event feed, each paged with its own cursor, all from
 * the treatments' own gap — never from the glucose one, so readings never strand treatments that
 * sync later. If any feed fails, the frame fails and the others are cancelled.
 */
export function treatmentsLoop(options: LoopOptions): SourceLoop<GlookoSession> {
  async function fetch(session: GlookoSession, window: FetchWindow, signal: AbortSignal): Promise<TreatmentsRaw> {
    return guarded(options, session, async () => {
      const controller = new AbortController();
      const abort = (): void => controller.abort(signal.reason);
      signal.addEventListener('abort', abort, { once: true });
      try {
        const read = { endpoint: session, jar: session.jar, glookoCode: session.glookoCode, from: startCursor(window), nowMs: options.now, signal: controller.signal };
        const lists = await Promise.all(
          TREATMENT_FEEDS.map((feed) =>
            readFeed(options.client, feed, read).catch((error: unknown) => {
              controller.abort(error);
              throw error;
            }),
          ),
        );
        const feeds: Record<string, unknown[]> = {};
        TREATMENT_FEEDS.forEach((feed, i) => (feeds[feed.key] = lists[i] ?? []));
        return { zone: session.zone, feeds };
      } finally {
        signal.removeEventListener('abort', abort);
      }
    });
  }
  return { ...schedule(options), name: 'treatments', collections: ['treatments'], fetch, transform: (raw) => transformTreatments(raw) };
}
