import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorCode, MAX_WAIT_MS } from '../../lib/errors.js';
import { seededRandom } from '../../lib/time.js';
import { GRAPH_BACKOFF, GRAPH_MAX_RETRIES } from '../../sources/librelinkup/loop.js';
import { THROTTLE_MIN_MS } from '../../sources/librelinkup/responses.js';
import { createNightscoutSourceDriver } from '../../sources/nightscout/index.js';
import { MAX_RETRIES as NSS_MAX_RETRIES } from '../../sources/nightscout/loop.js';
import type { SourceDriver } from '../../lib/contracts/source.js';
import { DEFAULT_TIMING, fakePatient, graphData } from '../fakes/llu-data.js';
import { testDriverContext } from '../fakes/driver-context.js';
import { fixture, harness, PATIENT_ID, NOW as LLU_NOW, SERVER } from '../fixtures/librelinkup/harness.js';
import { mockJwt, mockVersion, SITE, settings as nssSettings, TOKEN, v1Entry } from '../fixtures/nightscout-source/harness.js';
import { fakeOutput, MIN, SEC, startPoller, type Running } from './fakes.js';

/**
 * The real poller with a real source driver against vendor faults faked at the HTTP boundary
 * (nock), over hours of fake time. Each test counts the requests the vendor saw and checks them
 * against the bound the documented policy (machines.md, loop.ts, responses.ts) allows, so a tight
 * loop, a lost Retry-After or an extra login fails here — not on someone's account.
 *
 * Time: only the timer functions and Date are faked. Time moves from one timer to the next, and
 * never while a vendor call is in flight: the driver is wrapped to count its calls, and the test
 * lets the real event loop run (nock answers on it) until none is left. A request is therefore
 * seen at the exact fake moment the machine made it.
 */

const HOUR = 60 * MIN;
const LOGIN = '/llu/auth/login';
const CONNECTIONS = '/llu/connections';
const GRAPH = `/llu/connections/${PATIENT_ID}/graph`;
/** The harness' LibreLink Up settings poll every 60 s. */
const LLU_INTERVAL_MS = 60 * SEC;

type Reply = [number, string | Record<string, unknown>, Record<string, string>?];

let unhandled: unknown[] = [];
let started: Running[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(() => {
  nock.disableNetConnect();
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  nock.enableNetConnect();
  process.off('unhandledRejection', onUnhandled);
});
beforeEach(() => {
  unhandled = [];
  // setImmediate and nextTick stay real: nock and the HTTP stack answer on them.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  for (const run of started) run.actor.stop();
  started = [];
  vi.useRealTimers();
  nock.cleanAll();
});

// ---------------------------------------------------------------------------------------------
// Running hours of fake time

interface Instrumented {
  driver: SourceDriver;
  inFlight(): number;
}

/** Counts the driver's calls in flight; every one of them is HTTP. */
function instrument<A, S>(driver: SourceDriver<A, S>): Instrumented {
  let pending = 0;
  const track =
    <Args extends unknown[], R>(fn: (...args: Args) => Promise<R>) =>
    (...args: Args): Promise<R> => {
      pending++;
      return fn(...args).finally(() => void pending--);
    };
  const { session } = driver;
  const wrapped: SourceDriver<A, S> = {
    ...driver,
    session: { ...session, authenticate: track(session.authenticate.bind(session)), authorize: track(session.authorize.bind(session)) },
    loops: driver.loops.map((loop) => ({ ...loop, fetch: track(loop.fetch.bind(loop)) })),
  };
  return { driver: wrapped, inFlight: () => pending };
}

const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Lets the real event loop run until no vendor call is in flight (bounded: a hang fails the test). */
async function drainIo(io: Instrumented): Promise<void> {
  for (let turns = 0; turns < 100_000; turns++) {
    await vi.advanceTimersByTimeAsync(0);
    if (io.inFlight() === 0) {
      // one more round for the machine's reaction to the last answer
      await realTurn();
      await vi.advanceTimersByTimeAsync(0);
      if (io.inFlight() === 0) return;
    }
    await realTurn();
  }
  throw new Error('a vendor call never finished');
}

/** Moves the fake clock `ms` forward, timer by timer, draining the I/O each timer starts. */
async function runFor(io: Instrumented, ms: number): Promise<void> {
  let reached = false;
  // A sentinel timer at the end, so the next timer is never beyond it.
  setTimeout(() => void (reached = true), ms);
  await drainIo(io);
  for (let steps = 0; !reached; steps++) {
    if (steps > 100_000) throw new Error('too many timers: something spins');
    await vi.advanceTimersToNextTimerAsync();
    await drainIo(io);
  }
}

// ---------------------------------------------------------------------------------------------
// A LibreLink Up cloud whose graph call misbehaves

interface FakeCloud {
  logins: number;
  connections: number;
  /** Fake time of every graph request. */
  graphs: number[];
  /** Answers the graph call while set; a healthy, current graph otherwise. */
  fault: (() => Reply) | undefined;
}

function healthyGraph(): Record<string, unknown> {
  return { status: 0, data: graphData(fakePatient(), Date.now(), DEFAULT_TIMING, false), ticket: fixture('login-success').data.authTicket };
}

function fakeCloud(fault: () => Reply): FakeCloud {
  const cloud: FakeCloud = { logins: 0, connections: 0, graphs: [], fault };
  nock(SERVER)
    .persist()
    .post(LOGIN)
    .reply(() => {
      cloud.logins++;
      return [200, fixture('login-success')];
    })
    .get(CONNECTIONS)
    .reply(() => {
      cloud.connections++;
      return [200, fixture('connections')];
    })
    .get(GRAPH)
    .reply(() => {
      cloud.graphs.push(Date.now());
      return cloud.fault ? cloud.fault() : [200, healthyGraph()];
    });
  return cloud;
}

interface Bridge {
  cloud: FakeCloud;
  io: Instrumented;
  run: Running;
  out: ReturnType<typeof fakeOutput>;
  start: number;
}

/** The real poller and the real LibreLink Up driver, jitter seeded, against `fault`. */
function lluBridge(fault: () => Reply, seed = 1): Bridge {
  vi.setSystemTime(LLU_NOW);
  const cloud = fakeCloud(fault);
  const { driver } = harness({ server: SERVER }, { clock: { get now() { return Date.now(); } }, rand: seededRandom(seed) });
  const io = instrument(driver);
  const out = fakeOutput('out');
  const run = startPoller({ driver: io.driver, outputs: [out], rand: seededRandom(seed + 1) });
  started.push(run);
  return { cloud, io, run, out, start: Date.now() };
}

function codes(events: readonly { error?: unknown }[]): string[] {
  return [...new Set(events.map((e) => errorCode(e.error) ?? String(e.error)))];
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** Nothing crashed, nothing escaped as an unhandled rejection, and the bridge still polls. */
function expectAlive({ run }: { run: Running }): void {
  expect(run.errors).toEqual([]);
  expect(unhandled).toEqual([]);
  expect(run.actor.getSnapshot().status).toBe('active');
  expect(run.of('session.failed')).toEqual([]);
}

/** The fault goes away; within `withinMs` the readings reach the output again, on the same login. */
async function expectRecovery(bridge: Bridge, withinMs: number): Promise<void> {
  bridge.cloud.fault = undefined;
  const doneBefore = bridge.run.of('frame.done').length;
  await runFor(bridge.io, withinMs);
  const after = bridge.run.of('frame.done').slice(doneBefore);
  expect(after.map((e) => e.result.outcome)).toContain('success');
  const stored = bridge.run.of('frame.stored').reduce((sum, e) => sum + e.result.stored, 0);
  expect(stored).toBeGreaterThan(0);
  expect(bridge.out.stored.flatMap((b) => b.entries).some((e) => e.date > Date.now() - 20 * MIN)).toBe(true);
  expect(bridge.cloud.logins).toBe(1);
  expectAlive(bridge);
}

// ---------------------------------------------------------------------------------------------
// The documented policy, as numbers

/**
 * The most frames that can start within `spanMs` when every frame fails, for any jitter:
 * machines.md "Failed frame" — between failed frames the step is min(cap, base·2^(n−1)) with
 * base = max(policy base, loop interval) and the shortest wait is half the step ("equal jitter").
 * The time the in-frame retries take is left out, which only makes the bound looser.
 */
function maxFailedFrames(spanMs: number, intervalMs: number, policy: { baseMs: number; capMs: number }, notBeforeMs = 0): number {
  const base = Math.max(policy.baseMs, intervalMs);
  const cap = Math.max(policy.capMs, base);
  let frames = 1;
  let at = 0;
  for (let n = 1; ; n++) {
    at += Math.max(Math.min(cap, base * 2 ** (n - 1)) / 2, notBeforeMs);
    if (at > spanMs) return frames;
    frames++;
  }
}

const SIX_HOURS = 6 * HOUR;
/** 1 + maxRetries attempts per frame (no re-login: a 5xx is not a 401). */
const ATTEMPTS_PER_FRAME = 1 + GRAPH_MAX_RETRIES;
/** Shortest in-frame wait: half the first step of the loop's backoff. */
const SHORTEST_RETRY_MS = GRAPH_BACKOFF.baseMs / 2;

describe('LibreLink Up faults on the graph call, through the real poller, over 6 hours', () => {
  it('a 500 storm: LLU022, in-frame retries then frame backoff up to the 30-min cap, one login, then readings again', async () => {
    const bridge = lluBridge(() => [500, { status: 500, message: 'Internal Server Error' }]);
    await runFor(bridge.io, SIX_HOURS);

    const failed = bridge.run.of('frame.attemptFailed');
    expect(codes(failed)).toEqual(['LLU022']);
    expect(bridge.run.of('frame.done').every((e) => e.result.outcome === 'failed')).toBe(true);

    // 60-s interval → frame waits ≥ 30 s, 60 s, 2, 4, 8 min, then ≥ 15 min (half the 30-min cap): ≤ 28 frames
    const frames = maxFailedFrames(SIX_HOURS, LLU_INTERVAL_MS, GRAPH_BACKOFF);
    expect(frames).toBe(28);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(frames * ATTEMPTS_PER_FRAME);
    expect(bridge.cloud.graphs.length).toBe(bridge.run.of('frame.done').length * ATTEMPTS_PER_FRAME);
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(SHORTEST_RETRY_MS);
    // once at the cap, at most one frame (3 requests) per 15 min
    const lastHour = bridge.cloud.graphs.filter((t) => t > bridge.start + 5 * HOUR);
    expect(lastHour.length).toBeLessThanOrEqual(ATTEMPTS_PER_FRAME * 4);
    expect(bridge.run.of('frame.done').at(-1)!.nextInMs).toBeGreaterThanOrEqual(GRAPH_BACKOFF.capMs / 2);
    expect(bridge.cloud.logins).toBe(1);
    expect(bridge.cloud.connections).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, GRAPH_BACKOFF.capMs);
  });

  it('truncated JSON: LLU023, retried like a 5xx — never faster', async () => {
    const body = JSON.stringify(healthyGraph()).slice(0, 120);
    const bridge = lluBridge(() => [200, body, { 'content-type': 'application/json' }]);
    await runFor(bridge.io, SIX_HOURS);

    expect(codes(bridge.run.of('frame.attemptFailed'))).toEqual(['LLU023']);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(maxFailedFrames(SIX_HOURS, LLU_INTERVAL_MS, GRAPH_BACKOFF) * ATTEMPTS_PER_FRAME);
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(SHORTEST_RETRY_MS);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, GRAPH_BACKOFF.capMs);
  });

  it('an HTML page (Cloudflare ban): LLU007, no in-frame retry, 10–20 min between requests', async () => {
    const page = '<!DOCTYPE html><html><head><title>Access denied | api-eu.libreview.io used Cloudflare to restrict access</title></head><body>Error 1015: You are being rate limited</body></html>';
    const bridge = lluBridge(() => [403, page, { 'content-type': 'text/html; charset=UTF-8' }]);
    await runFor(bridge.io, SIX_HOURS);

    const failed = bridge.run.of('frame.attemptFailed');
    expect(codes(failed)).toEqual(['LLU007']);
    // a ban is waited out, not retried inside the frame
    expect(failed.every((e) => e.attempt === 1 && e.retryInMs === undefined)).toBe(true);
    for (const done of bridge.run.of('frame.done')) {
      expect(done.nextInMs).toBeGreaterThanOrEqual(THROTTLE_MIN_MS);
      expect(done.nextInMs).toBeLessThanOrEqual(GRAPH_BACKOFF.capMs);
    }
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(THROTTLE_MIN_MS);
    // one request per ≥ 10 min: 1 + 36 in 6 h
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / THROTTLE_MIN_MS);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, GRAPH_BACKOFF.capMs);
  });

  it('a wrong shape (valid JSON, no connection): LLU026, frame skipped, no retry, polled at the normal interval', async () => {
    const bridge = lluBridge(() => [200, { status: 0, data: { graphData: [] }, ticket: fixture('login-success').data.authTicket }]);
    await runFor(bridge.io, SIX_HOURS);

    const failed = bridge.run.of('frame.attemptFailed');
    expect(codes(failed)).toEqual(['LLU026']);
    expect(failed.every((e) => e.attempt === 1 && e.retryInMs === undefined)).toBe(true);
    expect(bridge.run.of('frame.done').every((e) => e.result.outcome === 'skipped' && e.nextInMs === LLU_INTERVAL_MS)).toBe(true);
    // exactly the healthy rate: one request a minute, never more
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(LLU_INTERVAL_MS);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / LLU_INTERVAL_MS);
    expect(bridge.out.storeCalls).toBe(0);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, 2 * LLU_INTERVAL_MS);
  });

  it('HTTP 429 with Retry-After in seconds: no request before the hour is over, then one an hour', async () => {
    const bridge = lluBridge(() => [429, '', { 'retry-after': '3600' }]);
    await runFor(bridge.io, SIX_HOURS);

    expect(codes(bridge.run.of('frame.attemptFailed'))).toEqual(['LLU007']);
    expect(bridge.run.of('frame.done')[0]!.result.notBeforeMs).toBe(bridge.start + HOUR);
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(HOUR);
    // requests at 0, 1 h, … 6 h
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / HOUR);
    expect(bridge.cloud.graphs.length).toBeGreaterThanOrEqual(SIX_HOURS / HOUR);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, HOUR);
  });

  it('HTTP 429 with Retry-After as an HTTP date: waits until that moment', async () => {
    const bridge = lluBridge(() => [429, { status: 429, message: 'Too Many Requests' }, { 'retry-after': new Date(Date.now() + 2 * HOUR).toUTCString() }]);
    await runFor(bridge.io, SIX_HOURS);

    expect(codes(bridge.run.of('frame.attemptFailed'))).toEqual(['LLU007']);
    expect(bridge.run.of('frame.done')[0]!.result.notBeforeMs).toBe(bridge.start + 2 * HOUR);
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(2 * HOUR);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / (2 * HOUR));
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, 2 * HOUR);
  });

  it('a Retry-After of a year: waits the 6-h cap, not weeks, then asks again', async () => {
    const bridge = lluBridge(() => [429, '', { 'retry-after': String(365 * 24 * 3600) }]);
    await runFor(bridge.io, 2 * MAX_WAIT_MS);

    expect(codes(bridge.run.of('frame.attemptFailed'))).toEqual(['LLU007']);
    expect(bridge.run.of('frame.done')[0]!.result.notBeforeMs).toBe(bridge.start + MAX_WAIT_MS);
    expect(gaps(bridge.cloud.graphs)).toEqual([MAX_WAIT_MS, MAX_WAIT_MS]);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, MAX_WAIT_MS);
  });

  it('HTTP 503 with Retry-After (maintenance): the wait is honoured, not retried in seconds', async () => {
    const bridge = lluBridge(() => [503, { status: 503, message: 'maintenance' }, { 'retry-after': '1200' }]);
    await runFor(bridge.io, SIX_HOURS);

    expect(codes(bridge.run.of('frame.attemptFailed'))).toEqual(['LLU007']);
    expect(bridge.run.of('frame.done')[0]!.result.notBeforeMs).toBeGreaterThanOrEqual(bridge.start + 20 * MIN);
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(20 * MIN);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / (20 * MIN));
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, GRAPH_BACKOFF.capMs);
  });

  it('a storm of every fault in turn never logs in again and never spins', async () => {
    const faults: (() => Reply)[] = [
      () => [502, '<html><body>502 Bad Gateway</body></html>', { 'content-type': 'text/html' }],
      () => [200, '{"status":0,"data":{"conn', { 'content-type': 'application/json' }],
      () => [429, ''],
      () => [200, { status: 0, data: {} }],
      () => [200, 'null', { 'content-type': 'application/json' }],
      () => [503, { message: 'maintenance' }, { 'retry-after': '120' }],
    ];
    let i = 0;
    const bridge = lluBridge(() => faults[i++ % faults.length]!());
    await runFor(bridge.io, SIX_HOURS);

    expect(codes(bridge.run.of('frame.attemptFailed')).sort()).toEqual(['LLU007', 'LLU022', 'LLU023', 'LLU024', 'LLU026']);
    // every request is separated by at least the shortest in-frame wait, and there are fewer than a healthy bridge makes
    expect(Math.min(...gaps(bridge.cloud.graphs))).toBeGreaterThanOrEqual(SHORTEST_RETRY_MS);
    expect(bridge.cloud.graphs.length).toBeLessThanOrEqual(1 + SIX_HOURS / LLU_INTERVAL_MS);
    expect(bridge.cloud.logins).toBe(1);
    expectAlive(bridge);

    await expectRecovery(bridge, GRAPH_BACKOFF.capMs);
  });
});

// ---------------------------------------------------------------------------------------------
// The Nightscout source

describe('Nightscout source faults, through the real poller', () => {
  it('a 429 with Retry-After on a read: NS016, no request before the site allows, then readings again', async () => {
    const NSS_NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
    vi.setSystemTime(NSS_NOW);
    mockJwt();
    mockVersion(true);
    const reads: number[] = [];
    let limited = true;
    nock(SITE)
      .persist()
      .get((uri) => uri.startsWith('/api/v3/entries'))
      .reply(() => {
        reads.push(Date.now());
        if (limited) return [429, { status: 429, message: 'Too many requests' }, { 'retry-after': '1800' }];
        return [200, { status: 200, result: [{ ...v1Entry(Date.now() - MIN, 120), identifier: undefined }] }];
      })
      .get((uri) => uri.startsWith('/api/v3/treatments') || uri.startsWith('/api/v3/devicestatus'))
      .reply(200, { status: 200, result: [] });

    const driver = createNightscoutSourceDriver(nssSettings({ token: TOKEN }), testDriverContext(() => Date.now()));
    const io = instrument(driver);
    const out = fakeOutput('out');
    const run = startPoller({ driver: io.driver, outputs: [out], rand: seededRandom(3) });
  started.push(run);

    await runFor(io, 3 * HOUR);
    const entries = (e: { loop: string }) => e.loop === 'entries';
    const failed = run.of('frame.attemptFailed').filter(entries);
    expect(codes(failed)).toEqual(['NS016']);
    // honoured: waited out, not retried inside the frame
    expect(failed.every((e) => e.attempt === 1 && e.retryInMs === undefined)).toBe(true);
    expect(run.of('frame.done').filter(entries)[0]!.result.notBeforeMs).toBe(NSS_NOW + 30 * MIN);
    expect(Math.min(...gaps(reads))).toBeGreaterThanOrEqual(30 * MIN);
    expect(reads.length).toBeLessThanOrEqual(1 + (3 * HOUR) / (30 * MIN));
    // without Retry-After it would be 1 + MAX_RETRIES requests per frame: the limit is what made it one
    expect(NSS_MAX_RETRIES).toBeGreaterThan(0);
    expectAlive({ run });

    limited = false;
    const before = out.stored.length;
    await runFor(io, 30 * MIN);
    expect(out.stored.slice(before).flatMap((b) => b.entries)).not.toHaveLength(0);
    expectAlive({ run });
  });
});
