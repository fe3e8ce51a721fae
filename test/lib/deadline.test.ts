import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../lib/deadline.js';

describe('withDeadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('aborts with its own reason when the time runs out, and says so', async () => {
    const caller = new AbortController();
    const d = withDeadline(caller.signal, 1_000, () => new Error('too slow'));
    const passed = expect(d.passed).rejects.toThrow('too slow');
    vi.advanceTimersByTime(999);
    expect(d.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(d.expired()).toBe(true);
    expect((d.signal.reason as Error).message).toBe('too slow');
    await passed;
    d.done();
  });

  it("forwards the caller's abort (also one that came before), without counting it as expired", () => {
    const caller = new AbortController();
    const d = withDeadline(caller.signal, 1_000, () => new Error('too slow'));
    caller.abort(new Error('stopped'));
    expect((d.signal.reason as Error).message).toBe('stopped');
    expect(d.expired()).toBe(false);
    d.done();
    const early = withDeadline(caller.signal, 1_000, () => new Error('too slow'));
    expect((early.signal.reason as Error).message).toBe('stopped');
    early.done();
  });

  it('restart() moves the deadline on; done() clears the timer and stops listening', () => {
    const caller = new AbortController();
    const d = withDeadline(caller.signal, 1_000, () => new Error('silent'));
    vi.advanceTimersByTime(800);
    d.restart();
    vi.advanceTimersByTime(800);
    expect(d.signal.aborted).toBe(false);
    d.done();
    vi.advanceTimersByTime(10_000);
    caller.abort(new Error('later'));
    expect(d.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
