import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchSize } from '../../lib/domain.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

const readingsUntil = (last: number, count: number) => Array.from({ length: count }, (_, i) => last - (count - 1 - i) * 5 * MIN);

describe('poller: one healthy poll', () => {
  it('logs in, asks the outputs what they have, fetches the gap, and stores it in every output', async () => {
    const session = fakeSession();
    const loop = fakeLoop({ readings: readingsUntil(T0 - 1 * MIN, 12) });
    const files = fakeOutput('filesystem');
    const nightscout = fakeOutput('nightscout', { newest: { entries: T0 - 21 * MIN } });
    const run = startPoller({ driver: fakeDriver(session, [loop]), outputs: [files, nightscout] });
    await settle();

    expect(session.authenticate).toHaveBeenCalledTimes(1);
    expect(session.authorize).toHaveBeenCalledTimes(1);
    // filesystem has nothing yet, so the whole vendor history is asked for
    const window = loop.fetch.mock.calls[0]?.[1];
    expect(window).toEqual({ fromMs: T0 - 24 * 60 * MIN, toMs: T0 });
    expect(loop.fetch.mock.calls[0]?.[0]).toBe(session.sessions[0]);
    expect(files.stored).toHaveLength(1);
    expect(nightscout.stored).toEqual(files.stored);
    expect(batchSize(files.stored[0]!)).toBe(12);

    expect(run.events.map((e) => e.type)).toEqual([
      'session.established',
      'frame.fetching',
      'frame.fetched',
      'frame.transformed',
      'frame.stored',
      'frame.stored',
      'frame.done',
    ]);
    expect(run.of('frame.done')[0]?.result).toEqual({ outcome: 'success', fetched: 12, newestEntryMs: T0 - 1 * MIN });
    // Told before the vendor call, with the window asked for and when the call began.
    expect(run.of('frame.fetching')).toEqual([{ type: 'frame.fetching', bridgeId: run.of('frame.fetched')[0]?.bridgeId, loop: 'entries', window, startedMs: T0 }]);
    expect(run.errors).toEqual([]);
    run.actor.stop();
  });

  it('starts the window at the output furthest behind, bounded by the vendor history', async () => {
    const loop = fakeLoop({ historyMs: 60 * MIN });
    const a = fakeOutput('a', { newest: { entries: T0 - 10 * MIN } });
    const b = fakeOutput('b', { newest: { entries: T0 - 30 * MIN } });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [a, b] });
    await settle();
    expect(loop.fetch.mock.calls[0]?.[1]).toEqual({ fromMs: T0 - 30 * MIN, toMs: T0 });

    a.newestAnswer = { entries: T0 - 3 * 60 * MIN };
    b.newestAnswer = { entries: T0 - 2 * 60 * MIN };
    // next slot after the newest known reading (T0-10min): T0-10min + 2·5min + 20s
    await vi.advanceTimersByTimeAsync(20 * SEC);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    expect(loop.fetch.mock.calls[1]?.[1]).toEqual({ fromMs: T0 + 20 * SEC - 60 * MIN, toMs: T0 + 20 * SEC });
    run.actor.stop();
  });

  it('treats an output whose newest() fails as empty and back-fills the whole history', async () => {
    const loop = fakeLoop({ historyMs: 8 * 60 * MIN });
    const broken = fakeOutput('broken', { newest: new Error('ECONNREFUSED') });
    const fine = fakeOutput('fine', { newest: { entries: T0 - 10 * MIN } });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [broken, fine] });
    await settle();
    expect(loop.fetch.mock.calls[0]?.[1]?.fromMs).toBe(T0 - 8 * 60 * MIN);
    run.actor.stop();
  });

  it('does not call the outputs when the vendor has nothing new, and still succeeds', async () => {
    const loop = fakeLoop({ readings: [] });
    const out = fakeOutput('out', { newest: { entries: T0 - 2 * MIN } });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [out] });
    await settle();
    expect(out.storeCalls).toBe(0);
    // the output's newest reading still aligns the schedule: T0-2min + 5min + 20s
    expect(run.of('frame.done')[0]).toMatchObject({
      result: { outcome: 'success', fetched: 0, newestEntryMs: T0 - 2 * MIN },
      nextInMs: 3 * MIN + 20 * SEC,
    });
    run.actor.stop();
  });
});
