import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BridgeEvent, FrameOutcome } from '../../../lib/contracts/bridge-events.js';
import type { Batch, Direction } from '../../../lib/domain.js';
import { isFuture } from '../../../lib/future.js';
import { newerExpiry, sensorExpiryOf, type SensorExpiry } from '../../../lib/sensor-expiry.js';
import type { DeliveryReport, StoreResult } from '../../../lib/contracts/output.js';
import type { BridgeInfo, SessionState } from '../cache/types.js';
import type { Metrics, MetricsOptions } from './types.js';
import { fleetMetrics } from './fleet.js';

export type { Metrics, MetricsOptions } from './types.js';
export { gitSha, packageVersion } from '../../../lib/version.js';

export const METRICS_PREFIX = 'gluco_hub_';

const FRAME_OUTCOMES: readonly FrameOutcome[] = ['success', 'skipped', 'failed'];
/** A push either landed (`ok`), went to the output's dead-letter queue (`queued`), or threw (`failed`). */
const PUSH_RESULTS = ['ok', 'queued', 'failed'] as const;
const DOCUMENT_RESULTS = ['written', 'duplicate', 'rejected', 'queued'] as const;
const SESSION_STATES: readonly SessionState[] = ['none', 'established', 'failed', 'expired'];
const DELIVERY_STATES: readonly DeliveryReport['state'][] = ['current', 'backlog', 'unavailable'];

/** From a fast vendor answer to a frame that waited for a login and retried. */
const FETCH_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Vendors publish a CGM reading 1–5 min after it was taken; an outage pushes it to hours. */
const DELIVERY_BUCKETS_S = [30, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1800, 3600, 10800];
/**
 * How often the event-loop delay is sampled. prom-client's default, 10 ms, woke an idle bridge 100
 * times a second (~0.6 % of a core between frames). The lag gauges stay, from coarser samples.
 */
export const EVENT_LOOP_SAMPLE_MS = 5_000;

/**
 * The trend as a number for `gluco_hub_glucose_trend`: the arrows' rate classes, signed so a graph
 * reads up as up (⤊ 4, ⇈ 3, ↑ 2, ↗ 1, → 0, ↘ −1, ↓ −2, ⇊ −3, ⤋ −4). The directions that say there
 * is no trend have no number: the series is absent then, not 0, which would read "steady".
 */
export const TREND_RATE: Readonly<Record<Direction, number | undefined>> = {
  TripleUp: 4,
  DoubleUp: 3,
  SingleUp: 2,
  FortyFiveUp: 1,
  Flat: 0,
  FortyFiveDown: -1,
  SingleDown: -2,
  DoubleDown: -3,
  TripleDown: -4,
  'NOT COMPUTABLE': undefined,
  'RATE OUT OF RANGE': undefined,
  NONE: undefined,
};

/** The newest sensor reading a bridge fetched: its value, time and direction. */
interface NewestGlucose {
  dateMs: number;
  mgdl: number;
  direction?: Direction | undefined;
}

interface LoopTiming {
  /** When the frame in progress started: the previous `frame.done` plus its `nextInMs`. */
  frameStartMs?: number | undefined;
  /** When the attempt in progress started: frame start, or `frame.attemptFailed` plus `retryInMs`. */
  attemptStartMs?: number | undefined;
  /** Newest entry `date` of the batch the frame is storing. */
  batchNewestEntryMs?: number | undefined;
}

/**
 * Prometheus metrics for one hub, fed by its bridges' events (`observe`) and read by `GET /metrics`
 * (`render`). Every call owns a private registry, so tests and several hubs never collide.
 *
 * Timing is derived from the events alone (`machines.md`): a frame starts `nextInMs` after the
 * previous `frame.done`, and a retried attempt starts `retryInMs` after its `frame.attemptFailed`.
 * The fetch duration is therefore attempt start → `frame.fetched` (session wait, the outputs'
 * `newest()` and the vendor call); the frame duration is frame start → `frame.done`. The first
 * frame of a loop has no known start and is not timed.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const { now } = options;
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: METRICS_PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [register];
  const name = (suffix: string): string => METRICS_PREFIX + suffix;

  const sources = new Map(options.bridges.map((b) => [b.id, b.source]));
  const sourceOf = (bridge: string): string => sources.get(bridge) ?? 'unknown';
  const timings = new Map<string, LoopTiming>();
  const timing = (bridge: string, loop: string): LoopTiming => {
    const key = JSON.stringify([bridge, loop]);
    let t = timings.get(key);
    if (!t) timings.set(key, (t = {}));
    return t;
  };
  /** Newest reading (entry `date`) each bridge has seen: fetched, or already held by an output. */
  const newestReading = new Map<string, number>();
  /** Newest reading each output has confirmed, by bridge then output. */
  const watermarks = new Map<string, Map<string, number>>();
  const sessions = new Map<string, SessionState>();
  /** Only when `options.glucose`: health data, shown where `/glucose` is open to the same caller. */
  const glucose = new Map<string, NewestGlucose>();
  const sensorEnds = new Map<string, SensorExpiry>();
  const ageSeconds = (dateMs: number): number => Math.max(0, (now() - dateMs) / 1000);

  new Gauge({
    name: name('build_info'),
    help: 'Always 1; the labels say which gluco-hub build is running.',
    labelNames: ['version', 'git_sha'],
    registers,
  }).set({ version: options.version, git_sha: options.gitSha }, 1);

  const fetches = new Counter({
    name: name('fetches_total'),
    help: 'Frames (fetch, transform, store with retries) finished, by outcome: success, skipped (the answer could not be transformed) or failed.',
    labelNames: ['bridge', 'source', 'loop', 'result'],
    registers,
  });
  const fetchDuration = new Histogram({
    name: name('fetch_duration_seconds'),
    help: "From the start of a frame's attempt to the vendor's answer: session wait, the outputs' newest() and the vendor call.",
    labelNames: ['bridge', 'source', 'loop'],
    buckets: FETCH_BUCKETS_S,
    registers,
  });
  const frameDuration = new Histogram({
    name: name('frame_duration_seconds'),
    help: 'From the start of a frame to its end (frame.done), retries and storing included.',
    labelNames: ['bridge', 'source', 'loop'],
    buckets: FETCH_BUCKETS_S,
    registers,
  });
  const readings = new Counter({
    name: name('readings_received_total'),
    help: 'CGM readings (entries) the source returned, after transforming, before deduplication.',
    labelNames: ['bridge', 'source', 'loop'],
    registers,
  });
  const pushes = new Counter({
    name: name('output_pushes_total'),
    help: 'Batches handed to an output, by result: ok, queued (went to its dead-letter queue) or failed.',
    labelNames: ['bridge', 'output', 'result'],
    registers,
  });
  const documents = new Counter({
    name: name('output_documents_total'),
    help: 'Documents an output reported, by result: written, duplicate (it already had them), rejected (refused for good) or queued.',
    labelNames: ['bridge', 'output', 'result'],
    registers,
  });
  const deadLetter = new Gauge({
    name: name('dead_letter_documents'),
    help: "Documents waiting in an output's dead-letter queue, as of its last push.",
    labelNames: ['bridge', 'output'],
    registers,
  });
  const deliveryState = new Gauge({
    name: name('output_delivery_state'),
    help: "1 for the output's delivery state, 0 for the others: current (nothing due waits), backlog (it takes documents and more follow) or unavailable (it takes none now).",
    labelNames: ['bridge', 'output', 'state'],
    registers,
  });
  const backlogEta = new Gauge({
    name: name('output_backlog_eta_seconds'),
    help: "While an output catches up on a backlog: the time left at the pace so far; 0 otherwise.",
    labelNames: ['bridge', 'output'],
    registers,
  });
  const deliveryDelay = new Histogram({
    name: name('delivery_delay_seconds'),
    help: 'From the time of the newest reading in a batch to the output confirming it; once per output and new reading.',
    labelNames: ['bridge', 'output'],
    buckets: DELIVERY_BUCKETS_S,
    registers,
  });
  const readingAge = new Gauge({
    name: name('reading_age_seconds'),
    help: 'Now minus the time of the newest reading the bridge knows (fetched, or held by an output); absent until there is one.',
    labelNames: ['bridge', 'source'],
    registers,
    collect() {
      readingAge.reset();
      for (const [bridge, date] of newestReading) readingAge.set({ bridge, source: sourceOf(bridge) }, ageSeconds(date));
    },
  });
  const watermarkAge = new Gauge({
    name: name('watermark_age_seconds'),
    help: 'Now minus the time of the newest reading the output has confirmed; absent until it has confirmed one.',
    labelNames: ['bridge', 'output'],
    registers,
    collect() {
      watermarkAge.reset();
      for (const [bridge, outputs] of watermarks) {
        for (const [output, date] of outputs) watermarkAge.set({ bridge, output }, ageSeconds(date));
      }
    },
  });
  const sessionState = new Gauge({
    name: name('session_state'),
    help: "1 for the vendor session's current state (none, established, failed, expired), 0 for the others.",
    labelNames: ['bridge', 'state'],
    registers,
    collect() {
      for (const [bridge, current] of sessions) {
        for (const state of SESSION_STATES) sessionState.set({ bridge, state }, state === current ? 1 : 0);
      }
    },
  });

  if (options.glucose === true) {
    // Absent until there is a reading (or a sensor end): a 0 would read as a glucose value.
    const perBridge = <T>(values: Map<string, T>, gauge: Gauge, value: (v: T) => number | undefined): void => {
      gauge.reset();
      for (const [bridge, v] of values) {
        const n = value(v);
        if (n !== undefined) gauge.set({ bridge, source: sourceOf(bridge) }, n);
      }
    };
    const glucoseMgdl: Gauge = new Gauge({
      name: name('glucose_mgdl'),
      help: 'The newest sensor glucose reading the bridge fetched, mg/dL; absent until there is one.',
      labelNames: ['bridge', 'source'],
      registers,
      collect: () => perBridge(glucose, glucoseMgdl, (g) => g.mgdl),
    });
    const glucoseTrend: Gauge = new Gauge({
      name: name('glucose_trend'),
      help: 'Trend of the newest reading: 4 ⤊, 3 ⇈, 2 ↑, 1 ↗, 0 →, -1 ↘, -2 ↓, -3 ⇊, -4 ⤋; absent when it has none.',
      labelNames: ['bridge', 'source'],
      registers,
      collect: () => perBridge(glucose, glucoseTrend, (g) => (g.direction === undefined ? undefined : TREND_RATE[g.direction])),
    });
    const glucoseTime: Gauge = new Gauge({
      name: name('glucose_timestamp_seconds'),
      help: 'When the newest reading was taken, unix seconds.',
      labelNames: ['bridge', 'source'],
      registers,
      collect: () => perBridge(glucose, glucoseTime, (g) => g.dateMs / 1000),
    });
    const sensorExpiry: Gauge = new Gauge({
      name: name('sensor_expiry_timestamp_seconds'),
      help: 'When the sensor in use ends, unix seconds, where the vendor tells it (LibreLink Up, CareLink).',
      labelNames: ['bridge', 'source'],
      registers,
      collect: () => perBridge(sensorEnds, sensorExpiry, (e) => e.expiresMs / 1000),
    });
  }

  const observeFleet = options.fleet === true ? fleetMetrics(registers, name, now) : undefined;

  // Every known series starts at 0, so rate() and increase() see the first event.
  const zeroSeries = (bridge: BridgeInfo): void => {
    sessions.set(bridge.id, 'none');
    const source = bridge.source;
    for (const { name: loop } of bridge.loops) {
      for (const result of FRAME_OUTCOMES) fetches.inc({ bridge: bridge.id, source, loop, result }, 0);
      readings.inc({ bridge: bridge.id, source, loop }, 0);
      fetchDuration.zero({ bridge: bridge.id, source, loop });
      frameDuration.zero({ bridge: bridge.id, source, loop });
    }
    for (const output of bridge.outputs) {
      for (const result of PUSH_RESULTS) pushes.inc({ bridge: bridge.id, output, result }, 0);
      for (const result of DOCUMENT_RESULTS) documents.inc({ bridge: bridge.id, output, result }, 0);
      deliveryDelay.zero({ bridge: bridge.id, output });
      for (const state of DELIVERY_STATES) deliveryState.set({ bridge: bridge.id, output, state }, state === 'current' ? 1 : 0);
      backlogEta.set({ bridge: bridge.id, output }, 0);
    }
  };
  for (const bridge of options.bridges) zeroSeries(bridge);

  /** The newest sensor reading of a batch, none from the future: a wrong clock never becomes the gauge. */
  const noteGlucose = (bridge: string, entries: Batch['entries']): void => {
    const held = glucose.get(bridge);
    let newest = held;
    for (const e of entries) {
      if (e.type !== 'sgv' || typeof e.sgv !== 'number' || !Number.isFinite(e.sgv) || isFuture(e.date, now())) continue;
      // Strictly newer: LibreLink Up sends a reading again later as a graph point without its arrow.
      if (newest === undefined || e.date > newest.dateMs) newest = { dateMs: e.date, mgdl: e.sgv, direction: e.direction };
    }
    if (newest !== held && newest !== undefined) glucose.set(bridge, newest);
  };

  const noteReading = (bridge: string, dateMs: number | undefined): void => {
    if (dateMs === undefined) return;
    const prev = newestReading.get(bridge);
    if (prev === undefined || dateMs > prev) newestReading.set(bridge, dateMs);
  };

  const stored = (bridge: string, loop: string, output: string, result: StoreResult): void => {
    const queued = result.queued ?? 0;
    pushes.inc({ bridge, output, result: queued > 0 ? 'queued' : 'ok' });
    documents.inc({ bridge, output, result: 'written' }, result.stored);
    documents.inc({ bridge, output, result: 'duplicate' }, result.duplicates);
    documents.inc({ bridge, output, result: 'rejected' }, result.rejected ?? 0);
    documents.inc({ bridge, output, result: 'queued' }, queued);
    // A bare output has no queue, and a reliable one omits `waiting` when its queue just emptied.
    deadLetter.set({ bridge, output }, result.waiting ?? 0);
    const newest = timing(bridge, loop).batchNewestEntryMs;
    if (queued > 0 || newest === undefined || result.stored + result.duplicates === 0) return;
    let outputs = watermarks.get(bridge);
    if (!outputs) watermarks.set(bridge, (outputs = new Map<string, number>()));
    const prev = outputs.get(output);
    if (prev !== undefined && newest <= prev) return;
    outputs.set(output, newest);
    // Written now, not found already there: this is when the reading arrived.
    if (result.stored > 0) deliveryDelay.observe({ bridge, output }, ageSeconds(newest));
  };

  const observe = (event: BridgeEvent): void => {
    switch (event.type) {
      case 'session.established':
        sessions.set(event.bridgeId, 'established');
        return;
      case 'session.failed':
        sessions.set(event.bridgeId, 'failed');
        return;
      case 'session.expired':
        sessions.set(event.bridgeId, 'expired');
        return;
      case 'frame.fetched': {
        const t = timing(event.bridgeId, event.loop);
        const started = t.attemptStartMs;
        t.attemptStartMs = undefined;
        const elapsed = started === undefined ? -1 : now() - started;
        if (elapsed >= 0) fetchDuration.observe({ bridge: event.bridgeId, source: sourceOf(event.bridgeId), loop: event.loop }, elapsed / 1000);
        return;
      }
      case 'frame.transformed': {
        const dates = event.batch.entries.map((e) => e.date).filter((d) => !isFuture(d, now()));
        const newest = dates.length > 0 ? Math.max(...dates) : undefined;
        timing(event.bridgeId, event.loop).batchNewestEntryMs = newest;
        readings.inc({ bridge: event.bridgeId, source: sourceOf(event.bridgeId), loop: event.loop }, dates.length);
        noteReading(event.bridgeId, newest);
        if (options.glucose === true) {
          noteGlucose(event.bridgeId, event.batch.entries);
          const end = newerExpiry(sensorEnds.get(event.bridgeId), sensorExpiryOf(event.batch, now()));
          if (end) sensorEnds.set(event.bridgeId, end);
        }
        return;
      }
      case 'frame.stored':
        stored(event.bridgeId, event.loop, event.output, event.result);
        return;
      case 'output.delivery': {
        const { output, state, waiting, etaMs } = event.report;
        for (const s of DELIVERY_STATES) deliveryState.set({ bridge: event.bridgeId, output, state: s }, s === state ? 1 : 0);
        backlogEta.set({ bridge: event.bridgeId, output }, state === 'backlog' && etaMs !== undefined ? etaMs / 1000 : 0);
        deadLetter.set({ bridge: event.bridgeId, output }, waiting);
        return;
      }
      case 'frame.outputFailed':
        pushes.inc({ bridge: event.bridgeId, output: event.output, result: 'failed' });
        return;
      case 'frame.attemptFailed': {
        const t = timing(event.bridgeId, event.loop);
        t.attemptStartMs = event.retryInMs === undefined ? undefined : now() + event.retryInMs;
        return;
      }
      case 'frame.done': {
        const labels = { bridge: event.bridgeId, source: sourceOf(event.bridgeId), loop: event.loop };
        fetches.inc({ ...labels, result: event.result.outcome });
        if (event.result.outcome === 'success') noteReading(event.bridgeId, event.result.newestEntryMs);
        const t = timing(event.bridgeId, event.loop);
        const elapsed = t.frameStartMs === undefined ? -1 : now() - t.frameStartMs;
        if (elapsed >= 0) frameDuration.observe(labels, elapsed / 1000);
        const next = event.nextInMs === undefined ? undefined : now() + event.nextInMs;
        t.frameStartMs = next;
        t.attemptStartMs = next;
        t.batchNewestEntryMs = undefined;
        return;
      }
    }
  };

  return {
    observe(event) {
      // Metrics must never break the bridge that feeds them (notify must not throw).
      try {
        observe(event);
      } catch {
        // a malformed event is not worth a crash
      }
    },
    observeFleet(event) {
      try {
        observeFleet?.(event);
      } catch {
        // as observe: never break the supervisor that feeds them
      }
    },
    contentType: register.contentType,
    render: () => register.metrics(),
    addBridge: (info) => {
      if (sources.has(info.id)) return;
      sources.set(info.id, info.source);
      zeroSeries(info);
    },
  };
}
