import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COLLECTIONS, type Batch, type NightscoutDocument } from '../../lib/domain.js';
import { NetworkError, UpstreamError } from '../../lib/errors.js';
import { presentOnly } from '../../outputs/present-only.js';
import { reliable, POISON_AGE_MS, POISON_ATTEMPTS, STORE_BUDGET_MS } from '../../outputs/reliable/index.js';
import { confirm, emptyRouterState } from '../../outputs/reliable/router.js';
import type { DeliveryReport, Output, StoreProgress, StoreResult } from '../../lib/contracts/output.js';
import { captureLog } from '../fakes/capture-log.js';
import { memoryStateStore } from '../fakes/driver-context.js';
import { batchOf, MIN, T0 } from '../machines/fakes.js';

/**
 * Delivery document by document: a backlog drains at the destination's pace with the newest
 * reading first, a silent destination costs only what it did not confirm, one document that
 * always fails or is refused never holds up the others, and dates from the future wait.
 */

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = T0 + DAY;
const signal = () => new AbortController().signal;

interface SiteOptions {
  /** Milliseconds per document (one at a time), like a site taking ~N POSTs per second. */
  perDocMs?: number;
  /** The site's answer for one document: an error thrown for it, `reject` for a 4xx, or nothing (stored). */
  answer?: (doc: NightscoutDocument) => Error | 'reject' | undefined;
  /** After this many documents the site stops answering (a hung request). */
  hangAfter?: number;
  newestFirst?: readonly ('entries' | 'treatments' | 'devicestatus')[];
}

/** A destination that answers document by document through `progress`, as the Nightscout v3 output does. */
function fakeSite(options: SiteOptions = {}) {
  const stored = new Map<string, number>();
  const order: number[] = [];
  let handled = 0;
  const store = vi.fn(async (batch: Batch, s: AbortSignal, progress?: StoreProgress): Promise<StoreResult> => {
    let written = 0;
    for (const collection of COLLECTIONS) {
      for (const doc of batch[collection] as NightscoutDocument[]) {
        if (options.hangAfter !== undefined && handled >= options.hangAfter) await new Promise(() => undefined);
        if (options.perDocMs) await new Promise((resolve) => setTimeout(resolve, options.perDocMs));
        s.throwIfAborted();
        handled += 1;
        const answer = options.answer?.(doc);
        if (answer === 'reject') {
          progress?.(collection, [doc], { result: 'rejected', error: new UpstreamError('NS012', 'Nightscout refused it: Bad or missing date field', 400) });
          continue;
        }
        if (answer instanceof Error) {
          progress?.(collection, [doc], { result: 'failed', error: answer });
          throw answer;
        }
        const again = stored.has(doc.identifier);
        stored.set(doc.identifier, (stored.get(doc.identifier) ?? 0) + 1);
        order.push(doc.date);
        written += again ? 0 : 1;
        progress?.(collection, [doc], { result: again ? 'duplicate' : 'stored' });
      }
    }
    return { stored: written, duplicates: 0 };
  });
  const site: Output & { stored: typeof stored; order: number[]; store: typeof store } = {
    name: 'nightscout',
    ...(options.newestFirst ? { newestFirst: options.newestFirst } : {}),
    stored,
    order,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    newest: () => Promise.resolve({}),
    store,
  };
  return site;
}

function setup(site: ReturnType<typeof fakeSite>, state = memoryStateStore()) {
  const captured = captureLog();
  const reports: DeliveryReport[] = [];
  const output = reliable(site, { state, log: captured.log, now: () => Date.now(), maxEntries: 50_000, rand: () => 0.5, onDelivery: (r) => reports.push(r) });
  return { output, state, captured, reports };
}

/** `n` readings `stepMs` apart, the newest at `newest`. */
const readings = (n: number, newest: number, stepMs = 5 * MIN): number[] => Array.from({ length: n }, (_, i) => newest - (n - 1 - i) * stepMs);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('a backlog drains at the destination pace', () => {
  it('a day of 15-second readings into an empty site: the newest goes first, each document leaves the queue as it is confirmed, the rest follows', async () => {
    const site = fakeSite({ perDocMs: 20, newestFirst: ['entries', 'treatments'] });
    const { output, state, captured, reports } = setup(site);
    await output.start();
    const dates = readings(5_760, NOW, 15_000);
    const pending = output.store(batchOf(dates), signal());
    await vi.advanceTimersByTimeAsync(STORE_BUDGET_MS + 2_000);
    const first = await pending;
    // The frame hears "a backlog is being delivered", not "unavailable", and is done within the budget.
    expect(first).toMatchObject({ delivery: 'backlog' });
    expect(first.error).toBeUndefined();
    expect(first.stored).toBeGreaterThan(0);
    expect(site.order[0]).toBe(NOW);
    // What the site confirmed has left the queue on disk (saved at most every 2 s).
    const waitingOnDisk = (state.data.get('output-nightscout-queue.jsonl') as unknown[]).length;
    expect(waitingOnDisk).toBeLessThanOrEqual(5_760 - first.stored);

    // A new reading arriving during the backlog goes ahead of the history.
    const newer = output.store(batchOf([NOW + 15_000]), signal());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await newer).toMatchObject({ delivery: 'backlog' });
    const at = site.order.indexOf(NOW + 15_000);
    expect(at).toBeGreaterThan(0);
    // Within the slice that was in flight when it arrived, and the one after.
    expect(at).toBeLessThan(first.stored + 1_000);

    await vi.advanceTimersByTimeAsync(5_760 * 20 + 10_000);
    expect(site.stored.size).toBe(5_761);
    expect([...site.stored.values()].every((n) => n === 1)).toBe(true);
    expect(state.data.get('output-nightscout-queue.jsonl')).toEqual([]);
    const text = captured.text();
    expect(text).toMatch(/delivering a backlog: [\d,]+ of 5,76\d, ~\d+ s left/);
    expect(text).not.toMatch(/unavailable/);
    expect(reports.some((r) => r.state === 'backlog' && r.etaMs !== undefined)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ state: 'current', waiting: 0 });
  });

  it('a back-fill of a few seconds ends with one summary line at info, without progress lines', async () => {
    const site = fakeSite({ perDocMs: 20, newestFirst: ['entries', 'treatments'] });
    const { output, captured } = setup(site);
    await output.start();
    // About 4 s at 20 ms a document: no progress line (every 10 s), but a summary.
    void output.store(batchOf(readings(200, NOW, 15_000)), signal());
    await vi.advanceTimersByTimeAsync(200 * 20 + 5_000);
    expect(site.stored.size).toBe(200);
    const summaries = captured.lines().filter((l) => String(l.msg).includes('backlog delivered'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 30, delivered: 200 });
    expect(captured.lines().some((l) => String(l.msg).includes('delivering a backlog'))).toBe(false);
  });

  it('a crash during the first newest-first slice loses nothing: the rest of the backlog was on disk before anything went out of order', async () => {
    const site = fakeSite({ perDocMs: 20, newestFirst: ['entries', 'treatments'] });
    const { output, state } = setup(site);
    await output.start();
    const dates = readings(1_000, NOW, 15_000);
    void output.store(batchOf(dates), signal());
    // Half of the first slice (100) is confirmed; the process dies now.
    await vi.advanceTimersByTimeAsync(50 * 20 + 5);
    expect(site.stored.size).toBeGreaterThanOrEqual(50);
    expect(site.stored.size).toBeLessThan(100);
    const onDisk = new Set(((state.data.get('output-nightscout-queue.jsonl') ?? []) as { document: { date: number } }[]).map((l) => l.document.date));
    const missing = dates.filter((d) => !onDisk.has(d) && !site.order.includes(d));
    expect(missing).toEqual([]);
  });

  it('a site that goes silent mid-slice keeps what it confirmed; only the rest is sent again', async () => {
    const site = fakeSite({ hangAfter: 30 });
    const { output, captured } = setup(site);
    await output.start();
    const dates = readings(100, NOW - HOUR, MIN);
    const pending = output.store(batchOf(dates), signal());
    await vi.advanceTimersByTimeAsync(25_000);
    const result = await pending;
    expect(result).toMatchObject({ queued: 70, waiting: 70, delivery: 'unavailable' });
    expect((result.error as Error).message).toContain('DLQ003');
    expect(site.stored.size).toBe(30);
    expect(captured.text()).not.toContain('DLQ007');
  });

  it('a restart in the middle of a backlog delivers the rest and nothing twice', async () => {
    const site = fakeSite({ perDocMs: 50 });
    const first = setup(site);
    await first.output.start();
    const dates = readings(400, NOW - HOUR, MIN);
    void first.output.store(batchOf(dates), signal());
    await vi.advanceTimersByTimeAsync(6_000);
    const stopped = first.output.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    await stopped;
    const delivered = site.stored.size;
    expect(delivered).toBeGreaterThan(50);
    expect(delivered).toBeLessThan(400);

    const again = setup(site, first.state);
    await again.output.start();
    await vi.advanceTimersByTimeAsync(400 * 50 + 5_000);
    expect(site.stored.size).toBe(400);
    // Confirmed before the last save and resent after the stop: at most one save interval's worth, deduplicated by identifier.
    const twice = [...site.stored.values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(Math.ceil(2_000 / 50) + 1);
  });
});

describe('one bad document never blocks the others', () => {
  it('a document that always gets a 5xx is retried behind the others, and set aside after many tries over a day (DLQ007)', async () => {
    const poison = NOW - 30 * MIN;
    const site = fakeSite({ answer: (doc) => (doc.date === poison ? new UpstreamError('NS007', 'Nightscout answered 500', 500) : undefined) });
    const { output, state, captured } = setup(site);
    await output.start();
    let t = NOW;
    let result = await output.store(batchOf(readings(12, t)), signal());
    expect(site.stored.size).toBe(11);
    expect(result).toMatchObject({ retrying: 1, waiting: 1 });
    expect(result.delivery).toBeUndefined();
    // Every new reading goes straight through while the bad one waits for its own retries.
    for (let i = 0; i < 24 * 12 + 1; i += 1) {
      t += 5 * MIN;
      await vi.advanceTimersByTimeAsync(5 * MIN);
      vi.setSystemTime(t);
      result = await output.store(batchOf([t]), signal());
      expect(site.stored.has(batchOf([t]).entries[0]!.identifier)).toBe(true);
    }
    const attempts = site.store.mock.calls.filter(([b]) => b.entries.some((e) => e.date === poison)).length;
    expect(attempts).toBeGreaterThanOrEqual(POISON_ATTEMPTS);
    expect(attempts).toBeLessThan(60);
    expect(t - NOW).toBeGreaterThanOrEqual(POISON_AGE_MS);
    const rejected = state.data.get('output-nightscout-rejected.jsonl') as { code: string; document: { date: number }; attempts: number; reason: string }[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ code: 'DLQ007', document: { date: poison } });
    expect(rejected[0]!.reason).toContain('NS007');
    expect(captured.lines().some((l) => l.code === 'DLQ007')).toBe(true);
    expect(result.waiting ?? 0).toBe(0);
  });

  it('a document the site refuses for good goes to the rejected file at once (DLQ006), with its answer, and is not resent', async () => {
    const bad = NOW - 10 * MIN;
    const site = fakeSite({ answer: (doc) => (doc.date === bad ? 'reject' : undefined) });
    const { output, state } = setup(site);
    await output.start();
    const result = await output.store(batchOf(readings(5, NOW)), signal());
    expect(result).toEqual({ stored: 4, duplicates: 0, rejected: 1 });
    const rejected = state.data.get('output-nightscout-rejected.jsonl') as { code: string; reason: string }[];
    expect(rejected).toMatchObject([{ code: 'NS012' }]);
    expect(rejected[0]!.reason).toContain('Bad or missing date field');
    const calls = site.store.mock.calls.length;
    expect(await output.store(batchOf(readings(5, NOW)), signal())).toEqual({ stored: 0, duplicates: 5 });
    expect(site.store.mock.calls.length).toBe(calls);
  });

  it('an outage is the output failing, not its documents: no document counts attempts while nothing gets through', async () => {
    const site = fakeSite();
    const { output, state } = setup(site);
    await output.start();
    site.store.mockRejectedValue(new NetworkError('NS009', 'cannot reach the target Nightscout'));
    await output.store(batchOf(readings(3, NOW)), signal());
    await vi.advanceTimersByTimeAsync(2 * DAY);
    const queue = state.data.get('output-nightscout-queue.jsonl') as { attempts?: number }[];
    expect(queue).toHaveLength(3);
    expect(queue.every((l) => l.attempts === undefined)).toBe(true);
  });
});

describe('dates from the future', () => {
  it('a reading dated ahead waits in the queue, counts for no watermark, and goes out once its time has come', async () => {
    const site = fakeSite();
    const { output } = setup(site);
    await output.start();
    const ahead = NOW + 2 * HOUR;
    const result = await output.store(batchOf([NOW - 5 * MIN, ahead]), signal());
    expect(result).toMatchObject({ stored: 1, held: 1, waiting: 1 });
    expect(result.delivery).toBeUndefined();
    expect(await output.newest(signal())).toEqual({ entries: NOW - 5 * MIN });
    // Today's next reading is not "older than the newest": it is stored.
    expect(await output.store(batchOf([NOW]), signal())).toMatchObject({ stored: 1 });
    await vi.advanceTimersByTimeAsync(2 * HOUR - 10 * MIN - 1_000);
    expect(site.order).toEqual([NOW - 5 * MIN, NOW]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(site.order).toEqual([NOW - 5 * MIN, NOW, ahead]);
  });

  it('a document more than a day ahead is set aside at once (DLQ005), once however often the vendor repeats it', async () => {
    const site = fakeSite();
    const { output, state, captured } = setup(site);
    await output.start();
    const month = NOW + 30 * DAY;
    await output.store(batchOf([NOW, month]), signal());
    await output.store(batchOf([NOW, month]), signal());
    expect(site.order).toEqual([NOW]);
    expect(state.data.get('output-nightscout-rejected.jsonl')).toMatchObject([{ code: 'DLQ005', document: { date: month } }]);
    expect(captured.lines().filter((l) => l.code === 'DLQ005')).toHaveLength(1);
  });

  it('a destination whose newest document is a month ahead does not silence it: that date is ignored (DLQ009)', async () => {
    const site = fakeSite();
    site.newest = () => Promise.resolve({ entries: NOW + 30 * DAY });
    const { output, captured } = setup(site);
    await output.start();
    expect(await output.newest(signal())).toEqual({});
    expect(await output.store(batchOf([NOW - 5 * MIN, NOW]), signal())).toMatchObject({ stored: 2 });
    expect(captured.lines().filter((l) => l.code === 'DLQ009')).toHaveLength(1);
  });

  it('a bare output (capture --persist, no queue) leaves a document from the future out and counts it as held', async () => {
    const site = fakeSite();
    const bare = presentOnly(site, () => Date.now());
    expect(await bare.store(batchOf([NOW - 5 * MIN, NOW + 2 * HOUR]), signal())).toEqual({ stored: 1, duplicates: 0, held: 1 });
    expect(site.order).toEqual([NOW - 5 * MIN]);
  });

  it('a saved watermark ahead of now is repaired at start with one warning (DLQ008)', async () => {
    const router = confirm(emptyRouterState(), batchOf([NOW - 10 * MIN, NOW + HOUR]), DAY);
    const state = memoryStateStore({ 'output-nightscout-router': router });
    const site = fakeSite();
    const { output, captured } = setup(site, state);
    await output.start();
    expect(await output.newest(signal())).toEqual({ entries: NOW - 10 * MIN });
    expect(await output.store(batchOf([NOW - 5 * MIN]), signal())).toMatchObject({ stored: 1 });
    expect(captured.lines().filter((l) => l.code === 'DLQ008')).toHaveLength(1);
  });
});
