import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStagger, staggeredStartMs } from '../../machines/stagger.js';
import type { SourceDriver } from '../../lib/contracts/source.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, MIN, SEC, settle, startPoller, T0 } from './fakes.js';

describe('staggeredStartMs', () => {
  it('keeps a start a second away from every other, and moves one that is not to the first gap', () => {
    const booked = [T0, T0 + 1_000];
    expect(staggeredStartMs(T0 + 2_300, booked, SEC)).toBe(T0 + 2_300);
    expect(staggeredStartMs(T0 + 300, booked, SEC)).toBe(T0 + 2_000);
    expect(staggeredStartMs(T0 - 999, booked, SEC)).toBe(T0 + 2_000);
    expect(staggeredStartMs(T0 - 1_000, booked, SEC)).toBe(T0 - 1_000);
    expect(staggeredStartMs(T0 + 500, booked, SEC / 2)).toBe(T0 + 500);
  });
});

describe('createStagger', () => {
  it('starts no two bridges of one vendor within a second of each other', () => {
    const stagger = createStagger();
    const starts = Array.from({ length: 50 }, (_, i) => stagger.reserve('linkup', `b${i}/entries`, T0 + 100 + i * 7));
    const sorted = [...starts].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(SEC);
    expect(Math.max(...starts) - T0).toBe(49 * SEC + 100);
  });

  it('keeps vendors apart and gives a bridge back its own second when it books again', () => {
    const stagger = createStagger();
    expect(stagger.reserve('linkup', 'a/entries', T0)).toBe(T0);
    expect(stagger.reserve('dexcomshare', 'b/entries', T0)).toBe(T0);
    expect(stagger.reserve('linkup', 'a/entries', T0 + 500)).toBe(T0 + 500);
    stagger.release('linkup', 'a/entries');
    expect(stagger.reserve('linkup', 'c/entries', T0)).toBe(T0);
  });
});

describe('poller: a fleet of one vendor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts twenty bridges with identical readings in twenty different seconds, and keeps them apart', async () => {
    const stagger = createStagger();
    const starts: number[][] = [];
    const runs = Array.from({ length: 20 }, (_, i) => {
      const readings = [T0 - MIN, T0 + 4 * MIN, T0 + 9 * MIN];
      const loop = fakeLoop({ readings });
      loop.fetch.mockImplementation((_s, w) => {
        (starts[i] ??= []).push(Date.now());
        return Promise.resolve(readings.filter((d) => d > w.fromMs && d <= Math.min(w.toMs, Date.now())));
      });
      const driver: SourceDriver = { ...fakeDriver(fakeSession(), [loop]), kind: 'linkup' };
      return startPoller({ bridgeId: `b${i}`, driver, outputs: [fakeOutput('out')], stagger });
    });
    await settle();
    await vi.advanceTimersByTimeAsync(12 * MIN);
    const all = starts.flat();
    expect(all.length).toBeGreaterThanOrEqual(20 * 3);
    const sorted = [...all].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(SEC);
    for (const run of runs) run.actor.stop();
  });
});
