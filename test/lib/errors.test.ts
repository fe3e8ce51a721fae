import { describe, expect, it } from 'vitest';
import {
  AuthError,
  classify,
  ConfigError,
  MAX_WAIT_MS,
  NetworkError,
  RateLimitError,
  SessionExpiredError,
  TransformError,
  UpstreamError,
} from '../../lib/errors.js';
import { backoffMs, clampDelay, MAX_TIMER_MS, seededRandom } from '../../lib/time.js';

describe('coded errors', () => {
  it('put the code in the message and keep the cause', () => {
    const cause = new Error('socket hang up');
    const err = new NetworkError('LLU010', 'cannot reach the LibreLink Up server', { cause, hint: 'check the network' });
    expect(err.message).toBe('[LLU010] cannot reach the LibreLink Up server');
    expect(err.code).toBe('LLU010');
    expect(err.cause).toBe(cause);
    expect(err.toUserLine()).toBe('[LLU010] cannot reach the LibreLink Up server — check the network');
    expect(err.name).toBe('NetworkError');
  });
});

describe('classify()', () => {
  const now = 1_000_000;
  it.each([
    [new ConfigError('CFG001', 'x'), { action: 'stop' }],
    [new AuthError('LLU003', 'bad password'), { action: 'stop' }],
    [new TransformError('SIM002', 'bad shape'), { action: 'stop' }],
    [new SessionExpiredError('LLU020', 'expired'), { action: 'reauthenticate' }],
    [new UpstreamError('NS001', 'unauthorised', 401), { action: 'reauthenticate' }],
    [new UpstreamError('NS002', 'bad request', 400), { action: 'stop' }],
    [new UpstreamError('NS003', 'server error', 503), { action: 'retry' }],
    [new UpstreamError('NS004', 'timeout', 408), { action: 'retry' }],
    [new NetworkError('NS005', 'refused'), { action: 'retry' }],
    [new Error('surprise'), { action: 'retry' }],
  ])('%s → %o', (error, decision) => {
    expect(classify(error, now)).toEqual(decision);
  });

  it('waits until the vendor said for rate limits', () => {
    expect(classify(new RateLimitError('LLU429', 'slow down', 60_000), now)).toEqual({ action: 'wait', untilMs: now + 60_000 });
  });

  it('never waits longer than MAX_WAIT_MS, however long the vendor asks, nor a negative time', () => {
    expect(classify(new RateLimitError('NS016', 'a year', 365 * 24 * 3_600_000), now)).toEqual({ action: 'wait', untilMs: now + MAX_WAIT_MS });
    expect(classify(new RateLimitError('NS016', 'past', -5_000), now)).toEqual({ action: 'wait', untilMs: now });
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter between half and the whole step', () => {
    const policy = { baseMs: 1_000, capMs: 60_000 };
    expect(backoffMs(1, policy, () => 0)).toBe(500);
    expect(backoffMs(1, policy, () => 1)).toBe(1_000);
    expect(backoffMs(3, policy, () => 0)).toBe(2_000);
    expect(backoffMs(30, policy, () => 1)).toBe(60_000);
  });

  it('never exceeds what a Node timer can hold', () => {
    expect(backoffMs(1_000, { baseMs: 1_000, capMs: Number.MAX_SAFE_INTEGER }, () => 1)).toBe(MAX_TIMER_MS);
    expect(clampDelay(-5)).toBe(0);
    expect(clampDelay(Number.NaN)).toBe(0);
  });

  it('is repeatable with a seeded random source', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
