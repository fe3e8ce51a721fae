import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from 'xstate';
import type { StoreResult } from '../../lib/contracts/output.js';
import { cycleId, SESSION_ID } from '../../machines/poller.js';
import { deferred, fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('poller: several loops share one session', () => {
  it('logs in once for two loops asking at the same time, and both use that session', async () => {
    const login = deferred<unknown>();
    const session = fakeSession({ authenticate: () => login.promise });
    const entries = fakeLoop({ readings: [T0 - MIN] });
    const treatments = fakeLoop({ name: 'treatments', collections: ['treatments'], readings: [] });
    const run = startPoller({ driver: fakeDriver(session, [entries, treatments]), outputs: [fakeOutput('out')] });
    await settle();
    expect(Object.keys(run.actor.getSnapshot().children).sort()).toEqual([cycleId('entries'), cycleId('treatments'), SESSION_ID]);
    login.resolve({ token: 't' });
    await settle();
    expect(session.authenticate).toHaveBeenCalledTimes(1);
    expect(entries.fetch.mock.calls[0]?.[0]).toBe(session.sessions[0]);
    expect(treatments.fetch.mock.calls[0]?.[0]).toBe(session.sessions[0]);
    run.actor.stop();
  });
});

describe('poller: once', () => {
  it('runs one frame per loop, then finishes with every result and leaves no timer behind', async () => {
    const entries = fakeLoop({ readings: [T0 - 2 * MIN, T0 - MIN] });
    const treatments = fakeLoop({ name: 'treatments', collections: ['treatments'], readings: [] });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [entries, treatments]), outputs: [fakeOutput('out')], once: true });
    await settle();
    const snapshot = run.actor.getSnapshot();
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({
      results: {
        entries: { outcome: 'success', fetched: 2, newestEntryMs: T0 - MIN },
        treatments: { outcome: 'success', fetched: 0 },
      },
    });
    expect(run.of('frame.done').every((e) => e.nextInMs === undefined)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('finishes right away with empty results for a driver without loops', () => {
    const run = startPoller({ driver: fakeDriver(fakeSession(), []), outputs: [], once: true });
    expect(run.actor.getSnapshot().output).toEqual({ results: {} });
  });
});

describe('poller: STOP drains', () => {
  it('aborts a fetch in flight and finishes without writing', async () => {
    let fetchSignal: AbortSignal | undefined;
    const loop = fakeLoop({
      fetch: (_s, _w, signal) => {
        fetchSignal = signal;
        return new Promise(() => undefined);
      },
    });
    const out = fakeOutput('out');
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [out] });
    await settle();
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    run.actor.send({ type: 'STOP' });
    await settle();
    expect(fetchSignal?.aborted).toBe(true);
    expect(run.actor.getSnapshot().status).toBe('done');
    expect(run.actor.getSnapshot().output?.results.entries).toMatchObject({ outcome: 'failed', error: { code: 'HUB003' } });
    expect(out.storeCalls).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a write in flight finish, then finishes', async () => {
    const write = deferred<StoreResult>();
    let storeSignal: AbortSignal | undefined;
    const out = fakeOutput('out', {
      store: (_b, signal) => {
        storeSignal = signal;
        return write.promise;
      },
    });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [fakeLoop({ readings: [T0 - MIN] })]), outputs: [out] });
    await settle();
    expect(out.storeCalls).toBe(1);
    run.actor.send({ type: 'STOP' });
    await settle();
    expect(run.actor.getSnapshot().status).toBe('active');
    expect(storeSignal?.aborted).toBe(false);
    write.resolve({ stored: 1, duplicates: 0 });
    const done = await waitFor(run.actor, (s) => s.status === 'done');
    expect(done.output?.results.entries).toMatchObject({ outcome: 'success', fetched: 1 });
    expect(out.stored).toHaveLength(1);
    // no retry and no next frame after a drain
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'success' } }]);
    expect(run.of('frame.done')[0]?.nextInMs).toBeUndefined();
  });

  it('does not retry a write that failed while draining', async () => {
    const write = deferred<StoreResult>();
    const out = fakeOutput('out', { store: () => write.promise });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [fakeLoop({ readings: [T0 - MIN] })]), outputs: [out] });
    await settle();
    run.actor.send({ type: 'STOP' });
    write.reject(new Error('disk full'));
    await settle();
    expect(run.actor.getSnapshot().status).toBe('done');
    expect(out.storeCalls).toBe(1);
    expect(run.of('frame.attemptFailed')).toHaveLength(1);
  });

  it('stops at once between frames, and aborts a login in flight', async () => {
    const idle = startPoller({ driver: fakeDriver(fakeSession(), [fakeLoop()]), outputs: [fakeOutput('out')] });
    await settle();
    expect(idle.actor.getSnapshot().children[cycleId('entries')]?.getSnapshot().value).toBe('scheduled');
    idle.actor.send({ type: 'STOP' });
    expect(idle.actor.getSnapshot().status).toBe('done');

    let loginSignal: AbortSignal | undefined;
    const hanging = fakeSession({
      authenticate: (signal) => {
        loginSignal = signal;
        return new Promise(() => undefined);
      },
    });
    const busy = startPoller({ driver: fakeDriver(hanging, [fakeLoop()]), outputs: [fakeOutput('out')] });
    await settle();
    busy.actor.send({ type: 'STOP' });
    await settle();
    expect(busy.actor.getSnapshot().status).toBe('done');
    expect(loginSignal?.aborted).toBe(true);
  });
});

describe('poller: robustness', () => {
  it('keeps running when a notify listener throws', async () => {
    const loop = fakeLoop({ readings: [T0 - MIN] });
    const out = fakeOutput('out');
    const run = startPoller({
      driver: fakeDriver(fakeSession(), [loop]),
      outputs: [out],
      notify: () => {
        throw new Error('listener bug');
      },
    });
    await settle();
    // The aligned frame: T0-1min + 5min + 20s.
    await vi.advanceTimersByTimeAsync(4 * MIN + 20 * SEC);
    expect(run.errors).toEqual([]);
    expect(out.stored).toHaveLength(1);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    run.actor.stop();
  });

  it('refuses a driver with two loops of the same name', () => {
    const run = startPoller({ driver: fakeDriver(fakeSession(), [fakeLoop(), fakeLoop()]), outputs: [] });
    expect(run.actor.getSnapshot().status).toBe('error');
    expect(run.errors).toMatchObject([{ code: 'HUB006' }]);
  });
});
