import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthError, NetworkError, RateLimitError, SessionExpiredError, TransformError, UpstreamError } from '../../lib/errors.js';
import { DEFAULT_FETCH_DEADLINE_MS } from '../../machines/frame.js';
import type { SourceLoop } from '../../lib/contracts/source.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

// With rand = 0.5 and "equal jitter", a step of s waits 0.75·s.
// In-frame retries (base 5 s): 3.75 s, 7.5 s. Between failed frames (base = 5 min interval): 3.75 min, 7.5 min, …
const RETRY_1 = 3_750;
const RETRY_2 = 7_500;
const FRAME_BACKOFF_1 = 3.75 * MIN;
const FRAME_BACKOFF_2 = 7.5 * MIN;

describe('poller: when the vendor login fails', () => {
  it('retries a network failure with backoff inside the frame, then backs off between frames', async () => {
    const session = fakeSession({ authenticate: () => Promise.reject(new NetworkError('LLU010', 'ECONNRESET')) });
    const loop = fakeLoop();
    const run = startPoller({ driver: fakeDriver(session, [loop]), outputs: [fakeOutput('out')] });
    await settle();
    expect(session.authenticate).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(RETRY_1 - 1);
    expect(session.authenticate).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(RETRY_2);
    expect(session.authenticate).toHaveBeenCalledTimes(3);
    expect(run.of('frame.attemptFailed').map((e) => [e.attempt, e.retryInMs])).toEqual([[1, RETRY_1], [2, RETRY_2], [3, undefined]]);
    expect(run.of('frame.done')[0]).toMatchObject({ result: { outcome: 'failed' }, nextInMs: FRAME_BACKOFF_1 });

    await vi.advanceTimersByTimeAsync(FRAME_BACKOFF_1 - 1);
    expect(session.authenticate).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(session.authenticate).toHaveBeenCalledTimes(4);
    expect(loop.fetch).not.toHaveBeenCalled();
    run.actor.stop();
  });

  it('never retries refused credentials inside a frame: one login per frame, frames back off', async () => {
    const session = fakeSession({ authenticate: () => Promise.reject(new AuthError('LLU003', 'invalid credentials')) });
    const run = startPoller({ driver: fakeDriver(session, [fakeLoop()]), outputs: [fakeOutput('out')] });
    await settle();
    expect(session.authenticate).toHaveBeenCalledTimes(1);
    expect(run.of('frame.done').map((e) => e.nextInMs)).toEqual([FRAME_BACKOFF_1]);
    await vi.advanceTimersByTimeAsync(FRAME_BACKOFF_1);
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    expect(run.of('frame.done').map((e) => e.nextInMs)).toEqual([FRAME_BACKOFF_1, FRAME_BACKOFF_2]);
    await vi.advanceTimersByTimeAsync(FRAME_BACKOFF_2 - 1);
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    // three refused logins lock a LibreLinkUp account; here the third comes >11 min after the first
    await vi.advanceTimersByTimeAsync(1);
    expect(session.authenticate).toHaveBeenCalledTimes(3);
    run.actor.stop();
  });

  it('treats a 401 from the login itself as refused credentials, not as a reason to log in again', async () => {
    const session = fakeSession({ authenticate: () => Promise.reject(new UpstreamError('DEX401', 'unauthorized', 401)) });
    const run = startPoller({ driver: fakeDriver(session, [fakeLoop()]), outputs: [fakeOutput('out')] });
    await settle();
    expect(session.authenticate).toHaveBeenCalledTimes(1);
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'failed' }, nextInMs: FRAME_BACKOFF_1 }]);
    run.actor.stop();
  });
});

describe('poller: when the vendor says the session is no longer valid', () => {
  it('logs in again exactly once and the frame succeeds', async () => {
    const session = fakeSession();
    const loop = fakeLoop({ readings: [T0 - MIN] });
    loop.fetch.mockRejectedValueOnce(new SessionExpiredError('LLU401', 'token expired'));
    const out = fakeOutput('out');
    const run = startPoller({ driver: fakeDriver(session, [loop]), outputs: [out] });
    await settle();
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    expect(loop.fetch.mock.calls.map((c) => c[0])).toEqual([session.sessions[0], session.sessions[1]]);
    expect(out.stored).toHaveLength(1);
    expect(run.of('frame.attemptFailed')).toMatchObject([{ attempt: 1, retryInMs: 0 }]);
    expect(run.of('session.expired')).toHaveLength(1);
    expect(run.of('frame.done')[0]?.result.outcome).toBe('success');
    run.actor.stop();
  });

  it('does not loop on a second 401 in the same frame; the next frame logs in fresh', async () => {
    const session = fakeSession();
    const loop = fakeLoop({ fetch: () => Promise.reject(new UpstreamError('LLU401', 'unauthorized', 401)) });
    const run = startPoller({ driver: fakeDriver(session, [loop]), outputs: [fakeOutput('out')] });
    await settle();
    await vi.advanceTimersByTimeAsync(FRAME_BACKOFF_1 - 1);
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'failed' }, nextInMs: FRAME_BACKOFF_1 }]);
    await vi.advanceTimersByTimeAsync(1);
    // the next frame does not reuse the rejected session: it logs in (and may re-login once more)
    expect(loop.fetch.mock.calls[2]?.[0]).toBe(session.sessions[2]);
    expect(session.authenticate).toHaveBeenCalledTimes(4);
    run.actor.stop();
  });
});

describe('poller: when the vendor answer cannot be transformed', () => {
  it('skips the frame without retrying, counts it, and polls again at the next interval', async () => {
    const loop = fakeLoop({ readings: [T0 - MIN] });
    loop.transform.mockImplementationOnce(() => {
      throw new TransformError('LLU020', 'unexpected graph shape');
    });
    const out = fakeOutput('out');
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [out] });
    await settle();
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    expect(out.storeCalls).toBe(0);
    expect(run.of('frame.attemptFailed')).toHaveLength(1);
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'skipped', error: { code: 'LLU020' } }, nextInMs: 5 * MIN }]);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    expect(out.stored).toHaveLength(1);
    expect(run.errors).toEqual([]);
    run.actor.stop();
  });
});

describe('poller: when an output fails', () => {
  it('fails the attempt, retries after the backoff, and the retry stores the batch', async () => {
    const loop = fakeLoop({ readings: [T0 - MIN] });
    let calls = 0;
    const flaky = fakeOutput('flaky', {
      store: () => (++calls === 1 ? Promise.reject(new UpstreamError('NS503', 'unavailable', 503)) : Promise.resolve({ stored: 1, duplicates: 0 })),
    });
    const steady = fakeOutput('steady');
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [flaky, steady] });
    await settle();
    expect(run.of('frame.outputFailed')).toMatchObject([{ output: 'flaky', error: { code: 'NS503' } }]);
    expect(run.of('frame.attemptFailed')).toMatchObject([{ attempt: 1, retryInMs: RETRY_1 }]);
    await vi.advanceTimersByTimeAsync(RETRY_1);
    expect(flaky.stored).toHaveLength(1);
    // the steady output saw the batch twice and stored it once (idempotent by identifier)
    expect(run.of('frame.stored').filter((e) => e.output === 'steady').map((e) => e.result)).toEqual([
      { stored: 1, duplicates: 0 },
      { stored: 0, duplicates: 1 },
    ]);
    expect(run.of('frame.done')[0]?.result).toMatchObject({ outcome: 'success', fetched: 1 });
    run.actor.stop();
  });

  it('times out a slow output without holding up the other one', async () => {
    const loop = fakeLoop({ readings: [T0 - MIN], maxRetries: 0 });
    let slowSignal: AbortSignal | undefined;
    const slow = fakeOutput('slow', {
      store: (_b, signal) => {
        slowSignal = signal;
        return new Promise(() => undefined);
      },
    });
    const fast = fakeOutput('fast');
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [slow, fast], outputTimeoutMs: 10 * SEC });
    await settle();
    expect(fast.stored).toHaveLength(1);
    expect(run.of('frame.stored').map((e) => e.output)).toEqual(['fast']);
    expect(run.of('frame.done')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10 * SEC);
    expect(slowSignal?.aborted).toBe(true);
    expect(run.of('frame.outputFailed')).toMatchObject([{ output: 'slow', error: { code: 'HUB002' } }]);
    expect(run.of('frame.done')[0]?.result).toMatchObject({ outcome: 'failed', error: { code: 'HUB004' } });
    run.actor.stop();
  });
});

describe('poller: when a fetch never finishes', () => {
  /** The first fetch hangs (a driver promise that never settles); later ones answer `readings`. */
  function hangingOnce(readings: number[]) {
    const signals: AbortSignal[] = [];
    const fetch: SourceLoop['fetch'] = (_session, _window, signal) => {
      signals.push(signal);
      return signals.length === 1 ? new Promise(() => undefined) : Promise.resolve(readings);
    };
    return { signals, fetch };
  }

  it('gives up at the fetch deadline (5 min) with HUB007, aborts the call, and the retry stores the readings', async () => {
    expect(DEFAULT_FETCH_DEADLINE_MS).toBe(5 * MIN);
    const hang = hangingOnce([T0 - MIN]);
    const loop = fakeLoop({ fetch: hang.fetch });
    const out = fakeOutput('out');
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [out] });
    await settle();
    await vi.advanceTimersByTimeAsync(DEFAULT_FETCH_DEADLINE_MS - 1);
    expect(run.of('frame.attemptFailed')).toEqual([]);
    expect(hang.signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(hang.signals[0]?.aborted).toBe(true);
    expect(run.of('frame.attemptFailed')).toMatchObject([{ attempt: 1, retryInMs: RETRY_1, error: { code: 'HUB007' } }]);
    expect(String((run.of('frame.attemptFailed')[0]?.error as Error).message)).toContain('within 300 s');
    await vi.advanceTimersByTimeAsync(RETRY_1);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    // Each attempt's vendor call is told as it begins: the retry's starts after the deadline and the backoff.
    expect(run.of('frame.fetching').map((e) => e.startedMs)).toEqual([T0, T0 + DEFAULT_FETCH_DEADLINE_MS + RETRY_1]);
    expect(out.stored.flatMap((b) => b.entries.map((e) => e.date))).toEqual([T0 - MIN]);
    expect(run.of('frame.done')[0]?.result).toMatchObject({ outcome: 'success', fetched: 1 });
    expect(run.errors).toEqual([]);
    run.actor.stop();
  });

  it("honours a loop's own deadline (a paging source allows longer)", async () => {
    const hang = hangingOnce([]);
    const loop = fakeLoop({ fetch: hang.fetch, fetchDeadlineMs: 15 * MIN, maxRetries: 0 });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    await vi.advanceTimersByTimeAsync(15 * MIN - 1);
    expect(run.of('frame.done')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'failed', error: { code: 'HUB007' } } }]);
    run.actor.stop();
  });
});

describe('poller: when the vendor rate-limits', () => {
  it('does not start the next frame before the vendor allows it', async () => {
    const loop = fakeLoop({ fetch: () => Promise.reject(new RateLimitError('LLU429', 'too many requests', 20 * MIN)) });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] });
    await settle();
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    expect(run.of('frame.done')).toMatchObject([{ result: { outcome: 'failed', notBeforeMs: T0 + 20 * MIN }, nextInMs: 20 * MIN }]);
    await vi.advanceTimersByTimeAsync(20 * MIN - 1);
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    run.actor.stop();
  });
});
