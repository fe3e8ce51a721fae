import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fanOut } from '../../machines/fanout.js';
import type { Output } from '../../lib/contracts/output.js';
import { deferred, fakeOutput } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const named = (name: string): Output => fakeOutput(name);

describe('fanOut', () => {
  it('answers in the order of the outputs, with each value or error', async () => {
    const result = await fanOut(
      [named('a'), named('b')],
      (o) => (o.name === 'a' ? Promise.resolve(1) : Promise.reject(new Error('b down'))),
      { timeoutMs: 1_000, signal: new AbortController().signal },
    );
    expect(result).toEqual([
      { output: 'a', ok: true, value: 1 },
      { output: 'b', ok: false, error: new Error('b down') },
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('turns a synchronous throw into that output failing, not the fan-out', async () => {
    const result = await fanOut([named('a')], () => {
      throw new Error('sync');
    }, { timeoutMs: 1_000, signal: new AbortController().signal });
    expect(result).toEqual([{ output: 'a', ok: false, error: new Error('sync') }]);
  });

  it('times out and aborts a slow output while reporting the fast one at once', async () => {
    const seen: string[] = [];
    let slowSignal: AbortSignal | undefined;
    const pending = fanOut(
      [named('slow'), named('fast')],
      (o, signal) => {
        if (o.name === 'fast') return Promise.resolve('ok');
        slowSignal = signal;
        return new Promise<string>(() => undefined);
      },
      { timeoutMs: 5_000, signal: new AbortController().signal, onSettled: (s) => seen.push(s.output) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['fast']);
    await vi.advanceTimersByTimeAsync(5_000);
    const result = await pending;
    expect(seen).toEqual(['fast', 'slow']);
    expect(slowSignal?.aborted).toBe(true);
    expect(result[0]).toMatchObject({ output: 'slow', ok: false, error: { code: 'HUB002' } });
    expect(result[1]).toEqual({ output: 'fast', ok: true, value: 'ok' });
  });

  it('passes an abort of the caller on to every output', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const gate = deferred<void>();
    const pending = fanOut(
      [named('a'), named('b')],
      async (_o, signal) => {
        signals.push(signal);
        await gate.promise;
        signal.throwIfAborted();
      },
      { timeoutMs: 60_000, signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(0);
    controller.abort(new Error('stopped'));
    gate.resolve();
    const result = await pending;
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(result.map((r) => r.ok)).toEqual([false, false]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clamps a timeout beyond the Node timer limit instead of firing after 1 ms', async () => {
    const pending = fanOut([named('a')], () => new Promise<void>((r) => setTimeout(r, 10_000)), {
      timeoutMs: Number.MAX_SAFE_INTEGER,
      signal: new AbortController().signal,
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await pending).toEqual([{ output: 'a', ok: true, value: undefined }]);
  });
});
