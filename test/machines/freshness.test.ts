import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialFreshness, MAX_MISS_RETRY_MS, missRetryDelayMs, missRetryMs, observeFrame, type Freshness } from '../../machines/freshness.js';
import { nextFrameDelayMs } from '../../machines/schedule.js';
import type { FetchWindow } from '../../lib/contracts/source.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

const INTERVAL = MIN;
const seen = (lagMs: number, newestMs: number, misses = 0): Freshness => ({ lagMs, newestMs, misses });

describe('observeFrame: learning the vendor lag', () => {
  it('starts from the loop lag and remembers the first newest reading without learning from it', () => {
    const s = observeFrame(initialFreshness(5 * SEC), T0, T0 - 40 * SEC, INTERVAL, 5 * SEC);
    expect(s).toEqual({ lagMs: 5 * SEC, newestMs: T0 - 40 * SEC, misses: 0 });
  });

  it('counts a poll that expected a reading and found none as a miss', () => {
    const s = seen(5 * SEC, T0);
    expect(observeFrame(s, T0 + INTERVAL + 5 * SEC, T0, INTERVAL, 5 * SEC).misses).toBe(1);
    // Before the next reading is even due, nothing was missed.
    expect(observeFrame(s, T0 + 30 * SEC, T0, INTERVAL, 5 * SEC).misses).toBe(0);
  });

  it('after a miss, learns the lag from when the reading was first seen', () => {
    const missed = { ...seen(5 * SEC, T0, 1), lastMissMs: T0 + INTERVAL + 12 * SEC };
    const s = observeFrame(missed, T0 + INTERVAL + 17 * SEC, T0 + INTERVAL, INTERVAL, 5 * SEC);
    expect(s).toEqual({ lagMs: 17 * SEC, newestMs: T0 + INTERVAL, misses: 0 });
  });

  it('never learns more than one short step past the last miss (long retry steps would overstate it)', () => {
    const missed = { ...seen(5 * SEC, T0, 3), lastMissMs: T0 + INTERVAL + 10 * SEC };
    expect(observeFrame(missed, T0 + INTERVAL + 40 * SEC, T0 + INTERVAL, INTERVAL, 5 * SEC).lagMs).toBe(15 * SEC);
  });

  it('counts the next reading as missed when it is already due where a late frame found this one', () => {
    // The first frame finds T0 at T0 + 70 s: T0 + 1 min was due at T0 + 65 s and is not there.
    const s = observeFrame(initialFreshness(5 * SEC), T0 + 70 * SEC, T0, INTERVAL, 5 * SEC);
    expect(s).toEqual({ lagMs: 5 * SEC, newestMs: T0, misses: 1, lastMissMs: T0 + 70 * SEC });
    expect(missRetryDelayMs(s, T0 + 70 * SEC, INTERVAL)).toBe(5 * SEC);
  });

  it('probes earlier by interval/200 when the reading was there on time', () => {
    const s = observeFrame(seen(17 * SEC, T0), T0 + INTERVAL + 17 * SEC, T0 + INTERVAL, INTERVAL, 5 * SEC);
    expect(s.lagMs).toBe(17 * SEC - 300);
    expect(observeFrame(seen(100, T0), T0 + INTERVAL, T0 + INTERVAL, INTERVAL, 0).lagMs).toBe(0);
  });

  it('learns nothing from a reading found well after the target (held back by the floor or the stagger)', () => {
    const s = observeFrame(seen(5 * SEC, T0), T0 + INTERVAL + 30 * SEC, T0 + INTERVAL, INTERVAL, 5 * SEC);
    expect(s).toEqual({ lagMs: 5 * SEC, newestMs: T0 + INTERVAL, misses: 0 });
  });

  it('learns nothing from a jump over several readings (we were late, not the vendor)', () => {
    const s = observeFrame(seen(5 * SEC, T0, 1), T0 + 10 * MIN, T0 + 9 * MIN, INTERVAL, 5 * SEC);
    expect(s).toEqual({ lagMs: 5 * SEC, newestMs: T0 + 9 * MIN, misses: 0 });
  });

  it('never believes a lag longer than one interval', () => {
    const missed = { ...seen(5 * SEC, T0, 3), lastMissMs: T0 + INTERVAL + 175 * SEC };
    const s = observeFrame(missed, T0 + INTERVAL + 3 * MIN, T0 + INTERVAL, INTERVAL, 5 * SEC);
    expect(s.lagMs).toBe(INTERVAL);
  });
});

describe('missRetryDelayMs: a missing reading is retried shortly', () => {
  it('steps interval/12 within 2–20 s, doubling per miss', () => {
    expect([1, 2, 3, 4].map((n) => missRetryMs(n, MIN))).toEqual([5 * SEC, 10 * SEC, 20 * SEC, 20 * SEC]);
    expect(missRetryMs(1, 5 * MIN)).toBe(MAX_MISS_RETRY_MS);
    expect(missRetryMs(1, 10 * SEC)).toBe(2 * SEC);
  });

  it('retries only while the missed reading is still due, never past the next slot', () => {
    const missed = seen(5 * SEC, T0, 1);
    expect(missRetryDelayMs(missed, T0 + 65 * SEC, INTERVAL)).toBe(5 * SEC);
    // the slot after it is T0 + 2 min + 5 s
    expect(missRetryDelayMs({ ...missed, misses: 3 }, T0 + 2 * MIN, INTERVAL)).toBe(5 * SEC);
    expect(missRetryDelayMs(missed, T0 + 2 * MIN + 5 * SEC, INTERVAL)).toBeUndefined();
    expect(missRetryDelayMs(seen(5 * SEC, T0), T0 + 65 * SEC, INTERVAL)).toBeUndefined();
  });
});

describe('nextFrameDelayMs with freshness', () => {
  const loop = { collections: ['entries'], expectedIntervalMs: MIN, lagMs: 5 * SEC, minIntervalMs: 30 * SEC };
  const result = (newestEntryMs: number) => ({ outcome: 'success' as const, fetched: 1, newestEntryMs });

  it('targets newest + interval + the learned lag', () => {
    expect(nextFrameDelayMs(T0, result(T0 - 10 * SEC), 0, loop, Math.random, seen(12 * SEC, T0 - 10 * SEC))).toBe(62 * SEC);
  });

  it('a miss retries below the floor, which only spaces polls that found their reading', () => {
    expect(nextFrameDelayMs(T0 + 65 * SEC, result(T0), 0, loop, Math.random, seen(5 * SEC, T0, 1))).toBe(5 * SEC);
    // a reading found 50 s after its time still waits for the floor, not 15 s
    expect(nextFrameDelayMs(T0 + 50 * SEC, result(T0), 0, loop, Math.random, seen(5 * SEC, T0))).toBe(30 * SEC);
  });
});

describe('poller: freshness under a simulated clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A vendor with a reading every minute that shows each one `vendorLagMs` after its time. */
  function laggingVendor(vendorLagMs: number) {
    const readings = Array.from({ length: 80 }, (_, i) => T0 - 10 * MIN + i * MIN);
    return fakeLoop({
      expectedIntervalMs: MIN,
      lagMs: 5 * SEC,
      minIntervalMs: 30 * SEC,
      readings,
      fetch: (_s: unknown, w: FetchWindow) => Promise.resolve(readings.filter((d) => d > w.fromMs && d <= w.toMs && d + vendorLagMs <= Date.now())),
    });
  }

  it('retries a late reading after 5 s instead of a minute, then polls at the learned lag', async () => {
    const loop = laggingVendor(18 * SEC);
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    // T0: newest visible is T0-1min (T0 shows at T0+18s). T0+5s would be due, but the floor is 30 s.
    expect(run.of('frame.done').map((e) => e.nextInMs)).toEqual([30 * SEC]);
    // T0+30s finds T0 late (floor), learns nothing; T0+1min is due at T0+1min+5s.
    await vi.advanceTimersByTimeAsync(30 * SEC);
    await vi.advanceTimersByTimeAsync(35 * SEC); // T0+65s: miss → 5 s
    await vi.advanceTimersByTimeAsync(5 * SEC); // T0+70s: miss → 10 s
    // T0+80s: found T0+1min, missing at T0+70s: the lag is 10 s + one 5-s step = 15 s
    await vi.advanceTimersByTimeAsync(10 * SEC);
    await vi.advanceTimersByTimeAsync(55 * SEC); // T0+135s: T0+2min not there yet (T0+138s) → 5 s
    await vi.advanceTimersByTimeAsync(5 * SEC); // T0+140s: found; the lag is 20 s, next at T0+3min+20s
    expect(run.of('frame.done').map((e) => e.nextInMs)).toEqual([30, 35, 5, 10, 55, 5, 60].map((s) => s * SEC));
    expect(loop.fetch).toHaveBeenCalledTimes(7);
    run.actor.stop();
  });

  it('over an hour makes at most 1.2 vendor calls per reading and adds at most 5 s for 95 % of them', async () => {
    const loop = laggingVendor(18 * SEC);
    const found = new Map<number, number>();
    const run = startPoller({
      driver: fakeDriver(fakeSession(), [loop]),
      outputs: [fakeOutput('out')],
      notify: (e) => {
        if (e.type !== 'frame.transformed') return;
        for (const entry of e.batch.entries) if (!found.has(entry.date)) found.set(entry.date, Date.now());
      },
    });
    await settle();
    await vi.advanceTimersByTimeAsync(60 * MIN);
    const live = [...found].filter(([date]) => date > T0);
    const delays = live.map(([date, at]) => at - (date + 18 * SEC)).sort((a, b) => a - b);
    expect(live.length).toBeGreaterThanOrEqual(58);
    expect(delays[Math.floor(delays.length * 0.95) - 1]).toBeLessThanOrEqual(5 * SEC);
    expect(loop.fetch.mock.calls.length / live.length).toBeLessThanOrEqual(1.2);
    run.actor.stop();
  });
});
