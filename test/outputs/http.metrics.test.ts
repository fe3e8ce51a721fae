import { readFileSync } from 'node:fs';
import { register as globalRegister } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, gitSha, packageVersion, TREND_RATE, type Metrics } from '../../outputs/http/metrics/index.js';
import type { BridgeInfo } from '../../outputs/http/cache/types.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { DIRECTIONS, type Direction, type Entry, type Treatment } from '../../lib/domain.js';
import { Secret } from '../../lib/secret.js';
import { captureLog } from '../fakes/capture-log.js';
import { createHttpActor } from '../../outputs/http/index.js';
import { batchOf, entry, fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from '../machines/fakes.js';
import { has, metricTypes, parseMetrics, valueOf, type Sample } from './http.metrics-text.js';

const BRIDGES: BridgeInfo[] = [
  { id: 'home', source: 'linkup', outputs: ['nightscout', 'filesystem'], loops: [{ name: 'entries', expectedIntervalMs: 5 * MIN }] },
  { id: 'follow', source: 'nightscout', outputs: ['filesystem'], loops: [{ name: 'entries', expectedIntervalMs: 5 * MIN }] },
];

function setup(bridges: BridgeInfo[] = BRIDGES, glucose = false) {
  const clock = { ms: T0 };
  const metrics = createMetrics({ bridges, now: () => clock.ms, version: '1.2.3', gitSha: 'abc1234', glucose });
  const scrape = async (): Promise<Sample[]> => parseMetrics(await metrics.render());
  const send = (...events: BridgeEvent[]) => events.forEach((e) => metrics.observe(e));
  return { clock, metrics, scrape, send };
}

const home = { bridge: 'home', source: 'linkup', loop: 'entries' };
const done = (outcome: 'success' | 'skipped' | 'failed', nextInMs?: number, newestEntryMs?: number): BridgeEvent => ({
  type: 'frame.done',
  bridgeId: 'home',
  loop: 'entries',
  result: { outcome, fetched: 0, ...(newestEntryMs === undefined ? {} : { newestEntryMs }) },
  ...(nextInMs === undefined ? {} : { nextInMs }),
});
const fetched: BridgeEvent = { type: 'frame.fetched', bridgeId: 'home', loop: 'entries', window: { fromMs: 0, toMs: 1 }, raw: [] };
const transformed = (dates: number[]): BridgeEvent => ({ type: 'frame.transformed', bridgeId: 'home', loop: 'entries', batch: batchOf(dates) });
const stored = (output: string, result: Extract<BridgeEvent, { type: 'frame.stored' }>['result']): BridgeEvent => ({
  type: 'frame.stored',
  bridgeId: 'home',
  loop: 'entries',
  output,
  result,
});
/** Cumulative count of a histogram bucket. */
const bucket = (s: Sample[], name: string, le: string, labels: Record<string, string>) => valueOf(s, `${name}_bucket`, { ...labels, le });

describe('createMetrics', () => {
  it('shows the build, the prefixed Node metrics, and every known series at zero before any event', async () => {
    const { metrics, scrape } = setup();
    const text = await metrics.render();
    const s = await scrape();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(valueOf(s, 'gluco_hub_build_info', { version: '1.2.3', git_sha: 'abc1234' })).toBe(1);
    for (const name of ['gluco_hub_process_cpu_seconds_total', 'gluco_hub_nodejs_heap_size_used_bytes', 'gluco_hub_nodejs_eventloop_lag_seconds']) {
      expect(has(s, name), name).toBe(true);
    }
    expect(s.filter((x) => !x.name.startsWith('gluco_hub_'))).toEqual([]);

    expect(Object.fromEntries([...metricTypes(text)].filter(([n]) => !/process_|nodejs_/.test(n)))).toEqual({
      gluco_hub_build_info: 'gauge',
      gluco_hub_fetches_total: 'counter',
      gluco_hub_fetch_duration_seconds: 'histogram',
      gluco_hub_frame_duration_seconds: 'histogram',
      gluco_hub_readings_received_total: 'counter',
      gluco_hub_output_pushes_total: 'counter',
      gluco_hub_output_documents_total: 'counter',
      gluco_hub_dead_letter_documents: 'gauge',
      gluco_hub_output_delivery_state: 'gauge',
      gluco_hub_output_backlog_eta_seconds: 'gauge',
      gluco_hub_delivery_delay_seconds: 'histogram',
      gluco_hub_reading_age_seconds: 'gauge',
      gluco_hub_watermark_age_seconds: 'gauge',
      gluco_hub_session_state: 'gauge',
    });

    for (const result of ['success', 'skipped', 'failed']) expect(valueOf(s, 'gluco_hub_fetches_total', { ...home, result })).toBe(0);
    expect(valueOf(s, 'gluco_hub_readings_received_total', { bridge: 'follow', source: 'nightscout', loop: 'entries' })).toBe(0);
    for (const result of ['ok', 'queued', 'failed']) expect(valueOf(s, 'gluco_hub_output_pushes_total', { bridge: 'home', output: 'filesystem', result })).toBe(0);
    for (const result of ['written', 'duplicate', 'rejected', 'queued']) {
      expect(valueOf(s, 'gluco_hub_output_documents_total', { bridge: 'home', output: 'nightscout', result })).toBe(0);
    }
    expect(valueOf(s, 'gluco_hub_fetch_duration_seconds_count', home)).toBe(0);
    expect(valueOf(s, 'gluco_hub_delivery_delay_seconds_count', { bridge: 'follow', output: 'filesystem' })).toBe(0);
    expect(valueOf(s, 'gluco_hub_session_state', { bridge: 'home', state: 'none' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_session_state', { bridge: 'home', state: 'established' })).toBe(0);
    // no reading, no confirmed write, no push yet: no made-up ages or depths
    expect(has(s, 'gluco_hub_reading_age_seconds')).toBe(false);
    expect(has(s, 'gluco_hub_watermark_age_seconds')).toBe(false);
    expect(has(s, 'gluco_hub_dead_letter_documents')).toBe(false);
  });

  it('tells a backlog from an outage between frames: delivery state, time left, queue depth', async () => {
    const { send, scrape } = setup();
    const ns = { bridge: 'home', output: 'nightscout' };
    const state = (s: Sample[]) => Object.fromEntries(['current', 'backlog', 'unavailable'].map((st) => [st, valueOf(s, 'gluco_hub_output_delivery_state', { ...ns, state: st })]));
    expect(state(await scrape())).toEqual({ current: 1, backlog: 0, unavailable: 0 });
    send({ type: 'output.delivery', bridgeId: 'home', report: { output: 'nightscout', state: 'backlog', waiting: 12_885, delivered: 4_395, etaMs: 70_000 } });
    let s = await scrape();
    expect(state(s)).toEqual({ current: 0, backlog: 1, unavailable: 0 });
    expect(valueOf(s, 'gluco_hub_output_backlog_eta_seconds', ns)).toBe(70);
    expect(valueOf(s, 'gluco_hub_dead_letter_documents', ns)).toBe(12_885);
    send({ type: 'output.delivery', bridgeId: 'home', report: { output: 'nightscout', state: 'unavailable', waiting: 12_886, error: new Error('NS009') } });
    s = await scrape();
    expect(state(s)).toEqual({ current: 0, backlog: 0, unavailable: 1 });
    expect(valueOf(s, 'gluco_hub_output_backlog_eta_seconds', ns)).toBe(0);
  });

  it('counts a frame: fetch result, readings, pushes by result, documents, dead-letter depth', async () => {
    const { send, scrape } = setup();
    send(
      fetched,
      transformed([T0 - 11 * MIN, T0 - 6 * MIN, T0 - 1 * MIN]),
      stored('nightscout', { stored: 2, duplicates: 1, rejected: 1 }),
      stored('filesystem', { stored: 0, duplicates: 0, queued: 3, waiting: 7, error: new Error('disk full') }),
      done('success', 4 * MIN),
      transformed([T0]),
      { type: 'frame.outputFailed', bridgeId: 'home', loop: 'entries', output: 'nightscout', error: new Error('HUB002') },
      done('failed', 5 * MIN),
      done('skipped', 5 * MIN),
    );
    const s = await scrape();
    expect(valueOf(s, 'gluco_hub_fetches_total', { ...home, result: 'success' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_fetches_total', { ...home, result: 'failed' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_fetches_total', { ...home, result: 'skipped' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_readings_received_total', home)).toBe(4);
    const ns = { bridge: 'home', output: 'nightscout' };
    const fs = { bridge: 'home', output: 'filesystem' };
    expect(valueOf(s, 'gluco_hub_output_pushes_total', { ...ns, result: 'ok' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_output_pushes_total', { ...ns, result: 'failed' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_output_pushes_total', { ...fs, result: 'queued' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_output_pushes_total', { ...fs, result: 'ok' })).toBe(0);
    expect(valueOf(s, 'gluco_hub_output_documents_total', { ...ns, result: 'written' })).toBe(2);
    expect(valueOf(s, 'gluco_hub_output_documents_total', { ...ns, result: 'duplicate' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_output_documents_total', { ...ns, result: 'rejected' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_output_documents_total', { ...fs, result: 'queued' })).toBe(3);
    expect(valueOf(s, 'gluco_hub_dead_letter_documents', fs)).toBe(7);
    // an output without a queue, or whose queue just emptied, has nothing waiting
    expect(valueOf(s, 'gluco_hub_dead_letter_documents', ns)).toBe(0);
    // no glucose value, identifier or error text ever becomes a label
    const labelValues = s.flatMap((x) => Object.values(x.labels));
    expect(labelValues.filter((v) => /100|disk full|HUB002|00000000-/.test(v))).toEqual([]);
  });

  it('times the fetch from the start of the attempt (frame start or end of backoff) and the frame to its end', async () => {
    const { send, scrape, clock } = setup();
    // The first frame has no known start: counted, not timed.
    send(fetched, done('success', 4 * MIN));
    let s = await scrape();
    expect(valueOf(s, 'gluco_hub_fetch_duration_seconds_count', home)).toBe(0);
    expect(valueOf(s, 'gluco_hub_frame_duration_seconds_count', home)).toBe(0);

    // The next frame starts 4 min later; the vendor answers 2 s into it.
    clock.ms += 4 * MIN + 2 * SEC;
    send(fetched);
    // The store fails; the retry starts 10 s after the failure and its fetch takes 40 s.
    clock.ms += 1 * SEC;
    send({ type: 'frame.attemptFailed', bridgeId: 'home', loop: 'entries', attempt: 1, error: new Error('x'), retryInMs: 10 * SEC });
    clock.ms += 50 * SEC;
    send(fetched);
    clock.ms += 1 * SEC;
    send(done('success', 5 * MIN));

    s = await scrape();
    const fetch = 'gluco_hub_fetch_duration_seconds';
    expect(valueOf(s, `${fetch}_count`, home)).toBe(2);
    expect(valueOf(s, `${fetch}_sum`, home)).toBe(42);
    expect(bucket(s, fetch, '1', home)).toBe(0);
    expect(bucket(s, fetch, '2.5', home)).toBe(1);
    expect(bucket(s, fetch, '30', home)).toBe(1);
    expect(bucket(s, fetch, '60', home)).toBe(2);
    expect(bucket(s, fetch, '+Inf', home)).toBe(2);
    const frame = 'gluco_hub_frame_duration_seconds';
    expect(valueOf(s, `${frame}_count`, home)).toBe(1);
    expect(valueOf(s, `${frame}_sum`, home)).toBe(54);
    expect(bucket(s, frame, '30', home)).toBe(0);
    expect(bucket(s, frame, '60', home)).toBe(1);

    // A frame that gives up (no retryInMs) leaves the next fetch untimed until the next frame.
    clock.ms += 5 * MIN;
    send({ type: 'frame.attemptFailed', bridgeId: 'home', loop: 'entries', attempt: 1, error: new Error('x') }, fetched);
    // A frame whose cycle is finishing (no nextInMs) leaves no start behind.
    send(done('failed'));
    clock.ms += 1 * MIN;
    send(fetched, done('success'));
    s = await scrape();
    expect(valueOf(s, `${fetch}_count`, home)).toBe(2);
    expect(valueOf(s, `${frame}_count`, home)).toBe(2);
  });

  it('observes the delivery delay once per output and new reading, and keeps the watermark per output', async () => {
    const { send, scrape, clock } = setup();
    const ns = { bridge: 'home', output: 'nightscout' };
    const fs = { bridge: 'home', output: 'filesystem' };
    send(transformed([T0 - 6 * MIN, T0 - 2 * MIN]));
    clock.ms += 30 * SEC;
    send(stored('nightscout', { stored: 2, duplicates: 0 }));
    clock.ms += 30 * SEC;
    // filesystem already had them: confirmed, but not delivered now
    send(stored('filesystem', { stored: 0, duplicates: 2 }));
    // a retried frame stores the same batch again: no second observation
    send(transformed([T0 - 6 * MIN, T0 - 2 * MIN]), stored('nightscout', { stored: 1, duplicates: 1 }), done('success', 3 * MIN));

    let s = await scrape();
    const delay = 'gluco_hub_delivery_delay_seconds';
    expect(valueOf(s, `${delay}_count`, ns)).toBe(1);
    expect(valueOf(s, `${delay}_sum`, ns)).toBe(150);
    expect(bucket(s, delay, '120', ns)).toBe(0);
    expect(bucket(s, delay, '180', ns)).toBe(1);
    expect(valueOf(s, `${delay}_count`, fs)).toBe(0);
    expect(valueOf(s, 'gluco_hub_watermark_age_seconds', ns)).toBe(180);
    expect(valueOf(s, 'gluco_hub_watermark_age_seconds', fs)).toBe(180);

    // A queued push confirms nothing; a newer reading written later does.
    clock.ms = T0 + 5 * MIN;
    send(transformed([T0 + 3 * MIN]), stored('filesystem', { stored: 0, duplicates: 0, queued: 1, waiting: 1 }));
    send(stored('nightscout', { stored: 1, duplicates: 0 }));
    s = await scrape();
    expect(valueOf(s, `${delay}_count`, ns)).toBe(2);
    expect(valueOf(s, `${delay}_sum`, ns)).toBe(150 + 120);
    expect(valueOf(s, `${delay}_count`, fs)).toBe(0);
    expect(valueOf(s, 'gluco_hub_watermark_age_seconds', ns)).toBe(120);
    expect(valueOf(s, 'gluco_hub_watermark_age_seconds', fs)).toBe(7 * 60);
  });

  it('computes the reading age at scrape time from the newest reading fetched or already held', async () => {
    const { send, scrape, clock } = setup();
    send(transformed([T0 - 3 * MIN, T0 - 8 * MIN]));
    let s = await scrape();
    expect(valueOf(s, 'gluco_hub_reading_age_seconds', { bridge: 'home', source: 'linkup' })).toBe(180);
    clock.ms += 10 * MIN;
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_reading_age_seconds', { bridge: 'home', source: 'linkup' })).toBe(13 * 60);
    // nothing new fetched, but an output already holds a newer reading (after a restart)
    send(transformed([]), done('success', 5 * MIN, T0 + 9 * MIN));
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_reading_age_seconds', { bridge: 'home', source: 'linkup' })).toBe(60);
    // an older reading never makes the bridge look staler; a failed frame's result is ignored
    send(transformed([T0 - 60 * MIN]), done('failed', 5 * MIN, T0 + 10 * MIN));
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_reading_age_seconds', { bridge: 'home', source: 'linkup' })).toBe(60);
    // a reading from the future (clock skew) reads as fresh, not negative
    send(transformed([T0 + 20 * MIN]));
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_reading_age_seconds', { bridge: 'home', source: 'linkup' })).toBe(0);
    expect(has(s, 'gluco_hub_reading_age_seconds', { bridge: 'follow' })).toBe(false);
  });

  it('shows the session state as one 0/1 series per state', async () => {
    const { send, scrape } = setup();
    const state = async (): Promise<Record<string, number>> => {
      const s = await scrape();
      return Object.fromEntries(s.filter((x) => x.name === 'gluco_hub_session_state' && x.labels.bridge === 'home').map((x): [string, number] => [x.labels.state ?? '', x.value]));
    };
    expect(await state()).toEqual({ none: 1, established: 0, failed: 0, expired: 0 });
    send({ type: 'session.established', bridgeId: 'home' });
    expect(await state()).toEqual({ none: 0, established: 1, failed: 0, expired: 0 });
    send({ type: 'session.expired', bridgeId: 'home' });
    expect(await state()).toEqual({ none: 0, established: 0, failed: 0, expired: 1 });
    send({ type: 'session.failed', bridgeId: 'home', error: new Error('password') });
    expect(await state()).toEqual({ none: 0, established: 0, failed: 1, expired: 0 });
    const s = await scrape();
    expect(valueOf(s, 'gluco_hub_session_state', { bridge: 'follow', state: 'none' })).toBe(1);
  });

  it('keeps every instance on its own registry, away from the global one', async () => {
    const a = setup();
    const b = setup();
    a.send(transformed([T0]));
    expect(valueOf(await a.scrape(), 'gluco_hub_readings_received_total', home)).toBe(1);
    expect(valueOf(await b.scrape(), 'gluco_hub_readings_received_total', home)).toBe(0);
    expect((await globalRegister.metrics()).includes('gluco_hub_')).toBe(false);
  });

  it('labels events from a bridge it was not told about, and never throws', async () => {
    const { metrics, scrape } = setup([]);
    metrics.observe({ type: 'frame.done', bridgeId: 'late', loop: 'entries', result: { outcome: 'success', fetched: 0 } });
    metrics.observe({ type: 'session.established', bridgeId: 'late' });
    expect(() => metrics.observe({ type: 'frame.transformed', bridgeId: 'late', loop: 'entries', batch: undefined } as unknown as BridgeEvent)).not.toThrow();
    const s = await scrape();
    expect(valueOf(s, 'gluco_hub_fetches_total', { bridge: 'late', source: 'unknown', loop: 'entries', result: 'success' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_session_state', { bridge: 'late', state: 'established' })).toBe(1);
  });
});

describe('createMetrics: glucose gauges', () => {
  const GLUCOSE = ['gluco_hub_glucose_mgdl', 'gluco_hub_glucose_trend', 'gluco_hub_glucose_timestamp_seconds', 'gluco_hub_sensor_expiry_timestamp_seconds'];
  const reading = (date: number, sgv: number, direction?: Direction): Entry => ({ ...entry(date), sgv, ...(direction ? { direction } : {}) });
  const batch = (entries: Entry[], treatments: Treatment[] = []): BridgeEvent => ({ type: 'frame.transformed', bridgeId: 'home', loop: 'entries', batch: { entries, treatments, devicestatus: [] } });
  const sensorStart = (date: number, expiresMs: number): Treatment => ({
    date,
    device: 'librelinkup',
    identifier: '00000000-0000-5000-8000-00000000aaaa',
    eventType: 'Sensor Start',
    created_at: new Date(date).toISOString(),
    sensorExpiresAt: new Date(expiresMs).toISOString(),
  });
  const present = (s: Sample[]) => GLUCOSE.filter((name) => has(s, name));
  const linkup = { bridge: 'home', source: 'linkup' };

  it('has no glucose series before a reading: absent, never 0', async () => {
    const { scrape, send } = setup(BRIDGES, true);
    expect(present(await scrape())).toEqual([]);
    send(transformed([]), done('success', MIN));
    expect(present(await scrape())).toEqual([]);
  });

  it('shows the newest reading of a batch: mg/dL, trend number, its time in unix seconds', async () => {
    const { scrape, send } = setup(BRIDGES, true);
    send(batch([reading(T0 - 10 * MIN, 120, 'Flat'), reading(T0 - 5 * MIN, 131, 'FortyFiveUp'), reading(T0 - 15 * MIN, 99, 'SingleDown')]));
    const s = await scrape();
    expect(valueOf(s, 'gluco_hub_glucose_mgdl', linkup)).toBe(131);
    expect(valueOf(s, 'gluco_hub_glucose_trend', linkup)).toBe(1);
    expect(valueOf(s, 'gluco_hub_glucose_timestamp_seconds', linkup)).toBe((T0 - 5 * MIN) / 1000);
    // the other bridge has had no reading
    expect(s.filter((x) => x.name === 'gluco_hub_glucose_mgdl' && x.labels.bridge === 'follow')).toEqual([]);
  });

  it('maps every direction to a signed rate class, and a reading without a trend has no trend series', async () => {
    const rates = Object.fromEntries(DIRECTIONS.map((d) => [d, TREND_RATE[d] ?? null]));
    expect(rates).toEqual({
      TripleUp: 4, DoubleUp: 3, SingleUp: 2, FortyFiveUp: 1, Flat: 0, FortyFiveDown: -1, SingleDown: -2, DoubleDown: -3, TripleDown: -4,
      'NOT COMPUTABLE': null, 'RATE OUT OF RANGE': null, NONE: null,
    });
    const { scrape, send } = setup(BRIDGES, true);
    send(batch([reading(T0 - 5 * MIN, 140, 'DoubleDown')]));
    expect(valueOf(await scrape(), 'gluco_hub_glucose_trend', linkup)).toBe(-3);
    send(batch([reading(T0 - 4 * MIN, 138, 'NOT COMPUTABLE')]));
    let s = await scrape();
    expect(valueOf(s, 'gluco_hub_glucose_mgdl', linkup)).toBe(138);
    expect(has(s, 'gluco_hub_glucose_trend')).toBe(false);
    send(batch([reading(T0 - 3 * MIN, 137)]));
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_glucose_mgdl', linkup)).toBe(137);
    expect(has(s, 'gluco_hub_glucose_trend')).toBe(false);
  });

  it('never takes a future-dated reading, and never moves back to an older one', async () => {
    const { clock, scrape, send } = setup(BRIDGES, true);
    send(batch([reading(T0 + 60 * MIN, 400, 'DoubleUp')]));
    expect(present(await scrape())).toEqual([]);
    send(batch([reading(T0 - 5 * MIN, 110, 'Flat'), reading(T0 + 2 * 24 * 60 * MIN, 39, 'DoubleDown')]));
    let s = await scrape();
    expect(valueOf(s, 'gluco_hub_glucose_mgdl', linkup)).toBe(110);
    expect(valueOf(s, 'gluco_hub_glucose_timestamp_seconds', linkup)).toBe((T0 - 5 * MIN) / 1000);
    // a back-fill of older readings, and the same reading again without its arrow (LLU's graph point)
    send(batch([reading(T0 - 30 * MIN, 250, 'SingleUp'), reading(T0 - 5 * MIN, 110)]));
    s = await scrape();
    expect(valueOf(s, 'gluco_hub_glucose_mgdl', linkup)).toBe(110);
    expect(valueOf(s, 'gluco_hub_glucose_trend', linkup)).toBe(0);
    // once its time has come, a reading is just the newest
    clock.ms = T0 + 60 * MIN;
    send(batch([reading(T0 + 60 * MIN, 180, 'SingleUp')]));
    expect(valueOf(await scrape(), 'gluco_hub_glucose_mgdl', linkup)).toBe(180);
  });

  it('shows the sensor end a source states, the newest statement winning, and none without one', async () => {
    const { scrape, send } = setup(BRIDGES, true);
    const DAY = 24 * 60 * MIN;
    send(batch([reading(T0 - 5 * MIN, 110, 'Flat')]));
    expect(has(await scrape(), 'gluco_hub_sensor_expiry_timestamp_seconds')).toBe(false);
    send(batch([], [sensorStart(T0 - 13 * DAY, T0 + DAY), sensorStart(T0 - 2 * DAY, T0 + 12 * DAY)]));
    expect(valueOf(await scrape(), 'gluco_hub_sensor_expiry_timestamp_seconds', linkup)).toBe((T0 + 12 * DAY) / 1000);
    // an older statement later (the old sensor's Sensor Start again) does not win; an implausible one is ignored
    send(batch([], [sensorStart(T0 - 13 * DAY, T0 + DAY), sensorStart(T0 - MIN, T0 + 400 * DAY)]));
    expect(valueOf(await scrape(), 'gluco_hub_sensor_expiry_timestamp_seconds', linkup)).toBe((T0 + 12 * DAY) / 1000);
  });

  it('shows none of them unless asked (the HTTP actor asks only where /glucose is as open)', async () => {
    const { metrics, scrape, send } = setup();
    send(batch([reading(T0 - 5 * MIN, 110, 'Flat')], [sensorStart(T0 - MIN, T0 + MIN)]));
    expect(present(await scrape())).toEqual([]);
    expect([...metricTypes(await metrics.render()).keys()].filter((n) => GLUCOSE.includes(n))).toEqual([]);
  });

  it.each([
    ['no token', true, undefined, false],
    ['a token and an open /metrics', false, 'secret-token', false],
    ['a token and /metrics behind it', true, 'secret-token', true],
  ] as const)('the HTTP actor with %s asks for glucose gauges: %s', (_case, expected, token, metricsAuth) => {
    let asked: boolean | undefined;
    const actor = createHttpActor({
      config: { enabled: true, bind: '127.0.0.1:0', metricsAuth, unit: 'mgdl', ...(token ? { bearerToken: new Secret(token) } : {}) },
      log: captureLog().log,
      now: () => T0,
      version: '9.9.9',
      gitSha: 'abc',
      renderPage: () => '',
      createMetrics: (options) => {
        asked = options.glucose;
        return createMetrics(options);
      },
    });
    actor.build(BRIDGES);
    expect(asked).toBe(expected);
  });
});

describe('createMetrics fed by a real poller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times the second frame exactly: it starts nextInMs after frame.done', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const metrics: Metrics = createMetrics({
      bridges: [{ id: 'test', source: 'fake', outputs: ['a'], loops: [{ name: 'entries', expectedIntervalMs: 5 * MIN }] }],
      now: () => Date.now(),
      version: '0',
      gitSha: 'unknown',
    });
    const readings = [T0 - 6 * MIN, T0 - 1 * MIN, T0 + 4 * MIN];
    // the vendor takes 3 s to answer
    const loop = fakeLoop({
      readings,
      fetch: (_s, w) => new Promise((resolve) => setTimeout(() => resolve(readings.filter((d) => d > w.fromMs && d <= w.toMs)), 3 * SEC)),
    });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('a')], notify: (e) => metrics.observe(e) });
    await settle();
    await vi.advanceTimersByTimeAsync(3 * SEC);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    run.actor.stop();

    const s = parseMetrics(await metrics.render());
    const labels = { bridge: 'test', source: 'fake', loop: 'entries' };
    expect(valueOf(s, 'gluco_hub_fetches_total', { ...labels, result: 'success' })).toBe(2);
    expect(valueOf(s, 'gluco_hub_readings_received_total', labels)).toBe(3);
    expect(valueOf(s, 'gluco_hub_fetch_duration_seconds_count', labels)).toBe(1);
    expect(valueOf(s, 'gluco_hub_fetch_duration_seconds_sum', labels)).toBe(3);
    expect(valueOf(s, 'gluco_hub_frame_duration_seconds_sum', labels)).toBe(3);
    expect(valueOf(s, 'gluco_hub_session_state', { bridge: 'test', state: 'established' })).toBe(1);
    // newest readings written 63 s (T0 − 1 min, at T0 + 3 s) and 23 s (T0 + 4 min, at T0 + 4 min 23 s) after they were taken
    expect(valueOf(s, 'gluco_hub_delivery_delay_seconds_count', { bridge: 'test', output: 'a' })).toBe(2);
    expect(valueOf(s, 'gluco_hub_delivery_delay_seconds_sum', { bridge: 'test', output: 'a' })).toBe(86);
  });
});

describe('metrics table (docs/outputs/http.md)', () => {
  it('lists every gluco_hub_ metric with its type, and only those', async () => {
    const page = readFileSync(new URL('../../docs/outputs/http.md', import.meta.url), 'utf8');
    const start = page.indexOf('\n## Metrics\n');
    expect(start).toBeGreaterThan(0);
    const end = page.indexOf('\n## ', start + 1);
    const section = page.slice(start, end < 0 ? undefined : end);
    const rows = [...section.matchAll(/^\| `(gluco_hub_\w+)` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]);
    // Everything a process can have: glucose on, and a fleet's lease metrics.
    const metrics = createMetrics({ bridges: BRIDGES, now: () => T0, version: '1.2.3', gitSha: 'abc1234', glucose: true, fleet: true });
    const defined = [...metricTypes(await metrics.render())].filter(([n]) => !/^gluco_hub_(process|nodejs)_/.test(n));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(defined));
  });
});

describe('version and commit', () => {
  it('reads the version from package.json and the commit from the environment', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
    expect(gitSha({ GIT_SHA: ' 0123abc ' })).toBe('0123abc');
    expect(gitSha({ SOURCE_COMMIT: 'fff' })).toBe('fff');
    expect(gitSha({ GIT_SHA: '' })).toBe('unknown');
  });
});

describe('a bridge started at run time (a person a follower account began to follow)', () => {
  it('gets its series at 0 and its source label from when it is added, once', async () => {
    const { metrics, scrape } = setup();
    const person: BridgeInfo = { id: 'kids-3f2a9c1b', source: 'linkup', outputs: ['filesystem'], loops: [{ name: 'entries', expectedIntervalMs: MIN }] };
    expect(has(await scrape(), 'gluco_hub_fetches_total', { bridge: person.id })).toBe(false);
    metrics.addBridge!(person);
    metrics.addBridge!(person);
    metrics.observe({ type: 'frame.done', bridgeId: person.id, loop: 'entries', result: { outcome: 'success', fetched: 3 } });
    const s = await scrape();
    expect(valueOf(s, 'gluco_hub_fetches_total', { bridge: person.id, source: 'linkup', loop: 'entries', result: 'success' })).toBe(1);
    expect(valueOf(s, 'gluco_hub_fetches_total', { bridge: person.id, source: 'linkup', loop: 'entries', result: 'failed' })).toBe(0);
    expect(has(s, 'gluco_hub_fetches_total', { bridge: person.id, source: 'unknown' })).toBe(false);
  });
});
