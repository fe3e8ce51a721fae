import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UpstreamError } from '../../lib/errors.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('poller: scheduling the next frame', () => {
  it('polls when the next reading should exist: newest + interval + lag', async () => {
    const loop = fakeLoop({ readings: [T0 - 6 * MIN, T0 - MIN] });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    // T0-1min + 5min + 20s = T0 + 4min20s
    expect(run.of('frame.done')[0]?.nextInMs).toBe(4 * MIN + 20 * SEC);
    loop.readings.push(T0 + 4 * MIN);
    await vi.advanceTimersByTimeAsync(4 * MIN + 20 * SEC - 1);
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    // the new reading re-aligns: T0+4min + 5min + lag, seen from T0+4min20s; it was there on time,
    // so the learned lag probes 1.5 s (interval / 200) earlier
    expect(run.of('frame.done')[1]?.nextInMs).toBe(5 * MIN - 1.5 * SEC);
    run.actor.stop();
  });

  it('picks the next future slot when the expected reading is overdue', async () => {
    const loop = fakeLoop({ readings: [T0 - 12 * MIN] });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    // slots T0-6:40 and T0-1:40 have passed; the next one is T0-12min + 3·5min + 20s = T0 + 3:20
    expect(run.of('frame.done')[0]?.nextInMs).toBe(3 * MIN + 20 * SEC);
    run.actor.stop();
  });

  it('uses the plain interval for loops without entries', async () => {
    const loop = fakeLoop({ name: 'treatments', collections: ['treatments'], expectedIntervalMs: 15 * MIN, readings: [T0 - MIN] });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    expect(run.of('frame.done')[0]?.nextInMs).toBe(15 * MIN);
    run.actor.stop();
  });

  it('backs off over consecutive failed frames up to the cap, and one success resets it', async () => {
    let failing = true;
    const loop = fakeLoop({
      maxRetries: 0,
      backoff: { baseMs: 5 * SEC, capMs: 20 * MIN },
      fetch: () => (failing ? Promise.reject(new UpstreamError('LLU500', 'bad gateway', 502)) : Promise.resolve([])),
    });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    for (const step of [3.75, 7.5, 15, 15]) {
      const next = run.of('frame.done').at(-1)?.nextInMs;
      expect(next).toBe(step * MIN);
      await vi.advanceTimersByTimeAsync(next ?? 0);
    }
    failing = false;
    await vi.advanceTimersByTimeAsync(run.of('frame.done').at(-1)?.nextInMs ?? 0);
    expect(run.of('frame.done').at(-1)).toMatchObject({ result: { outcome: 'success' }, nextInMs: 5 * MIN });
    failing = true;
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(run.of('frame.done').at(-1)?.nextInMs).toBe(3.75 * MIN);
    expect(loop.fetch).toHaveBeenCalledTimes(7);
    run.actor.stop();
  });
});
