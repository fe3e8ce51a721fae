import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchSize, type Batch } from '../../lib/domain.js';
import { AuthError, NetworkError, StorageError } from '../../lib/errors.js';
import { reliable, DRAIN_BACKOFF, DRAIN_BACKOFF_REFUSED } from '../../outputs/reliable/index.js';
import { DocumentQueue } from '../../outputs/reliable/queue.js';
import { confirm, emptyRouterState, repairFuture, route, seed, SEED_LATE_MS } from '../../outputs/reliable/router.js';
import type { Output, StoreResult } from '../../lib/contracts/output.js';
import { captureLog } from '../fakes/capture-log.js';
import { memoryStateStore } from '../fakes/driver-context.js';
import { batchOf, MIN, T0 } from '../machines/fakes.js';

const HOUR = 60 * MIN;
const signal = () => new AbortController().signal;

/** A destination that records what it confirmed, and fails while `down` says so. */
function fakeTransport(name = 'nightscout') {
  const received: Batch[] = [];
  const state = { down: undefined as Error | undefined, newest: {} as Record<string, number> };
  const newest = vi.fn(() => Promise.resolve(state.newest));
  const store = vi.fn((batch: Batch): Promise<StoreResult> => {
    if (state.down) return Promise.reject(state.down);
    received.push(batch);
    return Promise.resolve({ stored: batchSize(batch), duplicates: 0 });
  });
  const transport: Output & { received: Batch[]; state: typeof state; mocks: { store: typeof store; newest: typeof newest } } = {
    name,
    received,
    state,
    mocks: { store, newest },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    newest,
    store,
  };
  return transport;
}

const confirmedDates = (t: ReturnType<typeof fakeTransport>) => t.received.flatMap((b) => b.entries.map((e) => e.date));

/** The clock stands a day after T0, so the tests' readings around T0 are in the past. */
const NOW = T0 + 24 * 60 * MIN;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('router (pure)', () => {
  it('drops confirmed identifiers and anything behind the horizon, but lets a late new reading through', () => {
    const state = confirm(emptyRouterState(), batchOf([T0, T0 + 5 * MIN]), 24 * HOUR);
    const routed = route(state, batchOf([T0, T0 + 5 * MIN, T0 + 2 * MIN, T0 - 25 * HOUR, T0 + 10 * MIN]), 24 * HOUR);
    expect(routed.send.entries.map((e) => e.date)).toEqual([T0 + 2 * MIN, T0 + 10 * MIN]);
    expect(routed.dropped).toBe(3);
  });

  it('forgets identifiers that fall behind the horizon, keeping its state small', () => {
    let state = confirm(emptyRouterState(), batchOf([T0]), HOUR);
    state = confirm(state, batchOf([T0 + 2 * HOUR]), HOUR);
    expect(Object.keys(state.collections.entries!.recent)).toHaveLength(1);
    expect(state.collections.entries!.watermark).toBe(T0 + 2 * HOUR);
  });
});

describe('queue (pure)', () => {
  function queueOf(dates: readonly number[], newestFirst: ('entries' | 'treatments' | 'devicestatus')[] = []): DocumentQueue {
    const q = new DocumentQueue(newestFirst);
    for (const e of batchOf(dates).entries) q.add('entries', e);
    return q;
  }

  it('keeps one document per identifier and evicts the oldest when full', () => {
    const q = queueOf([T0 + 10 * MIN, T0, T0 + 5 * MIN, T0]);
    expect(q.size).toBe(3);
    expect(q.take(10, NOW).map((i) => i.document.date)).toEqual([T0, T0 + 5 * MIN, T0 + 10 * MIN]);
    expect(q.bound(2).map((i) => i.document.date)).toEqual([T0]);
    expect(q.take(10, NOW).map((i) => i.document.date)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);
  });

  it('sends newest first where the output asks for it, never-failed documents before retries, and future ones only when due', () => {
    const q = queueOf([T0, T0 + 5 * MIN, T0 + 10 * MIN, NOW + HOUR], ['entries']);
    const [oldest] = q.take(10, NOW).slice(-1);
    q.put({ ...oldest!, attempts: 1, retryAtMs: NOW + MIN });
    expect(q.take(10, NOW).map((i) => i.document.date)).toEqual([T0 + 10 * MIN, T0 + 5 * MIN]);
    expect(q.take(10, NOW + MIN).map((i) => i.document.date)).toEqual([T0 + 10 * MIN, T0 + 5 * MIN, T0]);
    expect(q.newest(NOW)).toEqual({ entries: T0 + 10 * MIN });
    expect(q.nextDueMs(NOW)).toBe(NOW + MIN);
    expect(q.take(10, NOW + HOUR).map((i) => i.document.date)).toEqual([NOW + HOUR, T0 + 10 * MIN, T0 + 5 * MIN, T0]);
  });
});

describe('reliable output', () => {
  function setup(options: { maxEntries?: number; state?: ReturnType<typeof memoryStateStore>; transport?: ReturnType<typeof fakeTransport> } = {}) {
    const transport = options.transport ?? fakeTransport();
    const state = options.state ?? memoryStateStore();
    const captured = captureLog();
    const output = reliable(transport, { state, log: captured.log, now: () => Date.now(), maxEntries: options.maxEntries ?? 10_000, rand: () => 0.5 });
    return { transport, state, captured, output };
  }

  it('sends each reading once even when the vendor repeats its whole window every frame, across a restart', async () => {
    const { transport, state, output } = setup();
    await output.start();
    const window = [T0, T0 + 5 * MIN, T0 + 10 * MIN];
    expect(await output.store(batchOf(window), signal())).toEqual({ stored: 3, duplicates: 0 });
    expect(await output.store(batchOf([...window, T0 + 15 * MIN]), signal())).toEqual({ stored: 1, duplicates: 3 });
    await output.stop();

    const again = setup({ state, transport });
    await again.output.start();
    expect(await again.output.newest(signal())).toEqual({ entries: T0 + 15 * MIN });
    expect(await again.output.store(batchOf([...window, T0 + 15 * MIN]), signal())).toEqual({ stored: 0, duplicates: 4 });
    expect(confirmedDates(transport)).toEqual([...window, T0 + 15 * MIN]);
  });

  it('asks the destination what it has only while it knows nothing, so a fresh install back-fills exactly the gap', async () => {
    const transport = fakeTransport();
    transport.state.newest = { entries: T0 + 5 * MIN };
    const { output } = setup({ transport });
    await output.start();
    expect(await output.newest(signal())).toEqual({ entries: T0 + 5 * MIN });
    await output.store(batchOf([T0 + 10 * MIN]), signal());
    expect(await output.newest(signal())).toEqual({ entries: T0 + 10 * MIN });
    expect(transport.mocks.newest).toHaveBeenCalledTimes(1);
  });

  it('Nightscout down for 6 hours: frames keep succeeding, and on recovery every reading arrives once, oldest first', async () => {
    const { transport, output, captured } = setup();
    await output.start();
    transport.state.down = new NetworkError('NS009', 'cannot reach the target Nightscout');
    const produced: number[] = [];
    // A CGM every 5 minutes; the vendor re-sends the last 30 minutes each time, as LibreLink Up's graph does.
    for (let t = T0; t < T0 + 6 * HOUR; t += 5 * MIN) {
      produced.push(t);
      const result = await output.store(batchOf(produced.slice(-6)), signal());
      expect(result.stored).toBe(0);
      expect(result.queued).toBeGreaterThan(0);
      await vi.advanceTimersByTimeAsync(5 * MIN);
    }
    expect(transport.received).toEqual([]);
    // While down, retries are spaced by the drain backoff (≤ 2 min), never tighter.
    const attempts = transport.mocks.store.mock.calls.length;
    expect(attempts).toBeLessThanOrEqual((6 * HOUR) / (DRAIN_BACKOFF.capMs / 2) + 10);
    expect(attempts).toBeGreaterThan(6 * 4);

    transport.state.down = undefined;
    await vi.advanceTimersByTimeAsync(DRAIN_BACKOFF.capMs);
    expect(confirmedDates(transport)).toEqual(produced);
    expect(transport.received[0]!.entries.map((e) => e.date)).toEqual(produced);
    expect(captured.text()).toContain(`delivered ${produced.length} queued documents`);
    // The outage was the output's, not the documents': none of them counts a failed attempt of its own.
    expect(captured.text()).not.toContain('DLQ007');
    expect(await output.store(batchOf(produced.slice(-6)), signal())).toEqual({ stored: 0, duplicates: 6 });
  });

  it('a restart during an outage delivers what was queued before it', async () => {
    const { transport, state, output } = setup();
    await output.start();
    transport.state.down = new NetworkError('NS009', 'down');
    await output.store(batchOf([T0, T0 + 5 * MIN]), signal());
    await output.stop();

    transport.state.down = undefined;
    const again = setup({ state, transport });
    await again.output.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(confirmedDates(transport)).toEqual([T0, T0 + 5 * MIN]);
    expect(await again.output.newest(signal())).toEqual({ entries: T0 + 5 * MIN });
  });

  it('is bounded: when full the oldest are dropped, counted and warned about (DLQ001)', async () => {
    const { transport, output, captured } = setup({ maxEntries: 100 });
    await output.start();
    transport.state.down = new NetworkError('NS009', 'down');
    const dates = Array.from({ length: 150 }, (_, i) => T0 + i * MIN);
    const result = await output.store(batchOf(dates), signal());
    expect(result).toMatchObject({ queued: 100, waiting: 100, delivery: 'unavailable' });
    expect(captured.lines().find((l) => l.code === 'DLQ001')?.msg).toContain('dropped the 50 oldest');
    transport.state.down = undefined;
    await vi.advanceTimersByTimeAsync(DRAIN_BACKOFF.capMs);
    expect(confirmedDates(transport)).toEqual(dates.slice(50));
  });

  it('refused credentials are retried slowly, not every 15 s', async () => {
    const { transport, output } = setup();
    await output.start();
    transport.state.down = new AuthError('NS004', 'unknown token');
    await output.store(batchOf([T0]), signal());
    const calls = () => transport.mocks.store.mock.calls.length;
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(DRAIN_BACKOFF_REFUSED.baseMs * 0.75 - 1);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(2);
  });

  it('a queue that cannot be written fails the store, so the frame is retried and nothing is lost', async () => {
    const state = memoryStateStore();
    const { transport, output } = setup({ state });
    await output.start();
    transport.state.down = new NetworkError('NS009', 'down');
    state.writeLines = () => Promise.reject(new StorageError('STATE003', 'disk full'));
    await expect(output.store(batchOf([T0]), signal())).rejects.toThrow(/STATE003/);
  });

  it('a destination that hangs is given up on before the fan-out timeout, and the batch is queued', async () => {
    const { transport, output } = setup();
    await output.start();
    transport.mocks.store.mockImplementationOnce(() => new Promise(() => undefined));
    const pending = output.store(batchOf([T0]), signal());
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(pending).resolves.toMatchObject({ queued: 1, waiting: 1 });
    expect((await pending).error).toMatchObject({ code: 'DLQ003' });
  });
});

describe('router seeded from the destination', () => {
  it('resends only the last hour before what the destination reports, not the whole horizon', () => {
    const state = seed(emptyRouterState(), { entries: T0 }, NOW);
    const routed = route(state, batchOf([T0 - 3 * HOUR, T0 - SEED_LATE_MS, T0 - 20 * MIN, T0, T0 + 5 * MIN]), 24 * HOUR);
    expect(routed.send.entries.map((e) => e.date)).toEqual([T0 - 20 * MIN, T0, T0 + 5 * MIN]);
    const later = confirm(state, routed.send, 24 * HOUR);
    expect(route(later, batchOf([T0 - 2 * HOUR]), 24 * HOUR).dropped).toBe(1);
  });
});

describe('router and the future', () => {
  it('does not take a date from the future reported by the destination as its watermark', () => {
    const state = seed(emptyRouterState(), { entries: NOW + 30 * 24 * HOUR, treatments: T0 }, NOW);
    expect(state.collections.entries).toBeUndefined();
    expect(route(state, batchOf([NOW - 5 * MIN]), 24 * HOUR).send.entries).toHaveLength(1);
  });

  it('repairs a saved watermark ahead of now to the newest confirmed reading that is not', () => {
    let state = confirm(emptyRouterState(), batchOf([NOW - 10 * MIN, NOW - 5 * MIN, NOW + 2 * HOUR]), 24 * HOUR);
    const repaired = repairFuture(state, NOW);
    expect(repaired.repaired).toEqual(['entries']);
    expect(repaired.state.collections.entries!.watermark).toBe(NOW - 5 * MIN);
    expect(route(repaired.state, batchOf([NOW - 5 * MIN, NOW]), 24 * HOUR).send.entries.map((e) => e.date)).toEqual([NOW]);
    // A month ahead, the real readings behind it were forgotten: the output is asked again what it holds.
    state = confirm(emptyRouterState(), batchOf([NOW - 5 * MIN, NOW + 30 * 24 * HOUR]), 24 * HOUR);
    expect(repairFuture(state, NOW).state.collections.entries).toBeUndefined();
  });
});
