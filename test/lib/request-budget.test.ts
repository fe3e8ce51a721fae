import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequestBudget } from '../../lib/request-budget.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOST = 'api.libreview.io';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs a request through `gate` and records when it started. */
function track(starts: string[]) {
  return (name: string, answer: () => Promise<string> = () => Promise.resolve(name)) => () => {
    starts.push(`${name}@${Date.now() - T0}`);
    return answer();
  };
}

const signal = () => new AbortController().signal;

describe('request budget', () => {
  it('starts at most requestsPerSecond per second per host', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 2, concurrency: 10 });
    const starts: string[] = [];
    const send = track(starts);
    const all = ['a', 'b', 'c', 'd', 'e'].map((b) => budget.forBridge(b).run(HOST, signal(), send(b)));
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual(['a@0', 'b@0']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(starts).toEqual(['a@0', 'b@0', 'c@500', 'd@1000', 'e@1500']);
    await expect(Promise.all(all)).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps hosts apart', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 1, concurrency: 10 });
    const starts: string[] = [];
    const send = track(starts);
    void budget.forBridge('a').run(HOST, signal(), send('a'));
    void budget.forBridge('b').run('share2.dexcom.com', signal(), send('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual(['a@0', 'b@0']);
  });

  it('keeps egress addresses apart: each address is its own source to the vendor; one address is shared', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 1, concurrency: 10 });
    const starts: string[] = [];
    const send = track(starts);
    void budget.forBridge('a', { localAddress: '192.0.2.1' }).run(HOST, signal(), send('a'));
    void budget.forBridge('b', { localAddress: '192.0.2.2' }).run(HOST, signal(), send('b'));
    void budget.forBridge('c', { localAddress: '192.0.2.1' }).run(HOST, signal(), send('c'));
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual(['a@0', 'b@0']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(starts).toEqual(['a@0', 'b@0', 'c@1000']);
  });

  it('serves bridges round-robin: a bridge with a backlog delays another by one turn at most', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 1, concurrency: 10 });
    const starts: string[] = [];
    const send = track(starts);
    const noisy = budget.forBridge('noisy');
    for (let i = 0; i < 5; i++) void noisy.run(HOST, signal(), send(`noisy${i}`));
    void budget.forBridge('quiet').run(HOST, signal(), send('quiet'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts.slice(0, 2)).toEqual(['noisy0@0', 'quiet@1000']);
  });

  it('a bridge whose vendor call hangs holds one slot, never the others', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 100, concurrency: 2 });
    const starts: string[] = [];
    const send = track(starts);
    const hung = budget.forBridge('locked');
    const hang = () => new Promise<string>(() => undefined);
    for (let i = 0; i < 3; i++) void hung.run(HOST, signal(), send(`locked${i}`, hang));
    const others = ['b', 'c', 'd'].map((b) => budget.forBridge(b).run(HOST, signal(), send(b)));
    await vi.advanceTimersByTimeAsync(100);
    await expect(Promise.all(others)).resolves.toEqual(['b', 'c', 'd']);
    expect(starts.filter((s) => s.startsWith('locked'))).toEqual(['locked0@0']);
  });

  it('a refused bridge (errors at once) goes on failing without delaying the others', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 2, concurrency: 2 });
    const starts: string[] = [];
    const send = track(starts);
    const refused = budget.forBridge('bad-password');
    const fails = Array.from({ length: 4 }, (_, i) => refused.run(HOST, signal(), send(`bad${i}`, () => Promise.reject(new Error('[LLU004] refused')))));
    for (const p of fails) p.catch(() => undefined);
    const good = budget.forBridge('good').run(HOST, signal(), send('good'));
    await vi.advanceTimersByTimeAsync(0);
    await expect(good).resolves.toBe('good');
    expect(starts).toContain('good@0');
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(fails[3]).rejects.toThrow('LLU004');
  });

  it('an aborted wait leaves the queue and rejects with the abort reason', async () => {
    const budget = createRequestBudget({ requestsPerSecond: 1, concurrency: 10 });
    const starts: string[] = [];
    const send = track(starts);
    void budget.forBridge('a').run(HOST, signal(), send('a'));
    const abort = new AbortController();
    const waiting = budget.forBridge('b').run(HOST, abort.signal, send('b'));
    const after = budget.forBridge('c').run(HOST, signal(), send('c'));
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(after).resolves.toBe('c');
    expect(starts).toEqual(['a@0', 'c@1000']);
  });
});
